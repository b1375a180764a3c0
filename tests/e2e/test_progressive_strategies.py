"""Canary and linear deployments on the real template: every step's weights, promotion,
rollback at a step (alarm, live traffic), the low-traffic guard, operator decisions.

Each test asserts the execution's status, error and states, the endpoint's weights while
the execution watches each step (polled with DescribeEndpoint during ``WatchStep``) and its
final config, weights and lineage.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from tests.e2e.scenario import Scenario

from model_rollout.adapters.tasks import TaskTokens
from model_rollout.adapters.waiters import Waiters
from model_rollout.errors import NoDecisionPending
from model_rollout.workflow.decisions import abort, approve, pending, promote
from rollout_local.workbench import Workbench, wait_until

STEP = ["NextStep", "AwaitStep", "WatchStep", "CheckStep", "StepVerdict"]
WATCHING = STEP[:3]  # a step whose watch ended early (alarm, operator)
HEAD = ["Strategy"]  # entered after CreateAlarms; what comes before is all_at_once's
APPROVED = ["AwaitApproval"]
APPROVAL_TIMED_OUT = ["AwaitApproval", "ApprovalTimedOut"]
PROMOTED = ["Promote", "AwaitPromote", "Finalize", "RecordStage", "StageOutcome", "Deployed"]
ROLLED_BACK = [
    "Rollback",
    "AwaitRollbackTraffic",
    "RestoreConfig",
    "AwaitRestore",
    "FinishRollback",
    "RecordStage",
    "StageOutcome",
    "RolledBack",
]


def path(bench: Workbench, execution_arn: str) -> list[str]:
    """The states the execution entered from the strategy's branch on (after CreateAlarms)."""
    states = bench.entered_states(execution_arn)
    assert "CreateAlarms" in states, states
    return states[states.index("CreateAlarms") + 1 :]


def canary(steps: list[float], bake: int = 2, **extra: Any) -> dict[str, Any]:
    return {"type": "canary", "steps": steps, "bake_seconds": bake, **extra}


def serving(scenario: Scenario) -> dict[str, Any]:
    described = scenario.endpoint_state()
    assert described is not None
    return {
        "status": described["EndpointStatus"],
        "config": described["EndpointConfigName"],
        "weights": scenario.weights(),
        "package": scenario.tags().get("rollout:model-package-arn"),
    }


def shares(weights: dict[str, float]) -> dict[str, float]:
    total = sum(weights.values())
    return {name: round(weight / total, 6) for name, weight in weights.items()}


def watch_weights(
    bench: Workbench, execution_arn: str, endpoint: str, *, watches: int, timeout: float = 90
) -> list[dict[str, float]]:
    """The endpoint's traffic shares during each of the first ``watches`` WatchStep entries
    (read with DescribeEndpoint while the execution is in that watch)."""
    seen: list[dict[str, float]] = []
    for number in range(1, watches + 1):

        def entered(n: int = number) -> bool:
            return bench.entered_states(execution_arn).count("WatchStep") >= n

        wait_until(entered, timeout=timeout, interval=0.05, what=f"WatchStep #{number}")
        seen.append(shares(bench.weights(endpoint)))
    return seen


def first_deployment(scenario: Scenario) -> tuple[str, str, dict[str, Any]]:
    """v1 serves alone; returns its ARN, its variant and the endpoint's state."""
    scenario.policy()
    v1, execution = scenario.deploy()
    assert execution["status"] == "SUCCEEDED", execution
    before = serving(scenario)
    return v1, next(iter(before["weights"])), before


def start(scenario: Scenario, **register: Any) -> tuple[str, str]:
    arn = scenario.register(**register)
    scenario.bench.approve(arn)
    return arn, scenario.bench.running_execution(arn)


@pytest.fixture(scope="module")
def decision_services(local_stack: Any) -> tuple[Waiters, TaskTokens]:
    """The operator's side: the deployed waiters table and Step Functions, as a CLI has."""
    table = local_stack.resources["WaitersTable"]
    return (
        Waiters(local_stack.client("dynamodb"), table_name=table),
        TaskTokens(local_stack.client("stepfunctions")),
    )


def test_canary_walks_every_step_then_promotes(scenario: Scenario) -> None:
    v1, blue, _ = first_deployment(scenario)
    scenario.policy(strategy=canary([20, 50]))

    v2, execution_arn = start(scenario, accuracy=0.91)
    during = watch_weights(scenario.bench, execution_arn, scenario.endpoint, watches=3)
    execution = scenario.bench.wait_for_execution(v2)

    assert execution["status"] == "SUCCEEDED", execution
    assert path(scenario.bench, execution_arn) == HEAD + STEP * 3 + PROMOTED
    green = next(v for v in during[0] if v != blue)
    assert during == [
        {green: 0.2, blue: 0.8},
        {green: 0.5, blue: 0.5},
        {green: 1.0, blue: 0.0},
    ]
    after = serving(scenario)
    assert after["weights"] == {green: 1.0}
    assert after["package"] == v2 != v1


