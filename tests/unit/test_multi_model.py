"""Mode multi_model: the policy block, names, the Tag/Deploy/RestoreConfig branches (a
fake SageMaker, S3 and runtime), and how applications resolve the pointer."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from tests.helpers.rollout_steps import (
    ENDPOINT,
    PACKAGE_ARN,
    PREVIOUS,
    FakeSageMaker,
    deployment_document,
    described_endpoint,
)

from model_rollout.adapters.endpoints import Endpoints
from model_rollout.adapters.multi_model import Answer
from model_rollout.domain.deployment import Deployment, StepFailure
from model_rollout.domain.policy import MultiModelPolicy, parse_policy
from model_rollout.errors import EndpointConflict, InvalidPolicy, SmokeTestFailed
from model_rollout.modes import multi_model
from model_rollout.steps.closing import finish_rollback
from model_rollout.steps.deploy import deploy
from model_rollout.steps.promote import promote
from model_rollout.steps.restore_config import restore_config
from model_rollout.steps.rollback import rollback

SOURCE = "/model-rollout/policies/churn"
MME = {"model_name": "churn", "smoke_test_body": "0.1,0.2,0.3"}
POLICY = {"endpoint_name": ENDPOINT, "mode": "multi_model", "multi_model": MME}
OLD = PREVIOUS["endpoint_config_name"]
V6_TAGS = {
    "rollout:deployment-id": "churn-v6-0001",
    "rollout:model-package-arn": PREVIOUS["model_package_arn"],
    "rollout:mme-target:churn": "churn-v6.tar.gz",
}


# ---------------------------------------------------------------------- policy


def test_a_multi_model_policy_parses_with_its_defaults() -> None:
    policy = parse_policy(json.dumps(POLICY), source=SOURCE)
    assert policy.mode == "multi_model"
    assert policy.multi_model == MultiModelPolicy(
        model_name="churn", smoke_test_body="0.1,0.2,0.3", smoke_test_content_type="text/csv"
    )
    assert policy.multi_model.artifact_prefix is None


@pytest.mark.parametrize(
    ("document", "fragment"),
    [
        (
            {**POLICY, "strategy": {"type": "canary", "percent": 10}},
            "mode 'multi_model' allows strategy 'all_at_once' only",
        ),
        ({**POLICY, "multi_model": None}, "mode 'multi_model' needs 'multi_model'"),
        ({"endpoint_name": ENDPOINT, "multi_model": MME}, "applies to mode 'multi_model' only"),
        ({**POLICY, "multi_model": {**MME, "colour": "red"}}, "multi_model.colour"),
        ({**POLICY, "multi_model": {"model_name": "churn"}}, "multi_model.smoke_test_body"),
        ({**POLICY, "multi_model": {**MME, "model_name": "a/b"}}, "multi_model.model_name"),
        ({**POLICY, "multi_model": {**MME, "artifact_prefix": "/tmp"}}, "artifact_prefix"),
        ({**POLICY, "autoscaling": {}}, "'autoscaling' applies to mode 'real_time'"),
    ],
)
def test_bad_multi_model_policies_are_named(document: dict[str, Any], fragment: str) -> None:
    with pytest.raises(InvalidPolicy, match="policy /model-rollout/policies/churn is invalid") as e:
        parse_policy(json.dumps(document), source=SOURCE)
    assert fragment in str(e.value)


# ---------------------------------------------------------------------- names


def test_names_and_the_default_prefix() -> None:
    spec = MultiModelPolicy(**MME)  # type: ignore[arg-type]
    assert multi_model.target_model_name("churn", 7) == "churn-v7.tar.gz"
    assert multi_model.pointer_tag("churn") == "rollout:mme-target:churn"
    assert (
        multi_model.artifact_prefix(spec, ENDPOINT, "inference")
        == "s3://inference/multi-model/churn-prod/"
    )
    custom = spec.model_copy(update={"artifact_prefix": "s3://b/models"})
    assert multi_model.artifact_prefix(custom, ENDPOINT, "inference") == "s3://b/models/"
    assert multi_model.resolve_target(V6_TAGS, "churn") == "churn-v6.tar.gz"
    assert multi_model.resolve_target(V6_TAGS, "other") is None


def test_lineage_becomes_ascii_object_metadata() -> None:
    assert multi_model.artifact_metadata(
        {"rollout:git-commit": "c0ffee", "rollout:build-id": "b\u00e9", "Owner": "x"}
    ) == {"rollout-git-commit": "c0ffee", "rollout-build-id": "b?"}


# ---------------------------------------------------------------------- Tag


class FakeReleases:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def package_container(self, arn: str) -> dict[str, Any]:
        return {"Image": "img:1", "ModelDataUrl": "s3://artifacts/models/churn-v7/model.tar.gz"}

    def create_multi_model(self, name: str, image: str, prefix: str, tags: Any) -> bool:
        self.calls.append(("create_multi_model", (name, image, prefix)))
        return True

    def create_endpoint_config(self, name: str, variants: Any, tags: Any, *a: Any) -> bool:
        self.calls.append(("create_endpoint_config", (name, [v.model_name for v in variants])))
        return True


class FakeArtifacts:
    def __init__(self) -> None:
        self.copies: list[tuple[str, str, dict[str, str]]] = []

    def copy(self, source: str, target: str, metadata: Any) -> None:
        self.copies.append((source, target, dict(metadata)))


def _validated(doc: dict[str, Any]) -> dict[str, Any]:
    doc["validation"] = {
        "gate": {
            "metric": "accuracy",
            "greater_is_better": True,
            "candidate_value": 0.9,
            "passed": True,
        },
        "lineage": {"git_commit": "0a1b2c3d"},
    }
    doc.pop("release", None)
    return doc


def _prepare(first: bool) -> tuple[Any, FakeReleases, FakeArtifacts]:
    doc = _validated(deployment_document(first=first, policy=POLICY))
    if not first:
        doc["previous"]["endpoint_tags"] = V6_TAGS
    releases, artifacts = FakeReleases(), FakeArtifacts()
    release = multi_model.prepare_release(
        Deployment.model_validate(doc),
        releases=releases,  # type: ignore[arg-type]
        artifacts=artifacts,
        tags={"rollout:git-commit": "0a1b2c3d"},
        resource_prefix="mr",
        inference_bucket="inference",
    )
    return release, releases, artifacts


def test_first_version_copies_its_artifact_and_creates_the_multi_model_model() -> None:
    release, releases, artifacts = _prepare(first=True)
    assert artifacts.copies == [
        (
            "s3://artifacts/models/churn-v7/model.tar.gz",
            "s3://inference/multi-model/churn-prod/churn-v7.tar.gz",
            {"rollout-git-commit": "0a1b2c3d"},
        )
    ]
    model = release.model_name
    assert releases.calls == [
        ("create_multi_model", (model, "img:1", "s3://inference/multi-model/churn-prod/")),
        ("create_endpoint_config", (release.final_config_name, [model])),
    ]
    assert release.bake_config_name == release.final_config_name
    assert release.multi_model is not None
    assert release.multi_model.target_model == "churn-v7.tar.gz"
    assert release.multi_model.previous_target is None


def test_a_later_version_only_copies_and_names_the_serving_config() -> None:
    release, releases, artifacts = _prepare(first=False)
    assert len(artifacts.copies) == 1 and releases.calls == []
    assert (release.final_config_name, release.bake_config_name) == (OLD, OLD)
    assert (release.variant_name, release.model_name) == ("blue", "blue-model")
    assert release.multi_model is not None
    assert release.multi_model.previous_target == "churn-v6.tar.gz"


# ---------------------------------------------------------------------- Deploy, rollback


class FakeRuntime:
    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.calls: list[tuple[str, str, str, str]] = []

    def invoke(self, endpoint: str, target: str, body: str, content_type: str) -> Answer:
        self.calls.append((endpoint, target, body, content_type))
        return self.answer


def _version_doc(**overrides: Any) -> Deployment:
    previous = copy.deepcopy(PREVIOUS) | {"endpoint_tags": V6_TAGS}
    release = {
        "model_name": "blue-model",
        "variant_name": "blue",
        "bake_config_name": OLD,
        "final_config_name": OLD,
        "tags": {
            "rollout:deployment-id": "churn-v7-0001",
            "rollout:model-package-arn": PACKAGE_ARN,
        },
        "multi_model": {
            "model_name": "churn",
            "artifact_prefix": "s3://inference/multi-model/churn-prod/",
            "target_model": "churn-v7.tar.gz",
            "artifact_uri": "s3://inference/multi-model/churn-prod/churn-v7.tar.gz",
            "pointer_tag": "rollout:mme-target:churn",
            "previous_target": "churn-v6.tar.gz",
        },
    }
    doc = deployment_document(policy=POLICY, previous=previous, release=release)
    doc.update(overrides)
    return Deployment.model_validate(doc)


def test_deploy_smoke_tests_then_moves_the_pointer_and_lineage_not_the_config() -> None:
    sm = FakeSageMaker(endpoint=described_endpoint(OLD, {"blue": 1.0}), endpoint_tags=V6_TAGS)
    runtime = FakeRuntime(Answer(ok=True, body=b"0.5\n"))
    change = deploy(_version_doc(), endpoints=Endpoints(sm), runtime=runtime)
    assert runtime.calls == [(ENDPOINT, "churn-v7.tar.gz", "0.1,0.2,0.3", "text/csv")]
    assert sm.mutations() == ["add_tags"]  # no UpdateEndpoint
    assert sm.endpoint_tags["rollout:mme-target:churn"] == "churn-v7.tar.gz"
    assert sm.endpoint_tags["rollout:model-package-arn"] == PACKAGE_ARN
    assert (change.action, change.expect.endpoint_config_name) == ("point", OLD)
    # a retried Deploy finds its pointer moved and asks for nothing again
    again = deploy(_version_doc(), endpoints=Endpoints(sm), runtime=runtime)
    assert again.action == "point" and sm.mutations() == ["add_tags"]
    assert len(runtime.calls) == 1
    # Promote has nothing to do: the config already serves
    assert promote(_version_doc(), endpoints=Endpoints(sm)).action == "none"


def test_a_failed_smoke_test_is_named_and_leaves_the_pointer() -> None:
    sm = FakeSageMaker(endpoint=described_endpoint(OLD, {"blue": 1.0}), endpoint_tags=V6_TAGS)
    runtime = FakeRuntime(
        Answer(ok=False, error_code="ModelError", error_message="Received server error (500)")
    )
    with pytest.raises(SmokeTestFailed) as failed:
        deploy(_version_doc(), endpoints=Endpoints(sm), runtime=runtime)
    assert "TargetModel=churn-v7.tar.gz answered ModelError" in str(failed.value)
    assert "names churn-v6.tar.gz" in str(failed.value)
    assert sm.calls == [] and sm.endpoint_tags == V6_TAGS


def test_deploy_refuses_an_endpoint_that_changed() -> None:
    sm = FakeSageMaker(endpoint=described_endpoint("other", {"x": 1.0}), endpoint_tags=V6_TAGS)
    runtime = FakeRuntime(Answer(ok=True))
    with pytest.raises(EndpointConflict, match="nothing was changed"):
        deploy(_version_doc(), endpoints=Endpoints(sm), runtime=runtime)
    assert sm.calls == [] and runtime.calls == []


def test_first_version_creates_the_endpoint_with_its_pointer() -> None:
    doc = _version_doc(previous=None)
    sm = FakeSageMaker(endpoint=None)
    deploy(doc, endpoints=Endpoints(sm), runtime=FakeRuntime(Answer(ok=True)))
    name, call = sm.calls[0]
    assert name == "create_endpoint"
    assert {"Key": "rollout:mme-target:churn", "Value": "churn-v7.tar.gz"} in call["Tags"]


def test_rollback_shifts_nothing_and_restore_moves_the_pointer_back() -> None:
    moved = {
        **V6_TAGS,
        "rollout:mme-target:churn": "churn-v7.tar.gz",
        "rollout:deployment-id": "churn-v7-0001",
        "rollout:git-commit": "0a1b2c3d",
    }
    sm = FakeSageMaker(endpoint=described_endpoint(OLD, {"blue": 1.0}), endpoint_tags=moved)
    doc = _version_doc()
    assert rollback(doc, endpoints=Endpoints(sm)).action == "none"
    change = restore_config(doc, endpoints=Endpoints(sm))
    assert change.action == "restore-pointer"
    assert change.expect.endpoint_config_name == OLD
    assert sm.endpoint_tags == V6_TAGS
    assert "update_endpoint" not in sm.mutations()
    # idempotent
    assert restore_config(doc, endpoints=Endpoints(sm)).action == "none"


def test_the_rolled_back_cause_names_the_pointer() -> None:
    class Nothing:
        def delete(self, names: Any) -> list[str]:
            return list(names)[:0]

        def remove_for_deployment(self, deployment_id: str) -> list[str]:
            return []

        def finish(self, *a: Any, **k: Any) -> None:
            return None

    doc = _version_doc(failure=StepFailure(Error="AlarmFired", Cause="alarm x").model_dump())
    outcome = finish_rollback(
        doc,
        alarms=Nothing(),  # type: ignore[arg-type]
        waiters=Nothing(),  # type: ignore[arg-type]
        endpoints=Endpoints(FakeSageMaker(endpoint=described_endpoint(OLD, {"blue": 1.0}))),
        records=Nothing(),  # type: ignore[arg-type]
        resource_prefix="mr",
    )
    assert outcome.error == "RolledBack"
    assert "rollout:mme-target:churn of endpoint churn-prod names churn-v6.tar.gz again" in (
        outcome.cause or ""
    )


# ---------------------------------------------------------------------- recovery


class FakeRecords:
    def __init__(self, items: dict[str, dict[str, Any]]) -> None:
        self.items = items
        self.finished: list[tuple[str, str]] = []
        self.remembered: list[tuple[str, dict[str, Any]]] = []

    def get(self, deployment_id: str) -> dict[str, Any] | None:
        return self.items.get(deployment_id)

    def finish(self, deployment_id: str, status: str, **kw: Any) -> None:
        self.finished.append((deployment_id, status))

    def remember(self, deployment_id: str, fields: dict[str, Any]) -> None:
        self.remembered.append((deployment_id, fields))


class FakeCleanup:
    def __init__(self) -> None:
        self.deleted: list[str] = []

    def delete(self, names: Any) -> list[str]:
        self.deleted.extend(names)
        return list(self.deleted)

    def remove_for_deployment(self, deployment_id: str) -> list[str]:
        return [deployment_id]


class FakeServing:
    def serving_state(self, endpoint_name: str) -> Any:
        from model_rollout.domain.deployment import ServingState

        return ServingState.model_validate(copy.deepcopy(PREVIOUS) | {"endpoint_tags": V6_TAGS})


def test_deploy_keeps_the_tags_it_replaces_in_the_record_before_moving_the_pointer() -> None:
    sm = FakeSageMaker(endpoint=described_endpoint(OLD, {"blue": 1.0}), endpoint_tags=V6_TAGS)
    records = FakeRecords({})
    deploy(
        _version_doc(),
        endpoints=Endpoints(sm),
        runtime=FakeRuntime(Answer(ok=True)),
        records=records,
    )
    assert records.remembered == [
        (
            "churn-v7-0001",
            {"previous_endpoint_tags": V6_TAGS, "multi_model_target": "churn-v7.tar.gz"},
        )
    ]


def _recover(records: FakeRecords, tags: dict[str, str]) -> tuple[dict[str, Any], FakeSageMaker]:
    from model_rollout.steps.recover_endpoint import recover_endpoint

    sm = FakeSageMaker(endpoint=described_endpoint(OLD, {"blue": 1.0}), endpoint_tags=tags)
    document = recover_endpoint(
        _version_doc(),
        endpoints=Endpoints(sm),
        releases=FakeServing(),
        records=records,  # type: ignore[arg-type]
        alarms=FakeCleanup(),  # type: ignore[arg-type]
        waiters=FakeCleanup(),  # type: ignore[arg-type]
        resource_prefix="mr",
    )
    return document, sm


def test_recovery_moves_back_the_pointer_of_a_version_that_died_mid_way() -> None:
    dead = {**V6_TAGS, "rollout:deployment-id": "dead-1", "rollout:mme-target:churn": "x.tar.gz"}
    records = FakeRecords(
        {
            "dead-1": {
                "status": "RUNNING",
                "previous_endpoint_tags": V6_TAGS,
                "multi_model_target": "x.tar.gz",
            }
        }
    )
    document, sm = _recover(records, dead)
    assert document["recovery"]["action"] == "restore-pointer"
    assert sm.endpoint_tags == V6_TAGS
    assert records.finished == [("dead-1", "ABORTED")]
    assert document["previous"]["endpoint_tags"] == V6_TAGS


@pytest.mark.parametrize(
    "record",
    [
        {"status": "PROMOTED", "previous_endpoint_tags": {}},  # it ended
        {"status": "RUNNING"},  # not a multi-model version deployment
    ],
)
def test_recovery_leaves_the_pointer_of_an_ended_or_other_deployment(
    record: dict[str, Any],
) -> None:
    tags = {**V6_TAGS, "rollout:deployment-id": "other-1"}
    records = FakeRecords({"other-1": record})
    document, sm = _recover(records, tags)
    assert document["recovery"]["action"] == "none"
    assert sm.endpoint_tags == tags and records.finished == []


def test_with_an_approval_step_the_single_traffic_step_changes_nothing() -> None:
    # all_at_once with require_approval walks NextStep → … → AwaitApproval: for a version
    # on a multi-model endpoint its one step ([100] on the serving variant) is already met
    from model_rollout.steps.next_step import next_step

    sm = FakeSageMaker(endpoint=described_endpoint(OLD, {"blue": 1.0}), endpoint_tags=V6_TAGS)
    doc = _version_doc(policy={**POLICY, "require_approval": {"timeout_seconds": 60}})
    step = next_step(doc, endpoints=Endpoints(sm), clock=lambda: 0.0)
    assert (step.percent, step.last, sm.calls) == (100.0, True, [])
