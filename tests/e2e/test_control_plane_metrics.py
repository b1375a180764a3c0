"""The handlers' EMF metrics reach CloudWatch on the local stack, and the template's
control-plane alarm on them fires: a rollback that cannot restore the endpoint sends
``RollbackFailedAlarm`` (``ModelRollout`` ``RollbacksFailed``) to ALARM."""

from __future__ import annotations

from typing import Any

from tests.e2e.scenario import Scenario
from tests.e2e.test_deploy_model import deployment_alarms

from rollout_local.workbench import wait_until

NAMESPACE = "ModelRollout"
SERVICE = [{"Name": "service", "Value": "model-rollout"}]


def listed(scenario: Scenario) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    cloudwatch = scenario.bench.client("cloudwatch")
    metrics = []
    for page in cloudwatch.get_paginator("list_metrics").paginate(Namespace=NAMESPACE):
        for metric in page["Metrics"]:
            dims = tuple(sorted((d["Name"], d["Value"]) for d in metric.get("Dimensions", [])))
            metrics.append((metric["MetricName"], dims))
    return metrics


def rollback_failed_alarm(scenario: Scenario) -> dict[str, Any]:
    pages = scenario.bench.client("cloudwatch").get_paginator("describe_alarms").paginate()
    (alarm,) = [
        a
        for page in pages
        for a in page["MetricAlarms"]
        if (a.get("Namespace"), a.get("MetricName")) == (NAMESPACE, "RollbacksFailed")
    ]
    return dict(alarm)


def test_a_deployment_lists_the_handlers_metrics_once_each(scenario: Scenario) -> None:
    scenario.policy()

    _, execution = scenario.deploy()

    assert execution["status"] == "SUCCEEDED", execution
    metrics = listed(scenario)
    service = (("service", "model-rollout"),)
    # DeployFunction's and AwaitEndpointFunction's counts, as their handlers add them
    assert ("EndpointChanges", service) in metrics
    assert len(metrics) == len(set(metrics)), "a metric is listed once, not per datapoint"


def test_a_rollback_that_fails_sends_the_rollback_failed_alarm_to_alarm(
    scenario: Scenario,
) -> None:
    alarm = rollback_failed_alarm(scenario)
    assert alarm["AlarmActions"], "the alarm notifies the control plane's topic"
    scenario.policy()
    scenario.deploy()
    scenario.policy(strategy={"type": "all_at_once", "bake_seconds": 60})
    previous_config = scenario.endpoint_state()["EndpointConfigName"]  # type: ignore[index]
    v2 = scenario.register()
    scenario.bench.approve(v2)
    execution_arn = scenario.bench.running_execution(v2)
    scenario.bench.wait_for_state(execution_arn, "Watch")
    # the config the rollback must restore is gone: the rollback fails (RollbackFailed)
    scenario.bench.client("sagemaker").delete_endpoint_config(EndpointConfigName=previous_config)
    scenario.bench.client("cloudwatch").set_alarm_state(
        AlarmName=deployment_alarms(scenario.bench, execution_arn)[0],
        StateValue="ALARM",
        StateReason="forced by the test",
    )

    execution = scenario.bench.wait_for_execution(v2)

    assert (execution["status"], execution["error"]) == ("FAILED", "RollbackFailed")
    assert ("RollbacksFailed", (("service", "model-rollout"),)) in listed(scenario)
    fired = wait_until(
        lambda: (a := rollback_failed_alarm(scenario))["StateValue"] == "ALARM" and a,
        timeout=15,
        what="RollbackFailedAlarm in ALARM",
    )
    assert "1 datapoint" in fired["StateReason"] or "Threshold Crossed" in fired["StateReason"]
