"""FinishRollback's outcome and cause; Finalize's bookkeeping (adapters stubbed)."""

from __future__ import annotations

import json
from typing import Any

from tests.helpers.rollout_steps import FakeRecords, deployment_document, described_endpoint

from model_rollout.domain.deployment import Deployment, StepFailure
from model_rollout.steps.closing import failure_reason, finish_rollback


class _Alarms:
    def __init__(self) -> None:
        self.deleted: list[str] = []

    def delete(self, names: Any) -> list[str]:
        self.deleted = list(names)
        return self.deleted


class _Waiters:
    def remove_for_deployment(self, deployment_id: str, *, prefix: str = "") -> list[str]:
        return [f"endpoint#{deployment_id}"]


class _Endpoints:
    def __init__(self, described: dict[str, Any] | None) -> None:
        self.described = described

    def describe(self, endpoint_name: str) -> dict[str, Any] | None:
        return self.described


def test_reasons() -> None:
    lambda_cause = json.dumps(
        {"errorMessage": "endpoint fell back", "errorType": "DeploymentFailed"}
    )
    assert failure_reason(StepFailure(Error="DeploymentFailed", Cause=lambda_cause)) == (
        "DeploymentFailed: endpoint fell back"
    )
    assert failure_reason(StepFailure(Error="AlarmFired", Cause="alarm a entered ALARM: x")) == (
        "alarm a entered ALARM: x"
    )
    assert failure_reason(StepFailure(Error="Aborted")) == "aborted by operator"


def _finish(described: dict[str, Any] | None, **kw: Any) -> tuple[Any, FakeRecords, _Alarms]:
    records, alarms = FakeRecords(), _Alarms()
    deployment = Deployment.model_validate(deployment_document(**kw))
    outcome = finish_rollback(
        deployment,
        alarms=alarms,  # type: ignore[arg-type]
        waiters=_Waiters(),  # type: ignore[arg-type]
        endpoints=_Endpoints(described),  # type: ignore[arg-type]
        records=records,
        resource_prefix="mr",
    )
    return outcome, records, alarms


def test_rolled_back_names_the_alarm_value_and_threshold() -> None:
    cause = "alarm mr-churn-prod-x-error-rate entered ALARM: error rate 0.05 > threshold 0.01"
    outcome, records, alarms = _finish(
        None,
        failure={"Error": "AlarmFired", "Cause": cause},
        policy={"endpoint_name": "churn-prod", "alarms": {"extra_alarm_names": ["kpi"]}},
    )
    assert (outcome.status, outcome.error) == ("ROLLED_BACK", "RolledBack")
    assert outcome.cause.startswith(cause)
    assert "churn-prod-config-old serves endpoint churn-prod again" in outcome.cause
    assert records.finished[0]["status"] == "ROLLED_BACK"
    assert "kpi" not in alarms.deleted and len(alarms.deleted) == 2


def test_rollback_failed_states_the_endpoints_actual_state() -> None:
    described = described_endpoint(
        "mr-bake", {"v7": 1.0, "blue": 0.0}, status="Failed", failure_reason="capacity"
    )
    outcome, records, _ = _finish(
        described,
        failure={"Error": "AlarmFired", "Cause": "alarm a entered ALARM"},
        rollback_failure={"Error": "DeploymentFailed", "Cause": json.dumps({"errorMessage": "no"})},
    )
    assert (outcome.status, outcome.error) == ("ROLLBACK_FAILED", "RollbackFailed")
    assert "config mr-bake, status Failed, weights blue=0, v7=1, FailureReason: capacity" in (
        outcome.cause or ""
    )
    assert "Original failure: alarm a entered ALARM" in (outcome.cause or "")
    assert records.finished[0]["error"] == "RollbackFailed"


def test_an_experiments_verdict_is_its_outcome_not_a_failure() -> None:
    outcome, records, _ = _finish(
        None, experiment_end={"status": "SHADOW_COMPLETED", "cause": "shadow comparison passed"}
    )
    assert (outcome.status, outcome.error) == ("SHADOW_COMPLETED", None)
    assert outcome.cause == (
        "shadow comparison passed. "
        "config churn-prod-config-old serves endpoint churn-prod as before"
    )
    finished = records.finished[0]
    assert finished["status"] == "SHADOW_COMPLETED" and finished["error"] is None
    assert "failure" not in finished["details"]
    assert finished["details"]["experiment_end"]["status"] == "SHADOW_COMPLETED"


def test_an_experiment_whose_endpoint_cannot_be_restored_fails_loudly() -> None:
    described = described_endpoint("mr-shadow", {"blue": 1.0}, status="Failed")
    outcome, _, _ = _finish(
        described,
        experiment_end={"status": "INCUMBENT_KEPT", "cause": "A/B test: inconclusive"},
        rollback_failure={"Error": "DeploymentFailed", "Cause": "no"},
    )
    assert (outcome.status, outcome.error) == ("ROLLBACK_FAILED", "RollbackFailed")
    assert "because the experiment ended INCUMBENT_KEPT: A/B test: inconclusive" in (
        outcome.cause or ""
    )
