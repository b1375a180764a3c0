"""`rollout watch | promote | abort | rollback` against the local stack: operators steer a
deployment only through the state machine; the endpoint's final state shows the effect."""

from __future__ import annotations

import json
from typing import Any

from tests.cli.conftest import Cli
from tests.e2e.scenario import Scenario

LONG_BAKE = {"type": "all_at_once", "bake_seconds": 300}


def start(scenario: Scenario, **register: Any) -> tuple[str, str]:
    """Register and approve a version; its package ARN and deployment id once it bakes."""
    arn = scenario.register(**register)
    scenario.bench.approve(arn)
    execution_arn = scenario.bench.running_execution(arn)
    scenario.bench.wait_for_state(execution_arn, "Watch")
    return arn, execution_arn.rsplit(":", 1)[-1]


def test_watch_follows_a_deployment_until_it_ends(cli: Cli, cli_scenario: Scenario) -> None:
    cli_scenario.policy(strategy={"type": "all_at_once", "bake_seconds": 15})
    arn = cli_scenario.register()
    cli_scenario.bench.approve(arn)
    execution_arn = cli_scenario.bench.running_execution(arn)
    cli_scenario.bench.wait_for_state(execution_arn, "Deploy")
    deployment_id = execution_arn.rsplit(":", 1)[-1]

    result = cli.run("watch", deployment_id, "--json", "--interval", "0.3", "--timeout", "60")

    frames = [json.loads(line) for line in result.stdout.splitlines()]
    assert frames[0]["status"] == "RUNNING" and not frames[0]["ended"]
    last = frames[-1]
    assert (last["status"], last["ended"], last["progress"]) == ("SUCCEEDED", True, 1.0)
    baking = [f for f in frames if f["current_state"] == "Watch"]
    assert baking, [f["current_state"] for f in frames]
    assert all(0 <= f["bake"]["left"] <= 15 for f in baking)
    assert list(baking[0]["weights"]["variants"].values()) == [1.0]
    assert set(baking[0]["alarms"].values()) <= {"OK", "INSUFFICIENT_DATA"}
    assert len(baking[0]["alarms"]) == 2
    steps = [f["step"] for f in frames]
    assert steps == sorted(steps) and last["step"] == last["steps"]
    assert set(last) >= {"deployment_id", "endpoint", "current_state", "weights", "alarms", "bake"}
    assert cli_scenario.tags()["rollout:model-package-arn"] == arn


def test_promote_ends_the_bake_now_and_abort_rolls_back(cli: Cli, cli_scenario: Scenario) -> None:
    cli_scenario.policy(strategy=LONG_BAKE)
    v1, first = start(cli_scenario)
    # a watch with a deadline gives up and says so (exit 2): the bake has ~300 s left
    ran = cli.run("watch", first, "--json", "--timeout", "0.5", "--interval", "0.2", expect=2)
    frames = [json.loads(line) for line in ran.stdout.splitlines()]
    assert frames[-1]["current_state"] == "Watch" and frames[-1]["bake"]["left"] > 200
    assert "still RUNNING" in ran.stderr

    decision = cli.json("promote", first, "--reason", "metrics look fine")

    assert decision["point"] == "watch" and decision["action"] == "promote"
    execution = cli_scenario.bench.wait_for_execution(v1, timeout=30)
    assert execution["status"] == "SUCCEEDED", execution
    watch_output = cli_scenario.bench.state_output(execution["executionArn"], "Watch")
    assert watch_output is not None and watch_output["bake"]["reason"] == "metrics look fine"
    assert cli_scenario.tags()["rollout:model-package-arn"] == v1

    v2, second = start(cli_scenario)
    result = cli.run("abort", second, "-r", "customer complaints")
    assert "abort" in result.stdout

    execution = cli_scenario.bench.wait_for_execution(v2, timeout=30)
    assert (execution["status"], execution["error"]) == ("FAILED", "RolledBack")
    assert "aborted by operator: customer complaints" in execution["cause"]
    assert cli_scenario.tags()["rollout:model-package-arn"] == v1
    assert list(cli_scenario.weights().values()) == [1.0]

    # nothing to decide on a finished deployment: a clear error, nothing sent
    refused = cli.run("promote", second, expect=1)
    assert "not running" in refused.stderr


def test_rollback_redeploys_the_previous_version_through_the_state_machine(
    cli: Cli, cli_scenario: Scenario
) -> None:
    cli_scenario.policy(strategy={"type": "all_at_once", "bake_seconds": 1})
    v1, _ = cli_scenario.deploy(accuracy=0.90)
    v2, _ = cli_scenario.deploy(accuracy=0.91)
    assert cli_scenario.tags()["rollout:model-package-arn"] == v2

    result = cli.json(
        "rollback", cli_scenario.endpoint, "--reason", "drift", "--wait", "--timeout", "60"
    )

    assert result["model_package_arn"] == v1 and result["status"] == "SUCCEEDED"
    assert result["deployment_id"].startswith("rollback-")
    tags = cli_scenario.tags()
    assert tags["rollout:model-package-arn"] == v1
    assert tags["rollout:deployment-id"] == result["deployment_id"]
    assert tags["rollout:git-commit"] == "c0ffee1"
    path = cli_scenario.bench.entered_states(result["execution_arn"])
    assert {"ResolvePolicy", "Validate", "Watch", "Finalize"} <= set(path)
    rows = cli.json("deployments", "--endpoint", cli_scenario.endpoint)
    assert rows[0]["deployment_id"] == result["deployment_id"]
    assert (rows[0]["kind"], rows[0]["status"]) == ("rollback", "PROMOTED")
    lineage = cli.json("lineage", cli_scenario.endpoint)
    assert lineage["serving"]["package"]["model_package_arn"] == v1
    assert result["deployment_id"] in [r["deployment_id"] for r in lineage["rollbacks"]]


def test_rollback_without_an_earlier_version_is_refused(cli: Cli, cli_scenario: Scenario) -> None:
    cli_scenario.policy(strategy={"type": "all_at_once", "bake_seconds": 1})
    cli_scenario.deploy()
    machine = cli_scenario.bench.state_machine_arn()
    sfn = cli_scenario.bench.client("stepfunctions")
    before = len(sfn.list_executions(stateMachineArn=machine)["executions"])

    result = cli.run("rollback", cli_scenario.endpoint, expect=1)

    assert "no earlier version" in result.stderr
    assert len(sfn.list_executions(stateMachineArn=machine)["executions"]) == before
