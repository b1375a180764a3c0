"""Every execution path of the deploy-model state machine, on the real template.

Each test asserts the execution's status, error and history *and* the endpoint's final
config, weights and tags.
"""

from __future__ import annotations

import json
from typing import Any

from tests.e2e.scenario import Scenario

from rollout_local.workbench import Workbench

HAPPY_PATH = [
    "ResolvePolicy",
    "AcquireEndpointLock",
    "RecoverEndpoint",
    "AwaitRecovery",
    "FixedSetGate",
    "Validate",
    "Tag",
    "Deploy",
    "AwaitDeploy",
    "CreateAlarms",
    "Strategy",
    "Watch",
    "Promote",
    "AwaitPromote",
    "Finalize",
    "RecordStage",
    "StageOutcome",
    "Deployed",
]
ROLLBACK_PATH = [
    "Rollback",
    "AwaitRollbackTraffic",
    "RestoreConfig",
    "AwaitRestore",
    "FinishRollback",
    "RecordStage",
    "StageOutcome",
    "RolledBack",
]


def serving(scenario: Scenario) -> dict[str, Any]:
    """The endpoint's config, weights and lineage tags: what a rollback must restore."""
    described = scenario.endpoint_state()
    assert described is not None, f"endpoint {scenario.endpoint} does not exist"
    return {
        "status": described["EndpointStatus"],
        "config": described["EndpointConfigName"],
        "weights": scenario.weights(),
        "package": scenario.tags().get("rollout:model-package-arn"),
    }


def deployment_alarms(bench: Workbench, execution_arn: str) -> list[str]:
    document = bench.state_output(execution_arn, "CreateAlarms")
    assert document is not None
    return list(document["alarms"]["alarm_names"])


def test_first_approval_creates_the_endpoint_with_lineage(scenario: Scenario) -> None:
    scenario.policy()
    arn, execution = scenario.deploy()

    assert execution["status"] == "SUCCEEDED", execution
    assert scenario.bench.entered_states(execution["executionArn"]) == HAPPY_PATH
    state = serving(scenario)
    assert state["status"] == "InService"
    assert list(state["weights"].values()) == [1.0]
    tags = scenario.tags()
    assert tags["rollout:model-package-arn"] == arn
    assert tags["rollout:git-commit"] == "c0ffee1"
    assert tags["rollout:data-version"] == "data-1"
    assert tags["rollout:build-id"] == "build-1"
    assert tags["rollout:deployment-id"] == execution["name"]
    # The Model and the EndpointConfig carry the same lineage.
    sagemaker = scenario.bench.client("sagemaker")
    config = sagemaker.describe_endpoint_config(EndpointConfigName=state["config"])
    for resource_arn in (
        config["EndpointConfigArn"],
        sagemaker.describe_model(ModelName=config["ProductionVariants"][0]["ModelName"])[
            "ModelArn"
        ],
    ):
        resource_tags = {
            t["Key"]: t["Value"] for t in sagemaker.list_tags(ResourceArn=resource_arn)["Tags"]
        }
        assert resource_tags["rollout:model-package-arn"] == arn
        assert resource_tags["rollout:git-commit"] == "c0ffee1"
    # The deployment's alarms are gone once it is promoted.
    alarms = deployment_alarms(scenario.bench, execution["executionArn"])
    described = scenario.bench.client("cloudwatch").describe_alarms(AlarmNames=alarms)
    assert described["MetricAlarms"] == []


def test_next_approval_cuts_over_keeps_blue_during_the_bake_then_promotes(
    scenario: Scenario,
) -> None:
    scenario.policy(strategy={"type": "all_at_once", "bake_seconds": 4})
    v1, _ = scenario.deploy()
    before = serving(scenario)

    v2 = scenario.register(accuracy=0.91)
    scenario.bench.approve(v2)
    execution_arn = scenario.bench.running_execution(v2)
    scenario.bench.wait_for_state(execution_arn, "Watch")
    during_bake = scenario.weights()
    execution = scenario.bench.wait_for_execution(v2)

    assert execution["status"] == "SUCCEEDED", execution
    # Blue (v1) stayed provisioned at weight 0 while green took all traffic.
    assert sorted(during_bake.values()) == [0.0, 1.0]
    assert during_bake[next(iter(before["weights"]))] == 0.0
    after = serving(scenario)
    assert after["config"] != before["config"]
    assert list(after["weights"].values()) == [1.0]
    assert after["package"] == v2 != v1


def test_rejections_name_their_error_and_leave_the_serving_endpoint_as_it_was(
    scenario: Scenario,
) -> None:
    """A worse model, missing lineage metadata and an invalid policy, one after the other
    against one serving endpoint: each is refused by name before the endpoint is touched."""
    scenario.policy()
    scenario.deploy(accuracy=0.9)
    before = serving(scenario)

    _, worse = scenario.deploy(accuracy=0.85)
    assert (worse["status"], worse["error"]) == ("FAILED", "ValidationFailed")
    for fragment in ("accuracy", "0.85", "0.9", "0.02"):
        assert fragment in worse["cause"], worse["cause"]
    assert "Deploy" not in scenario.bench.entered_states(worse["executionArn"])
    assert serving(scenario) == before

    _, unlabelled = scenario.deploy(metadata={"git_commit": "abc123", "build_id": "b-9"})
    assert (unlabelled["status"], unlabelled["error"]) == ("FAILED", "ValidationFailed")
    assert "data_version" in unlabelled["cause"]
    assert serving(scenario) == before

    scenario.bench.put_policy(
        scenario.group, {**scenario.policy(), "strategy": {"type": "all_at_once", "bake": 5}}
    )
    _, invalid = scenario.deploy()
    assert (invalid["status"], invalid["error"]) == ("FAILED", "InvalidPolicy")
    assert "strategy" in invalid["cause"] and "bake" in invalid["cause"]
    assert serving(scenario) == before


