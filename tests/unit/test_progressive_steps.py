"""Canary/linear: policy shapes, the traffic plan, NextStep (weight shifts, idempotent),
CheckStep (the low-traffic guard), the release's starting weights, operator decisions."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.helpers.rollout_steps import (
    RELEASE,
    FakeSageMaker,
    FakeTasks,
    deployment_document,
    described_endpoint,
)

from model_rollout.adapters.endpoints import Endpoints
from model_rollout.adapters.waiters import Waiter
from model_rollout.domain.alarm_specs import alarm_specs
from model_rollout.domain.deployment import Deployment, ServingState, VariantRef
from model_rollout.domain.policy import parse_policy, parse_strategy_override
from model_rollout.domain.release import plan_release
from model_rollout.errors import (
    DeploymentFailed,
    EndpointNotReady,
    InvalidPolicy,
    LowTraffic,
    NoDecisionPending,
)
from model_rollout.steps.check_step import check_step
from model_rollout.steps.deploy import deploy
from model_rollout.steps.next_step import next_step
from model_rollout.strategies.progressive import traffic_plan
from model_rollout.workflow.decisions import abort, approval_key, approve, promote

SOURCE = "/model-rollout/policies/churn"
BAKE = RELEASE["bake_config_name"]
GREEN = RELEASE["variant_name"]
BLUE = "blue"
OLD = "churn-prod-config-old"


def strategy(raw: dict[str, Any]) -> Any:
    return parse_strategy_override(json.dumps(raw), source="test")


def doc(strategy_raw: dict[str, Any], *, first: bool = False, **extra: Any) -> Deployment:
    document = deployment_document(first=first, strategy=strategy_raw, **extra)
    if not first:
        document["release"]["previous_variant_name"] = BLUE
    return Deployment.model_validate(document)


# ---------------------------------------------------------------------- policy


@pytest.mark.parametrize(
    ("raw", "plan"),
    [
        ({"type": "canary", "percent": 10}, [10, 100]),
        ({"type": "canary", "steps": [10, 50]}, [10, 50, 100]),
        ({"type": "linear", "step_percent": 25}, [25, 50, 75, 100]),
        ({"type": "linear", "step_percent": 30}, [30, 60, 90, 100]),
        ({"type": "linear", "step_percent": 50}, [50, 100]),
        ({"type": "all_at_once"}, [100]),
    ],
)
def test_the_traffic_plan_ends_with_all_traffic(raw: dict[str, Any], plan: list[float]) -> None:
    assert traffic_plan(strategy(raw)) == plan
    assert traffic_plan(strategy(raw), has_blue=False) == [100]  # a first deployment


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ({"type": "canary", "bake_seconds": 60}, "exactly one of 'percent' or 'steps'"),
        ({"type": "canary", "percent": 10, "steps": [10]}, "exactly one"),
        ({"type": "canary", "steps": [50, 10]}, "must increase"),
        ({"type": "canary", "steps": [10, 100]}, "strictly between 0 and 100"),
        ({"type": "canary", "percent": 100}, "percent"),
        ({"type": "linear", "step_percent": 0}, "step_percent"),
        ({"type": "linear", "step_percent": 10, "interval": 5}, "interval"),
        ({"type": "canary", "percent": 5, "on_low_traffic": "skip"}, "on_low_traffic"),
        ({"type": "blue_green"}, "type"),
    ],
)
def test_invalid_progressive_strategies_are_named(raw: dict[str, Any], fragment: str) -> None:
    with pytest.raises(InvalidPolicy) as raised:
        strategy(raw)
    assert fragment in str(raised.value)


def test_policy_takes_approval_and_missing_data_treatment() -> None:
    policy = parse_policy(
        json.dumps(
            {
                "endpoint_name": "churn-prod",
                "strategy": {"type": "linear", "step_percent": 20, "interval_seconds": 300},
                "alarms": {"treat_missing_data": "breaching"},
                "require_approval": {"timeout_seconds": 900},
            }
        ),
        source=SOURCE,
    )
    assert policy.require_approval is not None
    assert policy.require_approval.timeout_seconds == 900
    assert policy.alarms.treat_missing_data == "breaching"
    assert parse_policy('{"endpoint_name": "e"}', source=SOURCE).require_approval is None
    with pytest.raises(InvalidPolicy, match="treat_missing_data"):
        parse_policy(
            '{"endpoint_name": "e", "alarms": {"treat_missing_data": "zero"}}', source=SOURCE
        )


def test_alarms_treat_missing_data_as_the_policy_says() -> None:
    deployment = doc(
        {"type": "canary", "percent": 10},
        policy={"endpoint_name": "churn-prod", "alarms": {"treat_missing_data": "breaching"}},
    )
    assert {s["TreatMissingData"] for s in alarm_specs(deployment, "mr")} == {"breaching"}


# ---------------------------------------------------------------------- release / deploy


def test_a_canary_release_provisions_green_at_weight_zero_beside_blue() -> None:
    previous = ServingState(
        endpoint_config_name=OLD,
        variants=[VariantRef(variant_name=BLUE, model_name="m-blue", weight=1.0)],
    )
    policy = parse_policy('{"endpoint_name": "churn-prod"}', source=SOURCE)
    kwargs: dict[str, Any] = {
        "deployment_id": "d-1",
        "endpoint_name": "churn-prod",
        "model_package_version": 2,
        "policy": policy,
        "previous": previous,
        "resource_prefix": "mr",
    }
    gradual = plan_release(**kwargs, strategy=strategy({"type": "canary", "percent": 10}))
    at_once = plan_release(**kwargs)
    assert [(v.variant_name, v.weight) for v in gradual.bake_variants] == [
        (gradual.names.variant_name, 0.0),
        (BLUE, 1.0),
    ]
    assert [v.weight for v in at_once.bake_variants] == [1.0, 0.0]
    assert [v.weight for v in gradual.final_variants] == [1.0]


def test_deploying_a_canary_waits_for_blue_to_keep_all_traffic() -> None:
    sm = FakeSageMaker(endpoint=described_endpoint(OLD, {BLUE: 1.0}))
    change = deploy(doc({"type": "canary", "percent": 10}), endpoints=Endpoints(sm))
    assert change.expect.endpoint_config_name == BAKE
    assert change.expect.weights == {GREEN: 0.0, BLUE: 1.0}


# ---------------------------------------------------------------------- NextStep


def test_next_step_shifts_the_weights_and_says_what_to_wait_for() -> None:
    sm = FakeSageMaker(endpoint=described_endpoint(BAKE, {GREEN: 0.0, BLUE: 1.0}))
    step = next_step(
        doc({"type": "canary", "steps": [20, 50], "bake_seconds": 30}),
        endpoints=Endpoints(sm),
        clock=lambda: 1000.0,
    )
    assert sm.calls == [
        (
            "update_endpoint_weights_and_capacities",
            {
                "EndpointName": "churn-prod",
                "DesiredWeightsAndCapacities": [
                    {"VariantName": GREEN, "DesiredWeight": 0.2},
                    {"VariantName": BLUE, "DesiredWeight": 0.8},
                ],
            },
        )
    ]
    assert (step.index, step.count, step.percent, step.last) == (0, 3, 20.0, False)
    assert step.expect.endpoint_config_name == BAKE
    assert step.expect.weights == {GREEN: 0.2, BLUE: 0.8}
    assert (step.bake_seconds, step.watch_seconds, step.started_at) == (30, 30, 1000.0)


def test_next_step_follows_the_previous_one_and_the_last_is_all_traffic() -> None:
    sm = FakeSageMaker(endpoint=described_endpoint(BAKE, {GREEN: 0.5, BLUE: 0.5}))
    first = doc({"type": "canary", "steps": [20, 50]})
    one = next_step(first, endpoints=Endpoints(FakeSageMaker(endpoint=sm.endpoint)))
    two = next_step(
        doc({"type": "canary", "steps": [20, 50]}, step=one.model_copy(update={"index": 1})),
        endpoints=Endpoints(sm),
    )
    assert (two.index, two.percent, two.last) == (2, 100.0, True)
    assert two.weights == {GREEN: 1.0, BLUE: 0.0}
    with pytest.raises(DeploymentFailed, match="has no step 4"):
        next_step(
            doc({"type": "canary", "steps": [20, 50]}, step=two.model_dump()),
            endpoints=Endpoints(sm),
        )


def test_next_step_is_idempotent_and_waits_for_a_change_in_progress() -> None:
    applied = described_endpoint(BAKE, {GREEN: 0.1, BLUE: 0.9})
    sm = FakeSageMaker(endpoint=applied)
    next_step(doc({"type": "canary", "percent": 10}), endpoints=Endpoints(sm))
    assert sm.calls == []  # a retried step finds its shift done

    busy = described_endpoint(BAKE, {GREEN: 0.0, BLUE: 1.0}, status="Updating")
    with pytest.raises(EndpointNotReady):
        next_step(doc({"type": "canary", "percent": 10}), endpoints=Endpoints(FakeSageMaker(busy)))


def test_a_first_deployment_has_one_step_and_nothing_to_shift() -> None:
    final = RELEASE["final_config_name"]
    sm = FakeSageMaker(endpoint=described_endpoint(final, {GREEN: 1.0}))
    step = next_step(doc({"type": "canary", "percent": 10}, first=True), endpoints=Endpoints(sm))
    assert sm.calls == []
    assert (step.count, step.percent, step.last, step.weights) == (1, 100.0, True, {GREEN: 1.0})


# ---------------------------------------------------------------------- CheckStep


class Counts:
    def __init__(self, served: int) -> None:
        self.served = served
        self.asked: list[tuple[str, str, float, float]] = []

    def invocations(self, endpoint_name: str, variant_name: str, start: float, end: float) -> int:
        self.asked.append((endpoint_name, variant_name, start, end))
        return self.served


def watched(raw: dict[str, Any], **step: Any) -> Deployment:
    base = {
        "index": 0,
        "count": 2,
        "percent": 10.0,
        "weights": {GREEN: 0.1, BLUE: 0.9},
        "expect": {"endpoint_config_name": BAKE, "weights": {GREEN: 0.1, BLUE: 0.9}},
        "bake_seconds": 60,
        "watch_seconds": 60,
        "started_at": 1000.0,
        "last": False,
    }
    return doc(raw, step={**base, **step})


def test_without_a_minimum_a_step_passes_without_reading_metrics() -> None:
    counts = Counts(0)
    step = check_step(watched({"type": "canary", "percent": 10}), metrics=counts)
    assert step.verdict == "pass" and counts.asked == []


def test_a_step_passes_when_the_new_variant_served_enough() -> None:
    counts = Counts(25)
    raw = {"type": "canary", "percent": 10, "min_invocations": 20}
    step = check_step(watched(raw), metrics=counts, clock=lambda: 1060.0)
    assert (step.verdict, step.invocations) == ("pass", 25)
    assert counts.asked == [("churn-prod", GREEN, 1000.0, 1060.0)]


def test_too_little_traffic_holds_the_step_up_to_max_hold_seconds() -> None:
    raw = {"type": "canary", "percent": 10, "min_invocations": 20, "max_hold_seconds": 90}
    first = check_step(watched(raw), metrics=Counts(3), clock=lambda: 1060.0)
    assert (first.verdict, first.watch_seconds, first.held_seconds) == ("hold", 60, 60)
    second = check_step(watched(raw, **first.model_dump()), metrics=Counts(7))
    assert (second.verdict, second.watch_seconds, second.held_seconds) == ("hold", 30, 90)
    with pytest.raises(LowTraffic) as raised:
        check_step(watched(raw, **second.model_dump()), metrics=Counts(9), clock=lambda: 1150.0)
    message = str(raised.value)
    assert "served 9 invocations in 150s, below min_invocations 20" in message
    assert "after holding the step 90s (max_hold_seconds 90)" in message
    assert "step 1 of 2 (10% of traffic" in message


def test_on_low_traffic_fail_fails_at_once() -> None:
    raw = {"type": "linear", "step_percent": 50, "min_invocations": 5, "on_low_traffic": "fail"}
    with pytest.raises(LowTraffic, match="served 0 invocations"):
        check_step(watched(raw), metrics=Counts(0), clock=lambda: 1010.0)


# ---------------------------------------------------------------------- decisions


class FakeWaiters:
    def __init__(self, keys: list[str], token: str = "tok") -> None:
        self.waiters = [Waiter(k, token, "d-1", None, 0) for k in keys]
        self.removed: list[str] = []

    def find_for_deployment(self, deployment_id: str, *, prefix: str = "") -> list[Waiter]:
        return [w for w in self.waiters if w.key.startswith(prefix)]

    def remove_for_deployment(self, deployment_id: str, *, prefix: str = "") -> list[str]:
        gone = [w.key for w in self.waiters if w.key.startswith(prefix)]
        self.waiters = [w for w in self.waiters if not w.key.startswith(prefix)]
        self.removed += gone
        return gone


class SpentTasks(FakeTasks):
    def succeed(self, task_token: str, output: dict[str, Any]) -> bool:
        return False


WATCH = ["alarm#a-error-rate", "alarm#a-p99-latency"]


def test_promote_during_a_watch_succeeds_its_token() -> None:
    waiters, tasks = FakeWaiters(WATCH), FakeTasks()
    decision = promote("d-1", "looks good", waiters=waiters, tasks=tasks)  # type: ignore[arg-type]
    assert (decision.action, decision.point) == ("promote", "watch")
    assert tasks.succeeded == [
        ("tok", {"decision": "promote", "reason": "looks good", "point": "watch"})
    ]
    assert sorted(waiters.removed) == sorted(WATCH)


def test_abort_fails_the_token_with_aborted_and_the_reason() -> None:
    tasks = FakeTasks()
    abort("d-1", "bad reviews", waiters=FakeWaiters(WATCH), tasks=tasks)  # type: ignore[arg-type]
    assert tasks.failed == [("tok", "Aborted", "bad reviews")]


def test_approve_only_at_an_approval() -> None:
    tasks = FakeTasks()
    with pytest.raises(NoDecisionPending) as refused:
        approve("d-1", "ok", waiters=FakeWaiters(WATCH), tasks=tasks)  # type: ignore[arg-type]
    # one true reason (it waits in a watch, not at an approval) and what to do instead
    message = str(refused.value)
    assert "in a watch" in message and "not at an approval" in message
    assert "use promote" in message and "approve was not applied" in message
    assert "no step waiting" not in message and "Try again while it bakes" not in message
    assert tasks.succeeded == []
    waiters = FakeWaiters([*WATCH, approval_key("d-1")])
    decision = approve("d-1", "ok", waiters=waiters, tasks=tasks)  # type: ignore[arg-type]
    assert decision.point == "approval" and tasks.succeeded[0][1]["decision"] == "approve"


def test_approve_with_nothing_waiting_says_when_approve_applies() -> None:
    with pytest.raises(NoDecisionPending) as refused:
        approve("d-1", "ok", waiters=FakeWaiters([]), tasks=FakeTasks())  # type: ignore[arg-type]
    message = str(refused.value)
    assert "not waiting for approval" in message and "require_approval" in message
    assert "bakes" not in message  # approving during a bake would be refused too


def test_no_waiting_step_or_a_spent_token_is_no_decision() -> None:
    with pytest.raises(NoDecisionPending, match="no step waiting"):
        promote("d-1", "x", waiters=FakeWaiters([]), tasks=FakeTasks())  # type: ignore[arg-type]
    with pytest.raises(NoDecisionPending, match="just ended"):
        promote("d-1", "x", waiters=FakeWaiters(WATCH), tasks=SpentTasks())  # type: ignore[arg-type]
