"""ResolvePolicy, Validate, Tag (PrepareRelease) and RecordFailure handlers on moto."""

from __future__ import annotations

import json
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from tests.helpers.documents import approval_event, policy_document, quality_report
from tests.helpers.handlers import load_handler
from tests.helpers.lambda_context import FakeLambdaContext
from tests.helpers.moto_env import RolloutWorld, mocked_aws

from model_rollout.errors import (
    DuplicateDelivery,
    InvalidEvent,
    InvalidMetricsReport,
    InvalidPolicy,
    PolicyNotFound,
    ValidationFailed,
)

GROUP = "churn"
ENDPOINT = "churn-prod"
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:deploy-model:{}"
CONTEXT = FakeLambdaContext()


class Steps:
    def __init__(self, world: RolloutWorld) -> None:
        self.world = world
        self.resolve_policy = load_handler("resolve_policy")
        self.validate = load_handler("validate")
        self.prepare_release = load_handler("prepare_release")
        self.record_failure = load_handler("record_failure")

    @staticmethod
    def call(module: ModuleType, payload: Any) -> dict[str, Any]:
        # Step Functions passes JSON: make sure the payload and the result are plain JSON.
        result = module.lambda_handler(json.loads(json.dumps(payload)), CONTEXT)
        return json.loads(json.dumps(result))

    def resolve(self, event: dict[str, Any], deployment_id: str = "exec-1") -> dict[str, Any]:
        return self.call(
            self.resolve_policy,
            {
                "event": event,
                "deployment_id": deployment_id,
                "execution_arn": EXECUTION.format(deployment_id),
            },
        )

    def run_until_release(self, event: dict[str, Any], deployment_id: str = "exec-1") -> dict:
        state = self.resolve(event, deployment_id)
        state["validation"] = self.call(self.validate, state)
        state["release"] = self.call(self.prepare_release, state)
        return state

    def fail(self, state: Any, error: str, cause: str, deployment_id: str = "exec-1") -> dict:
        return self.call(
            self.record_failure,
            {
                "state": state,
                "failure": {"Error": error, "Cause": cause},
                "deployment_id": deployment_id,
                "execution_arn": EXECUTION.format(deployment_id),
            },
        )


@pytest.fixture
def steps() -> Iterator[Steps]:
    with mocked_aws() as world:
        world.put_policy(GROUP, policy_document(ENDPOINT))
        yield Steps(world)


def lambda_cause(error: Exception) -> str:
    """What Step Functions puts in ``Cause`` for a Lambda function's unhandled error."""
    return json.dumps(
        {"errorMessage": str(error), "errorType": type(error).__name__, "stackTrace": []}
    )


