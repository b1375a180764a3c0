"""Exactly once, one at a time: duplicate deliveries, re-approvals, queued and stopped
deployments on one endpoint (the real template and state machine on the local stack)."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.e2e.safety_support import (
    approval_detail,
    concurrently,
    ended_executions,
    lock_entries,
    put_event,
    records,
    serving,
    state_times,
)
from tests.e2e.scenario import Scenario

DUPLICATE_PATH = ["ResolvePolicy", "DuplicateIgnored"]


def _tables(local_stack: Any) -> tuple[str, str]:
    return local_stack.resources["DeploymentsTable"], local_stack.resources["EndpointLocksTable"]


def test_one_approval_delivered_many_times_deploys_once(
    scenario: Scenario, local_stack: Any
) -> None:
    deployments, locks = _tables(local_stack)
    scenario.policy()
    arn = scenario.register()
    scenario.bench.approve(arn)  # SageMaker's own event
    detail = approval_detail(scenario.bench, arn)
    # EventBridge redelivers it 5 times at once; SageMaker sends two more events for the
    # same change (other UpdatedModelPackageFields, and one shaped as "created approved").
    copies = [lambda: put_event(scenario.bench, detail) for _ in range(5)]
    copies.append(
        lambda: put_event(
            scenario.bench,
            {**detail, "UpdatedModelPackageFields": ["ModelApprovalStatus", "ApprovalDescription"]},
        )
    )
    created_approved = {k: v for k, v in detail.items() if k != "UpdatedModelPackageFields"}
    copies.append(lambda: put_event(scenario.bench, created_approved))
    concurrently(copies)

    runs = ended_executions(scenario.bench, arn, 8)

    paths = [scenario.bench.entered_states(r["executionArn"]) for r in runs]
    deployed = [r for r, p in zip(runs, paths, strict=True) if p != DUPLICATE_PATH]
    assert len(runs) == 8
    assert len(deployed) == 1, paths
    assert deployed[0]["status"] == "SUCCEEDED"
    assert all(r["status"] == "SUCCEEDED" for r in runs)  # repeats end as DuplicateIgnored
    state = serving(scenario)
    assert state["tags"]["rollout:model-package-arn"] == arn
    assert state["tags"]["rollout:deployment-id"] == deployed[0]["name"]
    assert list(state["weights"].values()) == [1.0]
    recorded = records(scenario.bench, deployments, scenario.endpoint)
    assert [r["deployment_id"] for r in recorded] == [deployed[0]["name"]]
    assert lock_entries(scenario.bench, locks, scenario.endpoint) == []


def test_re_approval_after_a_rejection_is_a_new_deployment(
    scenario: Scenario, local_stack: Any
) -> None:
    deployments, _ = _tables(local_stack)
    scenario.policy()
    arn, first = scenario.deploy()
    assert first["status"] == "SUCCEEDED", first
    scenario.bench.set_approval(arn, "Rejected")
    # a rejection starts nothing; the same version approved again later deploys again
    scenario.bench.approve(arn)
    second = scenario.bench.wait_for_execution(arn, started_after=1)

    assert second["status"] == "SUCCEEDED", second
    assert second["name"] != first["name"]
    assert len(scenario.bench.executions_for(arn)) == 2
    assert scenario.tags()["rollout:deployment-id"] == second["name"]
    recorded = records(scenario.bench, deployments, scenario.endpoint)
    assert sorted(r["deployment_id"] for r in recorded) == sorted([first["name"], second["name"]])
    assert {r["status"] for r in recorded} == {"PROMOTED"}


def test_deployments_to_one_endpoint_run_one_at_a_time_in_approval_order(
    scenario: Scenario, local_stack: Any
) -> None:
    _, locks = _tables(local_stack)
    scenario.policy(strategy={"type": "all_at_once", "bake_seconds": 2})
    scenario.deploy()
    v2, v3 = scenario.register(), scenario.register()
    scenario.bench.approve(v2)
    scenario.bench.approve(v3)
    run2 = scenario.bench.wait_for_execution(v2)
    run3 = scenario.bench.wait_for_execution(v3)

    assert run2["status"] == run3["status"] == "SUCCEEDED", (run2, run3)
    # v3 got the endpoint only once v2 had finished with it (v2's Finalize releases the lock
    # and hands it over, so v3's AcquireEndpointLock may end before Finalize's own exit),
    # and deployed on top of v2
    v2_finalizing, _ = state_times(scenario.bench, run2["executionArn"], "Finalize")
    v3_entered, v3_acquired = state_times(
        scenario.bench, run3["executionArn"], "AcquireEndpointLock"
    )
    assert v3_entered < v2_finalizing <= v3_acquired
    v2_final = scenario.bench.state_output(run2["executionArn"], "Tag")
    v3_start = scenario.bench.state_output(run3["executionArn"], "RecoverEndpoint")
    assert v2_final is not None and v3_start is not None
    assert v3_start["previous"]["endpoint_config_name"] == v2_final["release"]["final_config_name"]
    assert serving(scenario)["tags"]["rollout:model-package-arn"] == v3
    assert lock_entries(scenario.bench, locks, scenario.endpoint) == []


def test_a_stopped_deployment_cannot_hold_the_endpoint_and_is_repaired(
    scenario: Scenario, local_stack: Any
) -> None:
    deployments, locks = _tables(local_stack)
    scenario.policy(
        strategy={"type": "all_at_once", "bake_seconds": 300}, allow_strategy_override=True
    )
    _, first = scenario.deploy(metadata={**_lineage(1), "rollout:strategy": _bake(2)})
    before = serving(scenario)
    v2 = scenario.register()  # bakes for 300 s: it will be stopped mid-bake
    scenario.bench.approve(v2)
    run2 = scenario.bench.running_execution(v2)
    scenario.bench.wait_for_state(run2, "Watch")
    during_bake = serving(scenario)
    v3 = scenario.register(metadata={**_lineage(3), "rollout:strategy": _bake(2)})
    scenario.bench.approve(v3)
    run3 = scenario.bench.running_execution(v3)
    scenario.bench.wait_for_state(run3, "AcquireEndpointLock")
    stopped_at = time.monotonic()
    scenario.bench.client("stepfunctions").stop_execution(executionArn=run2, cause="operator")
    scenario.bench.wait_for_state(run3, "RecoverEndpoint", timeout=30)
    takeover = time.monotonic() - stopped_at
    ended = scenario.bench.wait_for_execution(v3)

    assert len(during_bake["weights"]) == 2  # v2 left its bake config (blue + green)
    assert ended["status"] == "SUCCEEDED", ended
    recovered = scenario.bench.state_output(ended["executionArn"], "RecoverEndpoint")
    assert recovered is not None
    assert recovered["recovery"]["action"] == "restore"
    assert recovered["previous"]["endpoint_config_name"] == before["config"]
    by_id = {r["deployment_id"]: r for r in records(scenario.bench, deployments, scenario.endpoint)}
    v2_name = run2.rsplit(":", 1)[-1]
    assert by_id[v2_name]["status"] == "ABORTED"
    assert by_id[ended["name"]]["status"] == "PROMOTED"
    assert by_id[first["name"]]["status"] == "PROMOTED"
    after = serving(scenario)
    assert after["tags"]["rollout:model-package-arn"] == v3
    assert list(after["weights"].values()) == [1.0]
    # the stopped deployment's alarms are gone, and so is every lock entry
    alarms = scenario.bench.client("cloudwatch").describe_alarms(
        AlarmNamePrefix=f"model-rollout-{scenario.endpoint}"
    )
    assert alarms["MetricAlarms"] == []
    assert lock_entries(scenario.bench, locks, scenario.endpoint) == []
    assert takeover < 15, f"took {takeover:.1f}s to take over from a stopped deployment"
    print(f"\nendpoint taken over {takeover:.1f}s after StopExecution of its holder")


def test_a_waiting_deployment_costs_no_transitions_while_it_waits(
    scenario: Scenario,
) -> None:
    scenario.policy(strategy={"type": "all_at_once", "bake_seconds": 8})
    scenario.deploy()
    v2, v3 = scenario.register(), scenario.register()
    scenario.bench.approve(v2)
    run2 = scenario.bench.running_execution(v2)
    scenario.bench.wait_for_state(run2, "Watch")
    scenario.bench.approve(v3)
    run3 = scenario.bench.wait_for_execution(v3, timeout=120)

    assert run3["status"] == "SUCCEEDED", run3
    entered, acquired = state_times(scenario.bench, run3["executionArn"], "AcquireEndpointLock")
    waited = (acquired - entered).total_seconds()
    history = scenario.bench.history(run3["executionArn"])
    entries = [
        e
        for e in history
        if e.get("stateEnteredEventDetails", {}).get("name") == "AcquireEndpointLock"
    ]
    rechecks = [e for e in history if e["type"] == "TaskTimedOut"]
    # One state entry. While it waits, the execution only re-checks its holder once per poll
    # period (2 s on the test stack, 300 s deployed), each re-check within a second of the
    # last one's timeout; the hand-over itself is an event, so the re-checks do not depend
    # on how long the holder takes.
    assert waited > 3, f"v3 should have waited for v2's bake, waited {waited:.1f}s"
    assert len(entries) == 1
    assert len(rechecks) <= waited / 2 + 1, (len(rechecks), waited)


def _lineage(version: int) -> dict[str, str]:
    return {
        "git_commit": f"c0ffee{version}",
        "data_version": f"data-{version}",
        "build_id": f"build-{version}",
    }


def _bake(seconds: int) -> str:
    return json.dumps({"type": "all_at_once", "bake_seconds": seconds})