def test_gate_rejects_a_first_model_below_min_value(scenario: Scenario) -> None:
    scenario.policy()
    _, execution = scenario.deploy(accuracy=0.7)

    assert (execution["status"], execution["error"]) == ("FAILED", "ValidationFailed")
    assert "0.7" in execution["cause"] and "0.8" in execution["cause"]
    assert scenario.endpoint_state() is None


def test_group_without_policy_fails_with_policy_not_found(scenario: Scenario) -> None:
    _, execution = scenario.deploy()

    assert (execution["status"], execution["error"]) == ("FAILED", "PolicyNotFound")
    assert scenario.group in execution["cause"]
    assert scenario.endpoint_state() is None


def test_error_alarm_under_live_traffic_rolls_back_to_the_previous_model(
    scenario: Scenario,
) -> None:
    scenario.policy()
    v1, _ = scenario.deploy()
    before = serving(scenario)
    scenario.policy(strategy={"type": "all_at_once", "bake_seconds": 60})

    with scenario.bench.traffic(scenario.endpoint, rate_per_second=30):
        _, execution = scenario.deploy(error_rate=0.5)

    assert (execution["status"], execution["error"]) == ("FAILED", "RolledBack")
    assert "error-rate" in execution["cause"] and "0.05" in execution["cause"]
    states = scenario.bench.entered_states(execution["executionArn"])
    assert "Watch" in states
    assert states[-len(ROLLBACK_PATH) :] == ROLLBACK_PATH
    assert serving(scenario) == before
    assert before["package"] == v1


def test_update_that_silently_falls_back_is_a_failure_not_a_success(
    scenario: Scenario,
) -> None:
    scenario.policy()
    scenario.deploy()
    before = serving(scenario)

    _, execution = scenario.deploy(fail_to_start=True)

    assert (execution["status"], execution["error"]) == ("FAILED", "RolledBack")
    assert "DeploymentFailed" in execution["cause"]
    assert "CreateAlarms" not in scenario.bench.entered_states(execution["executionArn"])
    assert serving(scenario) == before


def test_rollback_that_cannot_restore_fails_loudly_with_the_endpoint_state(
    scenario: Scenario,
) -> None:
    scenario.policy()
    scenario.deploy()
    scenario.policy(strategy={"type": "all_at_once", "bake_seconds": 60})
    previous_config = serving(scenario)["config"]
    v2 = scenario.register()
    scenario.bench.approve(v2)
    execution_arn = scenario.bench.running_execution(v2)
    scenario.bench.wait_for_state(execution_arn, "Watch")
    # Someone removed the config the rollback must restore.
    sagemaker = scenario.bench.client("sagemaker")
    sagemaker.delete_endpoint_config(EndpointConfigName=previous_config)
    alarm = deployment_alarms(scenario.bench, execution_arn)[0]
    scenario.bench.client("cloudwatch").set_alarm_state(
        AlarmName=alarm, StateValue="ALARM", StateReason="forced by the test"
    )

    execution = scenario.bench.wait_for_execution(v2)

    assert (execution["status"], execution["error"]) == ("FAILED", "RollbackFailed")
    assert previous_config in execution["cause"]
    assert "InService" in execution["cause"]
    # Traffic was moved back to blue before the restore failed.
    weights = scenario.weights()
    assert sorted(weights.values()) == [0.0, 1.0]


def test_state_transitions_do_not_grow_with_the_bake(bench: Workbench, scenario: Scenario) -> None:
    scenario.policy(strategy={"type": "all_at_once", "bake_seconds": 1})
    _, short = scenario.deploy()
    scenario.policy(strategy={"type": "all_at_once", "bake_seconds": 8})
    _, long = scenario.deploy()

    assert short["status"] == long["status"] == "SUCCEEDED"
    assert len(bench.history(short["executionArn"])) == len(bench.history(long["executionArn"]))


def test_only_a_transition_into_approved_starts_a_deployment(scenario: Scenario) -> None:
    scenario.policy()
    rejected = scenario.register()
    scenario.bench.set_approval(rejected, "Rejected")
    approved, execution = scenario.deploy()
    assert execution["status"] == "SUCCEEDED"

    # A metadata-only update of the approved package re-emits Approved: no new deployment.
    scenario.bench.client("sagemaker").update_model_package(
        ModelPackageArn=approved, CustomerMetadataProperties={"note": "reviewed"}
    )
    # Approving another version afterwards is the sentinel: once it has been deployed,
    # the metadata event (emitted earlier) has long been routed.
    _, sentinel = scenario.deploy()
    assert sentinel["status"] == "SUCCEEDED"
    assert len(scenario.bench.executions_for(approved)) == 1
    assert scenario.bench.executions_for(rejected) == []
    # (rejected, then approved again later, is a new deployment: test_delivery_and_serialization)


def json_input(execution: dict[str, Any]) -> dict[str, Any]:
    return dict(json.loads(execution["input"]))