def test_linear_adds_step_percent_every_interval(scenario: Scenario) -> None:
    _, blue, _ = first_deployment(scenario)
    scenario.policy(strategy={"type": "linear", "step_percent": 40, "interval_seconds": 2})

    v2, execution_arn = start(scenario)
    during = watch_weights(scenario.bench, execution_arn, scenario.endpoint, watches=3)
    execution = scenario.bench.wait_for_execution(v2)

    assert execution["status"] == "SUCCEEDED", execution
    assert path(scenario.bench, execution_arn) == HEAD + STEP * 3 + PROMOTED
    green = next(v for v in during[0] if v != blue)
    assert during == [
        {green: 0.4, blue: 0.6},
        {green: 0.8, blue: 0.2},
        {green: 1.0, blue: 0.0},
    ]
    assert serving(scenario)["weights"] == {green: 1.0}
    assert serving(scenario)["package"] == v2


def test_canary_alarm_at_the_second_step_rolls_back_to_blue(scenario: Scenario) -> None:
    _, blue, before = first_deployment(scenario)
    scenario.policy(strategy=canary([20, 50], bake=10))

    v2, execution_arn = start(scenario)
    during = watch_weights(scenario.bench, execution_arn, scenario.endpoint, watches=2)
    document = scenario.bench.state_output(execution_arn, "CreateAlarms")
    assert document is not None
    alarm = document["alarms"]["alarm_names"][0]
    scenario.bench.client("cloudwatch").set_alarm_state(
        AlarmName=alarm, StateValue="ALARM", StateReason="forced by the test"
    )
    execution = scenario.bench.wait_for_execution(v2)

    assert (execution["status"], execution["error"]) == ("FAILED", "RolledBack")
    assert alarm in execution["cause"]
    assert path(scenario.bench, execution_arn) == (HEAD + STEP + WATCHING + ROLLED_BACK)
    green = next(v for v in during[0] if v != blue)
    assert during == [{green: 0.2, blue: 0.8}, {green: 0.5, blue: 0.5}]
    assert serving(scenario) == before


def _variant_sum(bench: Workbench, endpoint: str, variant: str, metric: str) -> float:
    now = dt.datetime.now(dt.UTC)
    points = bench.client("cloudwatch").get_metric_statistics(
        Namespace="AWS/SageMaker",
        MetricName=metric,
        Dimensions=[
            {"Name": "EndpointName", "Value": endpoint},
            {"Name": "VariantName", "Value": variant},
        ],
        StartTime=now - dt.timedelta(hours=1),
        EndTime=now + dt.timedelta(minutes=1),
        Period=3600 * 2,
        Statistics=["Sum"],
    )["Datapoints"]
    return float(sum(p["Sum"] for p in points))


def test_canary_rollback_under_live_traffic_fails_only_the_bad_models_requests(
    scenario: Scenario,
) -> None:
    _, blue, before = first_deployment(scenario)
    scenario.policy(strategy=canary([30], bake=60))

    with scenario.bench.traffic(scenario.endpoint, rate_per_second=30) as outcomes:
        v2, execution_arn = start(scenario, error_rate=0.5)
        execution = scenario.bench.wait_for_execution(v2)
        # keep sending while the endpoint settles back on blue
        wait_until(lambda: outcomes[f"{blue}:ok"] > 0, timeout=10, what="blue answers")

    assert (execution["status"], execution["error"]) == ("FAILED", "RolledBack")
    assert "error-rate" in execution["cause"] and "0.05" in execution["cause"]
    assert path(scenario.bench, execution_arn) == HEAD + WATCHING + ROLLED_BACK
    assert serving(scenario) == before
    green = scenario.bench.state_output(execution_arn, "Tag")["release"]["variant_name"]
    # Every request was answered: none found the endpoint unavailable during the rollback.
    assert outcomes["unavailable"] == 0, outcomes
    failed = sum(n for key, n in outcomes.items() if key.endswith(":error"))
    # The only failures are the bad model's own answers, as SageMaker counts them per variant.
    green_errors = _variant_sum(scenario.bench, scenario.endpoint, green, "Invocation5XXErrors")
    blue_errors = _variant_sum(scenario.bench, scenario.endpoint, blue, "Invocation5XXErrors")
    assert failed > 0 and failed == green_errors, (outcomes, green_errors)
    assert blue_errors == 0
    assert outcomes[f"{green}:ok"] > 0 and outcomes[f"{blue}:ok"] > failed


