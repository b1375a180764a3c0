"""Observability of the control plane at the handlers, on moto: every step's structured log
lines carry the deployment id and the model package ARN (appended after parsing), and the
closing steps publish EMF metrics: promoted, rolled back, failed, gate failures, duration."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from tests.helpers.handlers import load_handler
from tests.helpers.lambda_context import FakeLambdaContext
from tests.helpers.moto_env import RolloutWorld, mocked_aws
from tests.helpers.rollout_steps import (
    DEPLOYMENT_ID,
    ENDPOINT,
    PACKAGE_ARN,
    create_waiters_table,
    deployment_document,
)

CONTEXT = FakeLambdaContext()


@pytest.fixture
def world() -> Iterator[RolloutWorld]:
    with mocked_aws() as world:
        create_waiters_table(world.dynamodb)
        yield world


@pytest.fixture
def step_handler() -> Iterator[Any]:
    """Load a step's handler with its log lines going to this test's captured stdout
    (Powertools keeps the handler of the first Logger of a service, created by whichever
    test came first); the handler's stream is put back afterwards."""
    restore: list[tuple[Any, Any]] = []

    def load(step: str) -> Any:
        module = load_handler(step)
        handler = module.logger.registered_handler
        restore.append((handler, handler.stream))
        handler.stream = sys.stdout  # not setStream: it flushes the old stream
        return module.lambda_handler

    yield load
    for handler, stream in reversed(restore):
        handler.stream = stream


def printed(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    lines = []
    for raw in capsys.readouterr().out.splitlines():
        try:
            lines.append(json.loads(raw))
        except ValueError:
            continue
    return lines


def logs(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line for line in lines if "level" in line]


def metrics(lines: list[dict[str, Any]]) -> dict[str, list[float]]:
    found: dict[str, list[float]] = {}
    for line in lines:
        for directive in (line.get("_aws") or {}).get("CloudWatchMetrics", []):
            for metric in directive["Metrics"]:
                value = line[metric["Name"]]
                found.setdefault(metric["Name"], []).extend(
                    value if isinstance(value, list) else [value]
                )
    return found


def test_closing_steps_log_the_deployment_and_publish_outcome_metrics(
    world: RolloutWorld, capsys: pytest.CaptureFixture[str], step_handler: Any
) -> None:
    document = deployment_document(
        failure={"Error": "AlarmFired", "Cause": "alarm x entered ALARM: error rate 0.5 > 0.01"}
    )
    step_handler("finish_rollback")(document, CONTEXT)
    rolled_back = printed(capsys)

    assert logs(rolled_back), rolled_back
    for line in logs(rolled_back):
        assert line["deployment_id"] == DEPLOYMENT_ID
        assert line["model_package_arn"] == PACKAGE_ARN
        assert line["endpoint_name"] == ENDPOINT
        assert line["function_name"] == CONTEXT.function_name
    found = metrics(rolled_back)
    assert found["DeploymentsRolledBack"] == [1.0]
    assert len(found["DeploymentDuration"]) == 1 and found["DeploymentDuration"][0] > 0


def test_an_experiments_verdict_is_counted_as_an_ended_experiment_not_a_rollback(
    world: RolloutWorld, capsys: pytest.CaptureFixture[str], step_handler: Any
) -> None:
    document = deployment_document(
        experiment_end={"status": "INCUMBENT_KEPT", "cause": "the A/B test kept the incumbent"}
    )
    outcome = step_handler("finish_rollback")(document, CONTEXT)
    lines = printed(capsys)

    assert outcome["status"] == "INCUMBENT_KEPT"
    found = metrics(lines)
    assert found["ExperimentsEnded"] == [1.0]
    assert "DeploymentsRolledBack" not in found and "RollbacksFailed" not in found
    messages = [line["message"] for line in logs(lines)]
    assert "experiment ended, the serving model kept" in messages
    assert "deployment rolled back" not in messages


def test_a_gate_failure_is_counted_with_its_duration(
    world: RolloutWorld, capsys: pytest.CaptureFixture[str], step_handler: Any
) -> None:
    document = deployment_document()
    request = {
        "state": document,
        "failure": {"Error": "ValidationFailed", "Cause": "accuracy 0.7 below min_value 0.8"},
        "deployment_id": DEPLOYMENT_ID,
        "execution_arn": document["execution_arn"],
    }
    outcome = step_handler("record_failure")(request, CONTEXT)
    lines = printed(capsys)

    assert outcome["error"] == "ValidationFailed"
    found = metrics(lines)
    assert found["DeploymentsFailed"] == [1.0] and found["GateFailures"] == [1.0]
    assert found["DeploymentDuration"][0] > 0
    for line in logs(lines):
        assert (line["deployment_id"], line["model_package_arn"]) == (DEPLOYMENT_ID, PACKAGE_ARN)


def test_a_failure_that_is_not_the_gate_is_not_a_gate_failure(
    world: RolloutWorld, capsys: pytest.CaptureFixture[str], step_handler: Any
) -> None:
    request = {
        "state": {"detail-type": "nonsense"},
        "failure": {"Error": "InvalidEvent", "Cause": "not an approval"},
        "deployment_id": "d-x",
        "execution_arn": "arn:aws:states:us-east-1:123456789012:execution:m:d-x",
    }
    step_handler("record_failure")(request, CONTEXT)
    found = metrics(printed(capsys))
    assert found["DeploymentsFailed"] == [1.0] and "GateFailures" not in found
