"""Policy ``autoscaling`` on the real template: the new variant's target tracking is in place
before it takes traffic, the previous variant's goes with it, and a rollback restores it."""

from __future__ import annotations

from typing import Any

from tests.e2e.scenario import Scenario

from rollout_local.workbench import Workbench

AUTOSCALING = {"min_capacity": 1, "max_capacity": 3, "target_invocations_per_instance": 70}


def targets(bench: Workbench, endpoint: str) -> dict[str, dict[str, Any]]:
    """Scalable targets of the endpoint's variants, with their policies' target values."""
    client = bench.client("application-autoscaling")
    found = {}
    for target in client.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]:
        resource = target["ResourceId"]
        if not resource.startswith(f"endpoint/{endpoint}/variant/"):
            continue
        policies = client.describe_scaling_policies(
            ServiceNamespace="sagemaker", ResourceId=resource
        )["ScalingPolicies"]
        found[resource.rsplit("/", 1)[-1]] = {
            "min": target["MinCapacity"],
            "max": target["MaxCapacity"],
            "targets": [
                p["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] for p in policies
            ],
            "metrics": [
                p["TargetTrackingScalingPolicyConfiguration"]["PredefinedMetricSpecification"][
                    "PredefinedMetricType"
                ]
                for p in policies
            ],
        }
    return found


def registered(policy: dict[str, Any]) -> dict[str, Any]:
    return {
        "min": policy["min_capacity"],
        "max": policy["max_capacity"],
        "targets": [float(policy["target_invocations_per_instance"])],
        "metrics": ["SageMakerVariantInvocationsPerInstance"],
    }


def test_autoscaling_moves_to_the_new_variant_before_its_traffic(scenario: Scenario) -> None:
    scenario.policy(autoscaling=AUTOSCALING)
    _, first = scenario.deploy()
    assert first["status"] == "SUCCEEDED", first
    blue = next(iter(scenario.weights()))
    assert targets(scenario.bench, scenario.endpoint) == {blue: registered(AUTOSCALING)}

    wider = {**AUTOSCALING, "max_capacity": 5}
    scenario.policy(
        autoscaling=wider, strategy={"type": "canary", "percent": 30, "bake_seconds": 2}
    )
    v2 = scenario.register()
    scenario.bench.approve(v2)
    execution_arn = scenario.bench.running_execution(v2)
    scenario.bench.wait_for_state(execution_arn, "NextStep")
    document = scenario.bench.state_output(execution_arn, "Tag")
    assert document is not None
    green = document["release"]["variant_name"]
    # CreateAlarms has run, NextStep (the first traffic) not yet done: green at weight 0
    before_traffic = targets(scenario.bench, scenario.endpoint)
    assert before_traffic[green] == registered(wider)
    execution = scenario.bench.wait_for_execution(v2)

    assert execution["status"] == "SUCCEEDED", execution
    assert scenario.weights() == {green: 1.0}
    assert targets(scenario.bench, scenario.endpoint) == {green: registered(wider)}


def test_a_rollback_restores_the_previous_variants_autoscaling(scenario: Scenario) -> None:
    scenario.policy(autoscaling=AUTOSCALING)
    _, first = scenario.deploy()
    assert first["status"] == "SUCCEEDED", first
    blue = next(iter(scenario.weights()))
    scenario.policy(
        autoscaling=AUTOSCALING, strategy={"type": "canary", "percent": 30, "bake_seconds": 60}
    )

    v2 = scenario.register()
    scenario.bench.approve(v2)
    execution_arn = scenario.bench.running_execution(v2)
    scenario.bench.wait_for_state(execution_arn, "WatchStep")
    document = scenario.bench.state_output(execution_arn, "CreateAlarms")
    assert document is not None
    green = document["release"]["variant_name"]
    assert set(targets(scenario.bench, scenario.endpoint)) == {blue, green}
    scenario.bench.client("cloudwatch").set_alarm_state(
        AlarmName=document["alarms"]["alarm_names"][0],
        StateValue="ALARM",
        StateReason="forced by the test",
    )
    execution = scenario.bench.wait_for_execution(v2)

    assert (execution["status"], execution["error"]) == ("FAILED", "RolledBack")
    assert scenario.weights() == {blue: 1.0}
    assert targets(scenario.bench, scenario.endpoint) == {blue: registered(AUTOSCALING)}
