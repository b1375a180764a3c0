"""EventBridge routing: rules of the templates deliver matching events to their targets."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from tests.helpers.examples import APPROVED_EVENT
from tests.local.support import wait_for

from rollout_local.extensions import eventbridge_targets
from rollout_local.server import LocalStack
from rollout_local.template import DeployedStack

EXAMPLE = APPROVED_EVENT


def _approval(group: str, **detail: Any) -> dict[str, Any]:
    """The documented example, moved to the local region/account and to ``group``."""
    text = EXAMPLE.read_text().replace("us-east-2", "us-east-1")
    event = json.loads(text.replace("111122223333", "123456789012"))
    event["detail"]["ModelPackageGroupName"] = group
    arn = event["detail"]["ModelPackageArn"].replace("versionedmp-p-idy6c3e1fiqj", group)
    event["detail"]["ModelPackageArn"] = arn
    event["resources"] = [arn]
    for key, value in detail.items():
        if value is None:
            event["detail"].pop(key, None)
        else:
            event["detail"][key] = value
    return event


def _entry(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "Source": event["source"],
        "DetailType": event["detail-type"],
        "Detail": json.dumps(event["detail"]),
        "Resources": event["resources"],
    }


def _inputs(stack: LocalStack, state_machine_arn: str) -> list[dict[str, Any]]:
    sfn = stack.client("stepfunctions")
    pages = sfn.get_paginator("list_executions").paginate(stateMachineArn=state_machine_arn)
    arns = [e["executionArn"] for page in pages for e in page["executions"]]
    return [json.loads(sfn.describe_execution(executionArn=a)["input"]) for a in arns]


def _executions_for(stack: LocalStack, group: str) -> list[dict[str, Any]]:
    machine = stack.outputs["DeployModelStateMachineArn"]
    return [
        i
        for i in _inputs(stack, machine)
        if i.get("detail", {}).get("ModelPackageGroupName") == group
    ]


@pytest.mark.parametrize(
    "updated",
    [["ModelApprovalStatus"], None],
    ids=["approval-changed", "created-approved"],
)
def test_approval_starts_the_deploy_state_machine(
    local_stack: LocalStack, updated: list[str] | None
) -> None:
    group = f"routing-{uuid.uuid4().hex[:8]}"
    event = _approval(group, UpdatedModelPackageFields=updated)
    result = local_stack.client("events").put_events(Entries=[_entry(event)])
    assert result["FailedEntryCount"] == 0
    (delivered,) = wait_for(
        lambda: _executions_for(local_stack, group), timeout=15, what="the deploy execution"
    )
    assert delivered["detail"] == event["detail"]
    assert delivered["source"] == "aws.sagemaker"
    assert delivered["detail-type"] == "SageMaker Model Package State Change"
    assert delivered["account"] == "123456789012" and delivered["region"] == "us-east-1"
    assert delivered["resources"] == event["resources"]
    assert delivered["time"].endswith("Z") and "T" in delivered["time"]
    assert set(delivered) == {
        "version", "id", "detail-type", "source", "account", "time", "region", "resources",
        "detail",
    }  # fmt: skip


def test_metadata_only_update_is_not_routed(local_stack: LocalStack) -> None:
    metadata_group = f"metadata-{uuid.uuid4().hex[:8]}"
    sentinel_group = f"sentinel-{uuid.uuid4().hex[:8]}"
    metadata = _approval(metadata_group, UpdatedModelPackageFields=["CustomerMetadataProperties"])
    local_stack.client("events").put_events(
        Entries=[_entry(metadata), _entry(_approval(sentinel_group))]
    )
    wait_for(
        lambda: _executions_for(local_stack, sentinel_group),
        timeout=15,
        what="the sentinel approval's execution",
    )
    assert eventbridge_targets.wait_idle(10)
    assert _executions_for(local_stack, metadata_group) == []


def test_input_transformer(local_stack: LocalStack, fixture_stack: DeployedStack) -> None:
    key = uuid.uuid4().hex
    local_stack.client("events").put_events(
        Entries=[
            {
                "Source": "rollout.fixture",
                "DetailType": "Transform",
                "Detail": json.dumps({"key": key, "ignored": True}),
            }
        ]
    )
    machine = fixture_stack.outputs["EchoStateMachineArn"]
    wait_for(
        lambda: (
            {"key": key, "source": "rollout.fixture", "fixed": "yes"}
            in _inputs(local_stack, machine)
        ),
        timeout=15,
        what="the transformed input",
    )


def test_lambda_target_gets_the_input_path(
    local_stack: LocalStack, fixture_stack: DeployedStack
) -> None:
    key = uuid.uuid4().hex
    detail = {"key": key, "nested": {"n": 1}}
    local_stack.client("events").put_events(
        Entries=[
            {"Source": "rollout.fixture", "DetailType": "Record", "Detail": json.dumps(detail)}
        ]
    )
    item = wait_for(
        lambda: (
            local_stack.client("dynamodb")
            .get_item(TableName=fixture_stack.resources["RecordsTable"], Key={"pk": {"S": key}})
            .get("Item")
        ),
        timeout=15,
        what="the Lambda target's record",
    )
    assert json.loads(item["event"]["S"]) == detail


def test_service_events_from_bus_put_event_are_routed(
    local_stack: LocalStack, fixture_stack: DeployedStack
) -> None:
    from rollout_local.extensions.bus import put_event

    marker = uuid.uuid4().hex
    put_event(source="rollout.fixture", detail_type="Route", detail={"marker": marker})
    machine = fixture_stack.outputs["EchoStateMachineArn"]
    wait_for(
        lambda: any(i["detail"] == {"marker": marker} for i in _inputs(local_stack, machine)),
        timeout=15,
        what="the routed service event",
    )


def test_delivery_failures_are_logged(
    local_stack: LocalStack, fixture_stack: DeployedStack, caplog: pytest.LogCaptureFixture
) -> None:
    events = local_stack.client("events")
    rule = f"broken-{uuid.uuid4().hex[:8]}"
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": [rule]}))
    missing = fixture_stack.outputs["EchoStateMachineArn"] + "-missing"
    events.put_targets(Rule=rule, Targets=[{"Id": "t", "Arn": missing}])
    events.put_events(Entries=[{"Source": rule, "DetailType": "x", "Detail": "{}"}])
    assert eventbridge_targets.wait_idle(10)
    assert any(rule in r.getMessage() and missing in r.getMessage() for r in caplog.records)
