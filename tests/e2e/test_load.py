"""Load on the local stack: many endpoints at once, and a burst of approvals to one endpoint.

Figures (durations) are printed and quoted in docs/guarantees.md ("Load").
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from tests.e2e.safety_support import (
    Executions,
    concurrently,
    lock_entries,
    records,
    serving,
    state_times,
)
from tests.e2e.scenario import Scenario

from rollout_local.workbench import Workbench

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

ENDPOINTS = 50
BURST = 20


def test_fifty_deployments_to_fifty_endpoints_at_once_all_end_correctly(
    bench: Workbench, local_stack: Any
) -> None:
    machine = local_stack.resources["DeployModelStateMachine"]
    locks = local_stack.resources["EndpointLocksTable"]
    scenarios = [
        Scenario(bench=bench, group=f"load{i}x-g", endpoint=f"load{i}x-e") for i in range(ENDPOINTS)
    ]
    packages = []
    for scenario in scenarios:
        scenario.policy(strategy={"type": "all_at_once", "bake_seconds": 2})
        packages.append(scenario.register())
    started = time.monotonic()
    concurrently([lambda arn=arn: bench.approve(arn) for arn in packages])
    executions = Executions(bench)
    ended = [executions.ended(arn, machine, timeout=600) for arn in packages]
    elapsed = time.monotonic() - started

    assert [e["status"] for e in ended] == ["SUCCEEDED"] * ENDPOINTS
    for scenario, arn, execution in zip(scenarios, packages, ended, strict=True):
        state = serving(scenario)
        assert state["status"] == "InService"
        assert state["tags"]["rollout:model-package-arn"] == arn
        assert state["tags"]["rollout:deployment-id"] == execution["name"]
        assert list(state["weights"].values()) == [1.0]
        assert lock_entries(bench, locks, scenario.endpoint) == []
    print(
        f"\n{ENDPOINTS} deployments to {ENDPOINTS} endpoints at once: all ended in {elapsed:.1f}s"
    )


def test_a_burst_of_approvals_to_one_endpoint_ends_with_the_last_good_version_serving(
    bench: Workbench, local_stack: Any
) -> None:
    machine = local_stack.resources["DeployModelStateMachine"]
    deployments = local_stack.resources["DeploymentsTable"]
    locks = local_stack.resources["EndpointLocksTable"]
    scenario = Scenario(bench=bench, group="burstx-g", endpoint="burstx-e")
    scenario.policy(strategy={"type": "all_at_once", "bake_seconds": 1})
    # the last approved version fails the gate: the one before it must end up serving
    packages = [scenario.register(accuracy=0.5 if i == BURST - 1 else 0.9) for i in range(BURST)]
    started = time.monotonic()
    for arn in packages:  # 20 approvals within a few seconds, in this order
        bench.approve(arn)
        time.sleep(0.15)
    approvals = time.monotonic() - started
    executions = Executions(bench)
    ended = [executions.ended(arn, machine, timeout=900) for arn in packages]
    elapsed = time.monotonic() - started

    statuses = [e["status"] for e in ended]
    assert statuses == ["SUCCEEDED"] * (BURST - 1) + ["FAILED"], statuses
    assert ended[-1]["error"] == "ValidationFailed"
    state = serving(scenario)
    assert state["tags"]["rollout:model-package-arn"] == packages[-2]
    assert list(state["weights"].values()) == [1.0]
    # they held the endpoint one at a time, in approval order
    held = [state_times(bench, e["executionArn"], "AcquireEndpointLock")[1] for e in ended]
    assert held == sorted(held)
    recorded = {r["deployment_id"]: r for r in records(bench, deployments, scenario.endpoint)}
    assert len(recorded) == BURST
    assert [recorded[e["name"]]["status"] for e in ended] == ["PROMOTED"] * (BURST - 1) + ["FAILED"]
    assert lock_entries(bench, locks, scenario.endpoint) == []
    print(
        f"\n{BURST} approvals to one endpoint in {approvals:.1f}s: all ended, serialized, "
        f"in {elapsed:.1f}s"
    )