def test_the_step_judge_fails_a_worse_canary_before_its_alarm_could_fire(
    scenario: Scenario,
) -> None:
    """The new model fails half its requests. Its error-rate alarm needs three breaching
    60 s periods; the judge, looking every 2 s at both variants' errors on the same traffic,
    fails the step within seconds, and the alarm never leaves OK."""
    _, _, before = first_deployment(scenario)
    judge = {"look_seconds": 2, "max_error_rate_increase": 0.01}
    scenario.policy(
        strategy=canary([30], bake=120, judge=judge),
        alarms={"max_error_rate": 0.05, "period_seconds": 60, "evaluation_periods": 3},
    )

    with scenario.bench.traffic(scenario.endpoint, rate_per_second=30):
        v2, execution_arn = start(scenario, error_rate=0.5)
        execution = scenario.bench.wait_for_execution(v2, timeout=90)

    assert (execution["status"], execution["error"]) == ("FAILED", "RolledBack")
    assert "the step judge found the new variant worse" in execution["cause"]
    states = path(scenario.bench, execution_arn)
    looks = states.count("CheckStep")  # 2 s each: failed at its first step, within seconds
    look_again = ["WatchStep", "CheckStep", "StepVerdict"]
    assert states == [
        *HEAD,
        "NextStep",
        "AwaitStep",
        *look_again * (looks - 1),
        "WatchStep",
        "CheckStep",
        *ROLLED_BACK,
    ]
    assert looks <= 10, looks
    # ...well before the alarm's three periods: it never fired
    document = scenario.bench.state_output(execution_arn, "CreateAlarms")
    assert document is not None
    cloudwatch = scenario.bench.client("cloudwatch")
    for alarm in document["alarms"]["alarm_names"]:
        history = cloudwatch.describe_alarm_history(AlarmName=alarm, HistoryItemType="StateUpdate")[
            "AlarmHistoryItems"
        ]
        assert not any('"ALARM"' in item["HistoryData"] for item in history), history
    assert serving(scenario) == before


def test_low_traffic_fails_the_step_naming_the_count_and_the_minimum(
    scenario: Scenario,
) -> None:
    _, _, before = first_deployment(scenario)
    scenario.policy(strategy=canary([50], min_invocations=5, on_low_traffic="fail"))

    v2, execution_arn = start(scenario)
    execution = scenario.bench.wait_for_execution(v2)

    assert (execution["status"], execution["error"]) == ("FAILED", "RolledBack")
    assert "LowTraffic" in execution["cause"]
    assert "served 0 invocations" in execution["cause"]
    assert "min_invocations 5" in execution["cause"]
    assert path(scenario.bench, execution_arn) == HEAD + STEP[:4] + ROLLED_BACK
    assert serving(scenario) == before


def test_low_traffic_holds_the_step_until_max_hold_seconds_then_fails(
    scenario: Scenario,
) -> None:
    _, _, before = first_deployment(scenario)
    scenario.policy(strategy=canary([50], min_invocations=5, max_hold_seconds=4))

    v2, execution_arn = start(scenario)
    execution = scenario.bench.wait_for_execution(v2)

    assert (execution["status"], execution["error"]) == ("FAILED", "RolledBack")
    assert "after holding the step 4s (max_hold_seconds 4)" in execution["cause"]
    # watched 2 s, held 2 s, held 2 s more, then the guard gave up
    assert path(scenario.bench, execution_arn) == (HEAD + STEP + STEP[2:] * 2)[:-1] + ROLLED_BACK
    assert serving(scenario) == before


def test_low_traffic_hold_passes_once_the_new_variant_has_served_enough(
    scenario: Scenario,
) -> None:
    _, blue, _ = first_deployment(scenario)
    scenario.policy(strategy=canary([50], min_invocations=10, max_hold_seconds=60))

    v2, execution_arn = start(scenario)

    def held() -> bool:
        step = scenario.bench.state_output(execution_arn, "CheckStep")
        return bool(step and step["step"]["verdict"] == "hold")

    wait_until(held, timeout=60, what="the first step is held for lack of traffic")
    assert shares(scenario.weights())[blue] == 0.5
    with scenario.bench.traffic(scenario.endpoint, rate_per_second=30):
        execution = scenario.bench.wait_for_execution(v2)

    assert execution["status"] == "SUCCEEDED", execution
    checks = [
        e["stateExitedEventDetails"]["output"]
        for e in scenario.bench.history(execution_arn)
        if e.get("stateExitedEventDetails", {}).get("name") == "CheckStep"
    ]
    verdicts = [json.loads(c)["step"]["verdict"] for c in checks]
    assert verdicts[0] == "hold" and verdicts[-2:] == ["pass", "pass"]
    assert all(json.loads(c)["step"]["invocations"] >= 10 for c in checks[-2:])
    assert serving(scenario)["package"] == v2


