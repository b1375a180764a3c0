"""model_rollout.workflow.scaling: who registers, deregisters and restores autoscaling, in
which order relative to the endpoint updates (fakes for SageMaker and Auto Scaling)."""

from __future__ import annotations

from typing import Any

from tests.helpers.rollout_steps import (
    RELEASE,
    FakeSageMaker,
    deployment_document,
    described_endpoint,
)

from model_rollout.adapters.endpoints import Endpoints
from model_rollout.domain.deployment import Deployment
from model_rollout.steps.promote import promote_releasing_old_scaling
from model_rollout.steps.restore_config import restore_config_and_scaling
from model_rollout.workflow.scaling import scale_new_variant, target_tracking

GREEN = RELEASE["variant_name"]
BLUE = "blue"
AUTOSCALING = {"min_capacity": 2, "max_capacity": 6, "target_invocations_per_instance": 50}


class FakeScaling:
    def __init__(self, registered: set[str] | None = None, log: list[str] | None = None) -> None:
        self.targets = set(registered or ())
        self.log = log if log is not None else []
        self.policies: dict[str, dict[str, Any]] = {}

    def register(self, resource: str, min_capacity: int, max_capacity: int) -> None:
        self.targets.add(resource)
        self.log.append(f"register {resource} {min_capacity}-{max_capacity}")

    def put_target_tracking(self, resource: str, name: str, config: dict[str, Any]) -> str:
        self.policies[resource] = config
        self.log.append(f"policy {resource}")
        return f"arn:policy/{name}"

    def registered(self, resource: str) -> bool:
        return resource in self.targets

    def deregister(self, resource: str) -> bool:
        self.log.append(f"deregister {resource}")
        found = resource in self.targets
        self.targets.discard(resource)
        return found


def doc(autoscaling: dict[str, Any] | None = AUTOSCALING) -> Deployment:
    document = deployment_document(
        policy={"endpoint_name": "churn-prod", "autoscaling": autoscaling}
    )
    document["release"]["previous_variant_name"] = BLUE
    return Deployment.model_validate(document)


def resource(variant: str) -> str:
    return f"endpoint/churn-prod/variant/{variant}"


def test_the_new_variant_gets_target_tracking_on_invocations_per_instance() -> None:
    scaling = FakeScaling()
    assert scale_new_variant(doc(), scaling) == {
        "resource_id": resource(GREEN),
        "policy_arn": f"arn:policy/churn-prod-{GREEN}-invocations-per-instance",
    }
    assert scaling.log == [f"register {resource(GREEN)} 2-6", f"policy {resource(GREEN)}"]
    assert scaling.policies[resource(GREEN)] == {
        "TargetValue": 50.0,
        "PredefinedMetricSpecification": {
            "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
        },
        "ScaleInCooldown": 300,
        "ScaleOutCooldown": 60,
    }
    assert scale_new_variant(doc(None), FakeScaling()) is None


class LoggingSageMaker(FakeSageMaker):
    def __init__(self, log: list[str], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._log = log

    def update_endpoint(self, **kwargs: Any) -> dict[str, Any]:
        self._log.append(f"update {kwargs['EndpointConfigName']}")
        return super().update_endpoint(**kwargs)


def test_promote_deregisters_the_previous_variant_before_the_update_that_removes_it() -> None:
    log: list[str] = []
    sagemaker = LoggingSageMaker(
        log, described_endpoint(RELEASE["bake_config_name"], {GREEN: 1.0, BLUE: 0.0})
    )
    scaling = FakeScaling({resource(BLUE), resource(GREEN)}, log)
    promote_releasing_old_scaling(doc(), endpoints=Endpoints(sagemaker), scaling=scaling)
    assert log == [f"deregister {resource(BLUE)}", f"update {RELEASE['final_config_name']}"]
    assert scaling.targets == {resource(GREEN)}


def test_restore_removes_the_new_variants_and_brings_the_previous_ones_back() -> None:
    log: list[str] = []
    previous = doc().previous
    assert previous is not None
    sagemaker = LoggingSageMaker(
        log, described_endpoint(RELEASE["final_config_name"], {GREEN: 1.0})
    )
    scaling = FakeScaling({resource(GREEN)}, log)  # Promote had deregistered blue
    restore_config_and_scaling(doc(), endpoints=Endpoints(sagemaker), scaling=scaling)
    assert log == [
        f"deregister {resource(GREEN)}",
        f"update {previous.endpoint_config_name}",
        f"register {resource(BLUE)} 2-6",
        f"policy {resource(BLUE)}",
    ]
    assert scaling.targets == {resource(BLUE)}
    assert target_tracking(doc().policy.autoscaling)["TargetValue"] == 50.0  # type: ignore[arg-type]
