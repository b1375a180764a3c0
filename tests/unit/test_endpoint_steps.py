"""Deploy, Promote, Rollback, RestoreConfig against a fake SageMaker (moto lacks
UpdateEndpoint); each reads the endpoint first and is idempotent."""

from __future__ import annotations

import pytest
from tests.helpers.rollout_steps import (
    PREVIOUS,
    RELEASE,
    FakeSageMaker,
    deployment_document,
    described_endpoint,
)

from model_rollout.adapters.endpoints import Endpoints
from model_rollout.domain.deployment import Deployment, StepFailure
from model_rollout.errors import EndpointConflict, EndpointNotReady
from model_rollout.steps.deploy import deploy
from model_rollout.steps.promote import promote
from model_rollout.steps.restore_config import restore_config
from model_rollout.steps.rollback import rollback

OLD = PREVIOUS["endpoint_config_name"]
BAKE = RELEASE["bake_config_name"]
FINAL = RELEASE["final_config_name"]
GREEN = RELEASE["variant_name"]


def _doc(**kw: object) -> Deployment:
    return Deployment.model_validate(deployment_document(**kw))  # type: ignore[arg-type]


def test_first_deployment_creates_the_endpoint_on_the_final_config_with_lineage() -> None:
    sm = FakeSageMaker(endpoint=None)
    change = deploy(_doc(first=True), endpoints=Endpoints(sm))
    assert sm.calls[0][0] == "create_endpoint"
    assert sm.calls[0][1]["EndpointConfigName"] == FINAL
    assert {"Key": "rollout:git-commit", "Value": "0a1b2c3d"} in sm.calls[0][1]["Tags"]
    assert change.expect.endpoint_config_name == FINAL
    assert change.expect.weights == {GREEN: 1.0}


def test_update_goes_to_the_bake_config_and_tags_the_endpoint() -> None:
    sm = FakeSageMaker(endpoint=described_endpoint(OLD, {"blue": 1.0}))
    change = deploy(_doc(), endpoints=Endpoints(sm))
    assert sm.mutations() == ["update_endpoint", "add_tags"]
    assert sm.calls[0][1] == {"EndpointName": "churn-prod", "EndpointConfigName": BAKE}
    assert sm.endpoint_tags["rollout:deployment-id"] == "churn-v7-0001"
    assert change.action == "update"
    assert change.expect.endpoint_config_name == BAKE


def test_deploy_touches_nothing_when_the_endpoint_is_not_in_service() -> None:
    sm = FakeSageMaker(endpoint=described_endpoint(OLD, {"blue": 1.0}, status="Updating"))
    with pytest.raises(EndpointConflict, match="is Updating, not InService"):
        deploy(_doc(), endpoints=Endpoints(sm))
    assert sm.calls == []


def test_deploy_retry_finds_its_own_update() -> None:
    sm = FakeSageMaker(
        endpoint=described_endpoint(OLD, {"blue": 1.0}, status="Updating", pending_config=BAKE)
    )
    assert deploy(_doc(), endpoints=Endpoints(sm)).expect.endpoint_config_name == BAKE
    assert sm.calls == []


def test_deploy_refuses_an_endpoint_changed_since_the_start() -> None:
    sm = FakeSageMaker(endpoint=described_endpoint("someone-elses", {"x": 1.0}))
    with pytest.raises(EndpointConflict, match="changed since the deployment started"):
        deploy(_doc(), endpoints=Endpoints(sm))
    assert sm.calls == []


def test_promote_updates_to_final_or_expects_it_when_already_there() -> None:
    sm = FakeSageMaker(endpoint=described_endpoint(BAKE, {GREEN: 1.0, "blue": 0.0}))
    assert promote(_doc(), endpoints=Endpoints(sm)).expect.endpoint_config_name == FINAL
    assert sm.calls == [
        ("update_endpoint", {"EndpointName": "churn-prod", "EndpointConfigName": FINAL})
    ]
    first = FakeSageMaker(endpoint=described_endpoint(FINAL, {GREEN: 1.0}))
    change = promote(_doc(first=True), endpoints=Endpoints(first))
    assert (change.action, first.calls) == ("none", [])


def _failed(**kw: object) -> Deployment:
    return _doc(failure=StepFailure(Error="AlarmFired", Cause="alarm x entered ALARM"), **kw)


def test_rollback_shifts_traffic_to_blue_first() -> None:
    sm = FakeSageMaker(endpoint=described_endpoint(BAKE, {GREEN: 1.0, "blue": 0.0}))
    change = rollback(_failed(), endpoints=Endpoints(sm))
    assert sm.calls == [
        (
            "update_endpoint_weights_and_capacities",
            {
                "EndpointName": "churn-prod",
                "DesiredWeightsAndCapacities": [
                    {"VariantName": GREEN, "DesiredWeight": 0.0},
                    {"VariantName": "blue", "DesiredWeight": 1.0},
                ],
            },
        )
    ]
    assert change.expect.weights == {GREEN: 0.0, "blue": 1.0}


def test_rollback_is_idempotent_and_state_based() -> None:
    shifted = FakeSageMaker(endpoint=described_endpoint(BAKE, {GREEN: 0.0, "blue": 1.0}))
    assert rollback(_failed(), endpoints=Endpoints(shifted)).action == "none"
    fell_back = FakeSageMaker(endpoint=described_endpoint(OLD, {"blue": 1.0}))
    change = rollback(_failed(), endpoints=Endpoints(fell_back))
    assert (change.action, change.expect.endpoint_config_name) == ("none", OLD)
    gone = FakeSageMaker(endpoint=None)
    assert rollback(_failed(), endpoints=Endpoints(gone)).expect.absent
    assert shifted.calls == fell_back.calls == gone.calls == []


def test_rollback_waits_for_an_endpoint_still_updating() -> None:
    sm = FakeSageMaker(
        endpoint=described_endpoint(BAKE, {GREEN: 1.0, "blue": 0.0}, status="Updating")
    )
    with pytest.raises(EndpointNotReady):
        rollback(_failed(), endpoints=Endpoints(sm))


def test_restore_config_updates_and_restores_lineage_tags() -> None:
    sm = FakeSageMaker(
        endpoint=described_endpoint(BAKE, {GREEN: 0.0, "blue": 1.0}),
        config_tags={OLD: {"rollout:deployment-id": "churn-v6", "rollout:git-commit": "old"}},
        endpoint_tags={"rollout:deployment-id": "churn-v7-0001", "rollout:build-id": "b7"},
    )
    change = restore_config(_failed(), endpoints=Endpoints(sm))
    assert sm.calls[0] == (
        "update_endpoint",
        {"EndpointName": "churn-prod", "EndpointConfigName": OLD},
    )
    assert sm.endpoint_tags == {"rollout:deployment-id": "churn-v6", "rollout:git-commit": "old"}
    assert change.expect.endpoint_config_name == OLD


def test_restore_config_of_a_first_deployment_deletes_its_endpoint() -> None:
    sm = FakeSageMaker(endpoint=described_endpoint(FINAL, {GREEN: 1.0}))
    change = restore_config(_failed(first=True, previous=None), endpoints=Endpoints(sm))
    assert sm.mutations() == ["delete_endpoint"]
    assert change.expect.absent


def test_restore_config_never_deletes_an_endpoint_it_did_not_create() -> None:
    sm = FakeSageMaker(endpoint=described_endpoint("theirs", {"x": 1.0}))
    change = restore_config(_failed(first=True, previous=None), endpoints=Endpoints(sm))
    assert sm.calls == [] and change.expect.settled