# ---------------------------------------------------------------------- ResolvePolicy
class TestResolvePolicy:
    def test_first_deployment(self, steps: Steps) -> None:
        arn = steps.world.create_package(GROUP)
        state = steps.resolve(approval_event(arn, group=GROUP))
        assert state["deployment_id"] == "exec-1"
        assert state["execution_arn"] == EXECUTION.format("exec-1")
        assert state["model_package_arn"] == arn and state["model_package_version"] == 1
        assert state["endpoint_name"] == ENDPOINT
        assert state["strategy"] == {"type": "all_at_once", "bake_seconds": 600}
        assert state["limits"] == {
            "endpoint_wait_seconds": 900,
            "lock_poll_seconds": 300,
            "lock_lease_seconds": 172_800,
        }
        assert state["approval"]["last_modified_time"] == "2026-03-01T10:00:00Z"
        assert state["previous"] is None
        assert state["policy"]["validation"]["min_value"] == 0.8
        item = steps.world.item("exec-1")
        assert item is not None and item["status"] == "RUNNING"
        assert item["endpoint_name"] == ENDPOINT and item["model_package_arn"] == arn

    def test_previous_serving_state(self, steps: Steps) -> None:
        old = steps.world.create_package(GROUP)
        steps.world.serve(ENDPOINT, model_package_arn=old)
        new = steps.world.create_package(GROUP)
        state = steps.resolve(approval_event(new, group=GROUP, version=2))
        assert state["previous"]["model_package_arn"] == old
        assert state["previous"]["variants"][0]["variant_name"] == "blue"
        assert state["previous"]["variants"][0]["instance_type"] == "ml.c5.xlarge"

    def test_duplicate_delivery(self, steps: Steps) -> None:
        arn = steps.world.create_package(GROUP)
        event = approval_event(arn, group=GROUP)
        steps.resolve(event, "exec-1")
        steps.resolve(event, "exec-1")  # a retry of the same execution's step
        again = {**event, "id": "second-delivery"}
        with pytest.raises(DuplicateDelivery) as caught:
            steps.resolve(again, "exec-2")
        assert "exec-1" in str(caught.value) and "second-delivery" in str(caught.value)
        later = approval_event(arn, group=GROUP, last_modified="2026-04-01T00:00:00Z")
        assert steps.resolve(later, "exec-3")["deployment_id"] == "exec-3"

    def test_malformed_event(self, steps: Steps) -> None:
        event = approval_event("arn", group=GROUP)
        del event["detail"]["ModelPackageArn"]
        with pytest.raises(InvalidEvent, match="ModelPackageArn"):
            steps.resolve(event)

    def test_unknown_group(self, steps: Steps) -> None:
        arn = steps.world.create_package("other-group")
        with pytest.raises(PolicyNotFound, match="/model-rollout/policies/other-group"):
            steps.resolve(approval_event(arn, group="other-group"))

    def test_withdrawn_approval(self, steps: Steps) -> None:
        arn = steps.world.create_package(GROUP, status="Rejected")
        with pytest.raises(InvalidEvent, match="'Rejected' now"):
            steps.resolve(approval_event(arn, group=GROUP))

    def test_override_not_allowed(self, steps: Steps) -> None:
        metadata = {"rollout:strategy": '{"type": "all_at_once", "bake_seconds": 5}'}
        arn = steps.world.create_package(GROUP, metadata=metadata)
        with pytest.raises(InvalidPolicy, match="does not allow strategy overrides"):
            steps.resolve(approval_event(arn, group=GROUP))

    def test_override_allowed(self, steps: Steps) -> None:
        steps.world.put_policy(GROUP, policy_document(ENDPOINT, allow_strategy_override=True))
        metadata = {"rollout:strategy": '{"type": "all_at_once", "bake_seconds": 5}'}
        arn = steps.world.create_package(GROUP, metadata=metadata)
        state = steps.resolve(approval_event(arn, group=GROUP))
        assert state["strategy"] == {"type": "all_at_once", "bake_seconds": 5}

    def test_invalid_override(self, steps: Steps) -> None:
        steps.world.put_policy(GROUP, policy_document(ENDPOINT, allow_strategy_override=True))
        arn = steps.world.create_package(GROUP, metadata={"rollout:strategy": "{oops"})
        with pytest.raises(InvalidPolicy, match="rollout:strategy"):
            steps.resolve(approval_event(arn, group=GROUP))


# ---------------------------------------------------------------------- Validate
class TestValidate:
    def test_first_deployment_checks_min_value(self, steps: Steps) -> None:
        arn = steps.world.create_package(GROUP, accuracy=0.85)
        state = steps.resolve(approval_event(arn, group=GROUP))
        result = steps.call(steps.validate, state)
        assert result["gate"]["passed"] is True
        assert result["gate"]["candidate_value"] == 0.85
        assert result["gate"]["baseline_value"] is None
        assert result["lineage"] == {
            "git_commit": "0a1b2c3d",
            "data_version": "2026-01-01",
            "build_id": "build-42",
        }

    def test_against_the_serving_model(self, steps: Steps) -> None:
        old = steps.world.create_package(GROUP, accuracy=0.90)
        steps.world.serve(ENDPOINT, model_package_arn=old)
        new = steps.world.create_package(GROUP, accuracy=0.89)
        state = steps.resolve(approval_event(new, group=GROUP, version=2))
        gate = steps.call(steps.validate, state)["gate"]
        assert gate["baseline_value"] == 0.90 and gate["baseline_model_package_arn"] == old

    def test_regression_fails(self, steps: Steps) -> None:
        old = steps.world.create_package(GROUP, accuracy=0.95)
        steps.world.serve(ENDPOINT, model_package_arn=old)
        new = steps.world.create_package(GROUP, accuracy=0.85)
        state = steps.resolve(approval_event(new, group=GROUP, version=2))
        with pytest.raises(ValidationFailed) as caught:
            steps.call(steps.validate, state)
        assert str(caught.value).startswith(
            "accuracy 0.85 is worse than the serving model's 0.95 by 0.1, "
            "more than max_regression 0.02"
        )

    def test_below_min_value(self, steps: Steps) -> None:
        arn = steps.world.create_package(GROUP, accuracy=0.5)
        state = steps.resolve(approval_event(arn, group=GROUP))
        with pytest.raises(ValidationFailed, match=r"accuracy 0\.5 .* below min_value 0\.8"):
            steps.call(steps.validate, state)

    def test_missing_lineage_comes_first(self, steps: Steps) -> None:
        arn = steps.world.create_package(GROUP, accuracy=0.1, metadata={"git_commit": "abc"})
        state = steps.resolve(approval_event(arn, group=GROUP))
        with pytest.raises(ValidationFailed, match="data_version, build_id"):
            steps.call(steps.validate, state)

    def test_bad_report(self, steps: Steps) -> None:
        arn = steps.world.create_package(GROUP, report="<html>")
        state = steps.resolve(approval_event(arn, group=GROUP))
        with pytest.raises(InvalidMetricsReport, match="not JSON"):
            steps.call(steps.validate, state)

    def test_metric_missing_from_report(self, steps: Steps) -> None:
        arn = steps.world.create_package(GROUP, report=quality_report(0.9, metric="f1"))
        state = steps.resolve(approval_event(arn, group=GROUP))
        with pytest.raises(InvalidMetricsReport, match="'accuracy' is not in"):
            steps.call(steps.validate, state)


