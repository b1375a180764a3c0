"""The stock AWS CLI v1 on the local stack: the user story's reads, as a user types them.

The story (``conftest.story``: register, approve, watch a deployment, then a faulty version
rolled back) was driven with the CLI; these tests read its results back with the CLI and
assert AWS's documented answers.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from .conftest import GROUP, Cli, Story

pytestmark = [pytest.mark.slow, pytest.mark.stack]
CLIENT = [f"aws-cli{GROUP}"]
#: the AWS CLI v1's exit status for an error the service answered (v2's is 254)
SERVICE_ERROR = 255


def _rolled_back(story: Story) -> dict[str, Any]:
    return story.executions[-1]


def _alarm_names(cli: Cli, execution_arn: str) -> list[str]:
    """The deployment's alarms, as its history shows them (CreateAlarms' output)."""
    events = cli("stepfunctions", "get-execution-history", "--execution-arn", execution_arn)[
        "events"
    ]
    exited = [
        e["stateExitedEventDetails"]
        for e in events
        if e.get("stateExitedEventDetails", {}).get("name") == "CreateAlarms"
    ]
    assert exited, "no CreateAlarms state in the history"
    return list(json.loads(exited[-1]["output"])["alarms"]["alarm_names"])


@pytest.mark.parametrize("client", CLIENT)
def test_the_cli_is_the_pinned_stock_v1(cli: Cli, client: str) -> None:
    version = cli.run("--version")
    assert version.returncode == 0
    assert (version.stdout + version.stderr).startswith("aws-cli/1.46.")


@pytest.mark.parametrize("client", CLIENT)
def test_registry_as_the_cli_reads_it(cli: Cli, story: Story, client: str) -> None:
    listed = cli("sagemaker", "list-model-packages", "--model-package-group-name", story.group)[
        "ModelPackageSummaryList"
    ]
    assert sorted(p["ModelPackageArn"] for p in listed) == sorted(story.packages)
    first = cli("sagemaker", "describe-model-package", "--model-package-name", story.packages[0])
    assert first["ModelApprovalStatus"] == "Approved"
    assert first["ApprovalDescription"] == "approved with the AWS CLI"
    assert first["ModelPackageName"] == story.group  # required by the output shape
    assert first["CustomerMetadataProperties"]["git_commit"] == "c0ffee1"
    # a second CreateModelPackageGroup of the name is refused, as on AWS
    again = cli.run(
        "sagemaker", "create-model-package-group", "--model-package-group-name", story.group
    )
    assert again.returncode == SERVICE_ERROR, again.stderr
    assert "(ValidationException)" in again.stderr
    assert "Model Package Group already exists: arn:aws:sagemaker:" in again.stderr


@pytest.mark.parametrize("client", CLIENT)
def test_executions_as_the_cli_watches_them(cli: Cli, story: Story, client: str) -> None:
    deployed, rolled_back = story.executions
    assert deployed["status"] == "SUCCEEDED"
    assert (rolled_back["status"], rolled_back["error"]) == ("FAILED", "RolledBack")
    assert "error-rate entered ALARM" in rolled_back["cause"]
    assert rolled_back["redriveStatus"] == "REDRIVABLE" and rolled_back["redriveCount"] == 0
    assert deployed["redriveStatus"] == "NOT_REDRIVABLE"
    arn = rolled_back["executionArn"]
    latest = cli(
        "stepfunctions",
        "get-execution-history",
        "--execution-arn",
        arn,
        "--reverse-order",
        "--no-include-execution-data",
        "--max-items",
        "3",
    )
    assert latest["events"][0]["type"] == "ExecutionFailed"
    assert latest["events"][0]["executionFailedEventDetails"]["error"] == "RolledBack"
    assert "NextToken" in latest
    for event in latest["events"]:
        for key, details in event.items():
            if key.endswith("EventDetails"):
                assert "input" not in details and "output" not in details
    everything = cli("stepfunctions", "get-execution-history", "--execution-arn", arn)["events"]
    paged = cli(
        "stepfunctions", "get-execution-history", "--execution-arn", arn, "--page-size", "7"
    )["events"]
    assert [e["id"] for e in paged] == [e["id"] for e in everything]
    machines = cli("stepfunctions", "list-state-machines")["stateMachines"]
    assert {m["type"] for m in machines} == {"STANDARD"}
    described = cli(
        "stepfunctions", "describe-state-machine", "--state-machine-arn", story.machine_arn
    )
    assert described["tracingConfiguration"] == {"enabled": True}


@pytest.mark.parametrize("client", CLIENT)
def test_endpoint_config_model_and_tags(cli: Cli, story: Story, client: str) -> None:
    endpoint = cli("sagemaker", "describe-endpoint", "--endpoint-name", story.endpoint)
    assert endpoint["EndpointStatus"] == "InService"
    config = cli(
        "sagemaker",
        "describe-endpoint-config",
        "--endpoint-config-name",
        endpoint["EndpointConfigName"],
    )
    assert "DataCaptureConfig" not in config
    model_name = config["ProductionVariants"][0]["ModelName"]
    model = cli("sagemaker", "describe-model", "--model-name", model_name)
    assert "VpcConfig" not in model
    assert {} not in model.values() and [] not in model.values()
    tags = cli("sagemaker", "list-tags", "--resource-arn", endpoint["EndpointArn"])["Tags"]
    by_key = {t["Key"]: t["Value"] for t in tags}
    assert by_key["rollout:model-package-arn"] == story.packages[0]  # rolled back to v1
    missing = cli.run(
        "sagemaker",
        "list-tags",
        "--resource-arn",
        "arn:aws:sagemaker:us-east-1:123456789012:endpoint/no-such-endpoint",
    )
    assert missing.returncode == SERVICE_ERROR and "(ValidationException)" in missing.stderr


@pytest.mark.parametrize("client", CLIENT)
def test_alarms_deleted_and_their_history_kept(cli: Cli, story: Story, client: str) -> None:
    names = _alarm_names(cli, _rolled_back(story)["executionArn"])
    error_rate = next(n for n in names if n.endswith("-error-rate"))
    # the product deleted the rolled-back deployment's alarms ...
    assert cli("cloudwatch", "describe-alarms", "--alarm-names", *names)["MetricAlarms"] == []
    # ... and their history is still there, as on AWS
    updates = cli(
        "cloudwatch",
        "describe-alarm-history",
        "--alarm-name",
        error_rate,
        "--history-item-type",
        "StateUpdate",
    )["AlarmHistoryItems"]
    to_alarm = [i for i in updates if i["HistorySummary"].endswith(" to ALARM")]
    assert to_alarm, updates
    data = json.loads(to_alarm[0]["HistoryData"])
    assert data["newState"]["stateValue"] == "ALARM"
    assert data["newState"]["stateReason"].startswith("Threshold Crossed:")
    assert to_alarm[0]["AlarmType"] == "MetricAlarm"
    everything = cli("cloudwatch", "describe-alarm-history", "--alarm-name", error_rate)
    kinds = [i["HistorySummary"] for i in everything["AlarmHistoryItems"]]
    assert kinds[0] == f'Alarm "{error_rate}" deleted'  # newest first
    assert kinds[-1] == f'Alarm "{error_rate}" created'


@pytest.mark.parametrize("client", CLIENT)
def test_function_logs(cli: Cli, story: Story, client: str) -> None:
    groups = cli("logs", "describe-log-groups", "--log-group-name-prefix", "/aws/lambda/")
    names = {g["logGroupName"] for g in groups["logGroups"]}
    assert "/aws/lambda/model-rollout-CreateAlarmsFunction" in names
    events = cli(
        "logs",
        "filter-log-events",
        "--log-group-name",
        "/aws/lambda/model-rollout-CreateAlarmsFunction",
        "--filter-pattern",
        f'"{story.endpoint}"',
    )["events"]
    messages = [json.loads(e["message"]) for e in events if e["message"].startswith("{")]
    created = [m for m in messages if m.get("message") == "alarms created"]
    assert {m["endpoint_name"] for m in created} == {story.endpoint}
    assert len(created) == 2  # one per deployment


@pytest.mark.parametrize("client", CLIENT)
def test_not_emulated_operations_are_client_errors(cli: Cli, story: Story, client: str) -> None:
    for command in (
        ("sagemaker", "list-contexts"),
        ("sagemaker", "list-monitoring-schedules"),
        ("cloudwatch", "put-composite-alarm", "--alarm-name", "c", "--alarm-rule", "TRUE"),
    ):
        done = cli.run(*command)
        assert done.returncode == SERVICE_ERROR, (command, done.returncode, done.stderr)
        assert "(UnknownOperationException)" in done.stderr
        assert "does not emulate" in done.stderr
        assert "Traceback" not in done.stderr