def test_operator_promote_skips_the_remaining_steps(
    scenario: Scenario, decision_services: tuple[Waiters, TaskTokens]
) -> None:
    waiters, tasks = decision_services
    _, blue, _ = first_deployment(scenario)
    scenario.policy(strategy=canary([10, 50], bake=120))

    v2, execution_arn = start(scenario)
    during = watch_weights(scenario.bench, execution_arn, scenario.endpoint, watches=1)
    deployment_id = execution_arn.rsplit(":", 1)[-1]
    wait_until(lambda: pending(deployment_id, waiters=waiters) == "watch", timeout=10)
    decision = promote(deployment_id, "offline eval is conclusive", waiters=waiters, tasks=tasks)
    execution = scenario.bench.wait_for_execution(v2, timeout=30)

    assert (decision.action, decision.point) == ("promote", "watch")
    assert execution["status"] == "SUCCEEDED", execution
    assert path(scenario.bench, execution_arn) == (HEAD + WATCHING + PROMOTED)
    green = next(v for v in during[0] if v != blue)
    assert during == [{green: 0.1, blue: 0.9}]
    assert serving(scenario)["weights"] == {green: 1.0}
    with pytest.raises(NoDecisionPending):
        promote(deployment_id, "again", waiters=waiters, tasks=tasks)


def test_operator_abort_rolls_back_with_the_reason(
    scenario: Scenario, decision_services: tuple[Waiters, TaskTokens]
) -> None:
    waiters, tasks = decision_services
    _, _, before = first_deployment(scenario)
    scenario.policy(strategy={"type": "linear", "step_percent": 25, "interval_seconds": 120})

    v2, execution_arn = start(scenario)
    watch_weights(scenario.bench, execution_arn, scenario.endpoint, watches=1)
    deployment_id = execution_arn.rsplit(":", 1)[-1]
    wait_until(lambda: pending(deployment_id, waiters=waiters) == "watch", timeout=10)
    abort(deployment_id, "complaints from the support team", waiters=waiters, tasks=tasks)
    execution = scenario.bench.wait_for_execution(v2, timeout=30)

    assert (execution["status"], execution["error"]) == ("FAILED", "RolledBack")
    assert execution["cause"].startswith("aborted by operator: complaints from the support team"), (
        execution["cause"]
    )
    assert path(scenario.bench, execution_arn) == (HEAD + WATCHING + ROLLED_BACK)
    assert serving(scenario) == before


def test_require_approval_waits_for_a_person_then_promotes(
    scenario: Scenario, decision_services: tuple[Waiters, TaskTokens]
) -> None:
    waiters, tasks = decision_services
    first_deployment(scenario)
    scenario.policy(
        strategy={"type": "all_at_once", "bake_seconds": 1},
        require_approval={"timeout_seconds": 120},
    )

    v2, execution_arn = start(scenario)
    scenario.bench.wait_for_state(execution_arn, "AwaitApproval")
    deployment_id = execution_arn.rsplit(":", 1)[-1]
    wait_until(lambda: pending(deployment_id, waiters=waiters) == "approval", timeout=10)
    during = shares(scenario.weights())
    decision = approve(deployment_id, "reviewed by on-call", waiters=waiters, tasks=tasks)
    execution = scenario.bench.wait_for_execution(v2, timeout=30)

    assert decision.point == "approval"
    assert execution["status"] == "SUCCEEDED", execution
    assert path(scenario.bench, execution_arn) == (HEAD + STEP + APPROVED + PROMOTED)
    assert sorted(during.values()) == [0.0, 1.0]  # blue still provisioned while waiting
    assert list(serving(scenario)["weights"].values()) == [1.0]
    assert serving(scenario)["package"] == v2


def test_require_approval_without_a_decision_rolls_back(scenario: Scenario) -> None:
    _, _, before = first_deployment(scenario)
    scenario.policy(strategy=canary([50], bake=1), require_approval={"timeout_seconds": 2})

    v2, execution_arn = start(scenario)
    execution = scenario.bench.wait_for_execution(v2)

    assert (execution["status"], execution["error"]) == ("FAILED", "RolledBack")
    assert "no operator decision within 2s" in execution["cause"], execution["cause"]
    assert path(scenario.bench, execution_arn) == (
        HEAD + STEP * 2 + APPROVAL_TIMED_OUT + ROLLED_BACK
    )
    assert serving(scenario) == before