# ---------------------------------------------------------------------- Tag
class TestPrepareRelease:
    def test_first_deployment(self, steps: Steps) -> None:
        arn = steps.world.create_package(GROUP)
        state = steps.run_until_release(approval_event(arn, group=GROUP))
        release = state["release"]
        assert release["bake_config_name"] == release["final_config_name"]
        assert release["previous_variant_name"] is None
        assert release["tags"]["rollout:git-commit"] == "0a1b2c3d"
        assert release["tags"]["rollout:deployment-id"] == "exec-1"
        sm = steps.world.sagemaker
        model = sm.describe_model(ModelName=release["model_name"])
        assert model["Containers"] == [{"ModelPackageName": arn}]
        tags = {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=model["ModelArn"])["Tags"]}
        for key in (
            "rollout:model-package-arn",
            "rollout:git-commit",
            "rollout:data-version",
            "rollout:build-id",
            "rollout:deployment-id",
        ):
            assert key in tags
        config = sm.describe_endpoint_config(EndpointConfigName=release["final_config_name"])
        (variant,) = config["ProductionVariants"]
        assert variant["VariantName"] == release["variant_name"]
        assert variant["ModelName"] == release["model_name"]
        assert (variant["InstanceType"], variant["InitialInstanceCount"]) == ("ml.m5.large", 1)
        assert variant["InitialVariantWeight"] == 1.0

    def test_blue_green_bake_config(self, steps: Steps) -> None:
        old = steps.world.create_package(GROUP, accuracy=0.9)
        steps.world.serve(ENDPOINT, model_package_arn=old)
        new = steps.world.create_package(GROUP, accuracy=0.91)
        state = steps.run_until_release(approval_event(new, group=GROUP, version=2))
        release = state["release"]
        assert release["previous_variant_name"] == "blue"
        sm = steps.world.sagemaker
        bake = sm.describe_endpoint_config(EndpointConfigName=release["bake_config_name"])
        variants = {v["VariantName"]: v for v in bake["ProductionVariants"]}
        assert variants[release["variant_name"]]["InitialVariantWeight"] == 1.0
        blue = variants["blue"]
        assert (blue["ModelName"], blue["InitialVariantWeight"]) == ("blue-model", 0.0)
        assert (blue["InstanceType"], blue["InitialInstanceCount"]) == ("ml.c5.xlarge", 2)
        final = sm.describe_endpoint_config(EndpointConfigName=release["final_config_name"])
        assert [v["VariantName"] for v in final["ProductionVariants"]] == [release["variant_name"]]
        tags = sm.list_tags(ResourceArn=bake["EndpointConfigArn"])["Tags"]
        assert {"Key": "rollout:model-package-arn", "Value": new} in tags

    def test_a_retry_finds_its_own_release(self, steps: Steps) -> None:
        arn = steps.world.create_package(GROUP)
        state = steps.run_until_release(approval_event(arn, group=GROUP))
        assert steps.call(steps.prepare_release, state) == state["release"]

    def test_requires_validation(self, steps: Steps) -> None:
        arn = steps.world.create_package(GROUP)
        state = steps.resolve(approval_event(arn, group=GROUP))
        with pytest.raises(ValidationFailed, match="no passed validation"):
            steps.call(steps.prepare_release, state)


