"""The await states' check: DescribeEndpoint against what a step asked for."""

from __future__ import annotations

import pytest
from tests.helpers.rollout_steps import described_endpoint

from model_rollout.domain.deployment import Expectation
from model_rollout.domain.expectation import check, normalize_status, summarize
from model_rollout.errors import DeploymentFailed

BAKE = "cfg-bake"
OLD = "cfg-old"


def test_met_when_in_service_on_the_expected_config_and_shares() -> None:
    expect = Expectation(endpoint_config_name=BAKE, weights={"green": 1.0})
    assert check(expect, described_endpoint(BAKE, {"green": 1.0, "blue": 0.0})) == "met"


@pytest.mark.parametrize("status", ["Creating", "Updating", "SystemUpdating", "RollingBack"])
def test_pending_while_the_endpoint_changes(status: str) -> None:
    # during an update DescribeEndpoint still shows the old config: not a fallback
    described = described_endpoint(OLD, {"blue": 1.0}, status=status)
    assert check(Expectation(endpoint_config_name=BAKE), described) == "pending"


def test_silent_fallback_names_the_config_and_the_failure_reason() -> None:
    described = described_endpoint(
        OLD,
        {"blue": 1.0},
        failure_reason="The primary container for production variant "
        "green did not pass the ping health check.",
    )
    with pytest.raises(DeploymentFailed) as raised:
        check(Expectation(endpoint_config_name=BAKE), described)
    message = str(raised.value)
    assert f"InService on config {OLD}, not on the requested {BAKE}" in message
    assert "fell back" in message
    assert "did not pass the ping health check" in message


def test_failed_endpoint_raises_with_its_reason() -> None:
    described = described_endpoint(BAKE, {"green": 1.0}, status="Failed", failure_reason="quota")
    with pytest.raises(DeploymentFailed, match=r"is Failed.*FailureReason: quota"):
        check(Expectation(endpoint_config_name=BAKE), described)


def test_weights_not_as_requested() -> None:
    described = described_endpoint(BAKE, {"green": 1.0, "blue": 1.0})
    with pytest.raises(DeploymentFailed, match="weights blue=1, green=1, not the requested"):
        check(
            Expectation(endpoint_config_name=BAKE, weights={"blue": 1.0, "green": 0.0}), described
        )


def test_weights_compare_as_shares() -> None:
    described = described_endpoint(BAKE, {"green": 3.0, "blue": 1.0})
    assert check(Expectation(weights={"green": 0.75, "blue": 0.25}), described) == "met"


def test_missing_variant() -> None:
    with pytest.raises(DeploymentFailed, match="has no variant blue"):
        check(Expectation(weights={"blue": 1.0}), described_endpoint(BAKE, {"green": 1.0}))


def test_absent() -> None:
    assert check(Expectation(absent=True), None) == "met"
    deleting = described_endpoint(BAKE, {"green": 1.0}, status="Deleting")
    assert check(Expectation(absent=True), deleting) == "met"
    with pytest.raises(DeploymentFailed, match="still exists"):
        check(Expectation(absent=True), described_endpoint(BAKE, {"green": 1.0}))


def test_missing_endpoint_when_expected() -> None:
    with pytest.raises(DeploymentFailed, match="does not exist"):
        check(Expectation(endpoint_config_name=BAKE), None)


def test_settled_accepts_any_resting_state() -> None:
    failed = described_endpoint(BAKE, {"green": 1.0}, status="Failed")
    assert check(Expectation(settled=True), failed) == "met"
    updating = described_endpoint(BAKE, {"green": 1.0}, status="Updating")
    assert check(Expectation(settled=True), updating) == "pending"


def test_event_statuses_normalize() -> None:
    assert normalize_status("IN_SERVICE") == "InService"
    assert normalize_status("UPDATE_ROLLBACK_FAILED") == "UpdateRollbackFailed"
    assert normalize_status("InService") == "InService"


def test_summary_is_small() -> None:
    summary = summarize(described_endpoint(BAKE, {"green": 1.0, "blue": 0.0}))
    assert summary["endpoint_config_name"] == BAKE
    assert summary["status"] == "InService"
    assert {v["variant_name"]: v["current_weight"] for v in summary["variants"]} == {
        "green": 1.0,
        "blue": 0.0,
    }