# ---------------------------------------------------------------------- RecordFailure
class TestRecordFailure:
    def test_after_resolve_policy_failed_on_the_raw_event(self, steps: Steps) -> None:
        arn = steps.world.create_package("other")
        event = approval_event(arn, group="other")
        with pytest.raises(PolicyNotFound) as caught:
            steps.resolve(event)
        outcome = steps.fail({**event, "failure": {}}, "PolicyNotFound", lambda_cause(caught.value))
        assert {k: outcome[k] for k in ("status", "error", "cause")} == {
            "status": "FAILED",
            "error": "PolicyNotFound",
            "cause": str(caught.value),
        }
        assert outcome["report_url"] is None  # nothing was deployed: no report
        assert outcome["duration_seconds"] >= 0
        item = steps.world.item("exec-1")
        assert item is not None and item["status"] == "FAILED"
        assert item["details"]["model_package_arn"] == arn

    def test_gate_failure_records_a_clean_cause(self, steps: Steps) -> None:
        arn = steps.world.create_package(GROUP, accuracy=0.1)
        state = steps.resolve(approval_event(arn, group=GROUP))
        with pytest.raises(ValidationFailed) as caught:
            steps.call(steps.validate, state)
        outcome = steps.fail(state, "ValidationFailed", lambda_cause(caught.value))
        assert outcome["error"] == "ValidationFailed"
        assert outcome["cause"].startswith("accuracy 0.1 of ")
        item = steps.world.item("exec-1")
        assert item is not None
        assert (item["status"], item["error"], item["endpoint_name"]) == (
            "FAILED",
            "ValidationFailed",
            ENDPOINT,
        )

    def test_removes_the_release(self, steps: Steps) -> None:
        old = steps.world.create_package(GROUP, accuracy=0.9)
        serving_config = steps.world.serve(ENDPOINT, model_package_arn=old)
        new = steps.world.create_package(GROUP, accuracy=0.9)
        state = steps.run_until_release(approval_event(new, group=GROUP, version=2))
        release = state.pop("release")  # as when Tag fails after creating resources
        steps.fail(state, "States.Timeout", "Task timed out")
        sm = steps.world.sagemaker
        models = [m["ModelName"] for m in sm.list_models()["Models"]]
        assert models == ["blue-model"]  # the serving model is untouched
        configs = [c["EndpointConfigName"] for c in sm.list_endpoint_configs()["EndpointConfigs"]]
        assert configs == [serving_config]
        item = steps.world.item("exec-1")
        assert item is not None
        assert set(item["details"]["cleanup"]["deleted"]) == {
            release["model_name"],
            release["bake_config_name"],
            release["final_config_name"],
        }

    def test_never_deletes_what_serves(self, steps: Steps) -> None:
        arn = steps.world.create_package(GROUP)
        state = steps.run_until_release(approval_event(arn, group=GROUP))
        # as if the endpoint had been created on the release's config
        steps.world.sagemaker.create_endpoint(
            EndpointName=ENDPOINT, EndpointConfigName=state["release"]["final_config_name"]
        )
        steps.fail(state, "DeploymentFailed", "x")
        sm = steps.world.sagemaker
        assert sm.describe_endpoint_config(EndpointConfigName=state["release"]["final_config_name"])
        assert sm.describe_model(ModelName=state["release"]["model_name"])

    @pytest.mark.parametrize(
        "payload",
        [
            None,
            "text",
            [],
            {},
            {"state": "junk", "failure": None},
            {"state": {"deployment_id": 5, "endpoint_name": []}, "failure": "x"},
            {"state": {"release": {"model_name": 5}}, "failure": {"Error": 5}},
        ],
    )
    def test_never_fails_on_a_strange_state(self, steps: Steps, payload: Any) -> None:
        outcome = steps.call(steps.record_failure, payload)
        assert outcome["status"] == "FAILED" and outcome["error"]
        assert outcome["cause"]
