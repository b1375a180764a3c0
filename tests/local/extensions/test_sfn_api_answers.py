"""Step Functions answers after the API reference: GetExecutionHistory's reverseOrder,
includeExecutionData and paging; ListStateMachines' type; DescribeExecution's redrive."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from rollout_local.extensions import moto_server

from .conftest import wait_until

ROLE = "arn:aws:iam::123456789012:role/sfn"
PASSES = {
    "StartAt": "A",
    "States": {
        "A": {"Type": "Pass", "Result": {"step": "a"}, "ResultPath": "$.a", "Next": "B"},
        "B": {"Type": "Pass", "Result": {"step": "b"}, "ResultPath": "$.b", "End": True},
    },
}
FAILS = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom", "Cause": "test"}}}


@pytest.fixture
def sfn(aws_manual: boto3.Session) -> Iterator[Any]:
    saved = moto_server.configure()  # the interpreter runs executions, as in the local stack
    try:
        yield aws_manual.client("stepfunctions")
    finally:
        moto_server.restore(saved)


def _run(sfn: Any, name: str, definition: dict[str, Any], status: str) -> str:
    arn = sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)[
        "stateMachineArn"
    ]
    execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"x": 1}))
    execution_arn = execution["executionArn"]
    wait_until(lambda: sfn.describe_execution(executionArn=execution_arn)["status"] == status)
    return str(execution_arn)


def test_history_reverse_order_and_paging(sfn: Any) -> None:
    arn = _run(sfn, "hist-passes", PASSES, "SUCCEEDED")
    events = sfn.get_execution_history(executionArn=arn)["events"]
    assert events[0]["type"] == "ExecutionStarted" and events[-1]["type"] == "ExecutionSucceeded"
    ids = [e["id"] for e in events]
    assert ids == sorted(ids)
    reverse = sfn.get_execution_history(executionArn=arn, reverseOrder=True)["events"]
    assert [e["id"] for e in reverse] == list(reversed(ids))

    first = sfn.get_execution_history(executionArn=arn, maxResults=2)
    assert [e["id"] for e in first["events"]] == ids[:2]
    assert first["nextToken"]
    rest: list[int] = []
    token = first["nextToken"]
    while token:
        page = sfn.get_execution_history(executionArn=arn, maxResults=2, nextToken=token)
        rest += [e["id"] for e in page["events"]]
        token = page.get("nextToken")
    assert ids[:2] + rest == ids
    paginated = [
        e["id"]
        for page in sfn.get_paginator("get_execution_history").paginate(
            executionArn=arn, reverseOrder=True, PaginationConfig={"PageSize": 3}
        )
        for e in page["events"]
    ]
    assert paginated == list(reversed(ids))
    with pytest.raises(ClientError) as bad:
        sfn.get_execution_history(executionArn=arn, nextToken="garbage")
    assert bad.value.response["Error"]["Code"] == "InvalidToken"


def test_history_without_execution_data(sfn: Any) -> None:
    arn = _run(sfn, "hist-nodata", PASSES, "SUCCEEDED")
    full = sfn.get_execution_history(executionArn=arn)["events"]
    started = full[0]["executionStartedEventDetails"]
    assert json.loads(started["input"]) == {"x": 1}
    bare = sfn.get_execution_history(executionArn=arn, includeExecutionData=False)["events"]
    assert len(bare) == len(full)
    for event in bare:
        for key, details in event.items():
            if key.endswith("EventDetails"):
                assert "input" not in details and "output" not in details, event
    bare_started = bare[0]["executionStartedEventDetails"]
    assert bare_started["roleArn"] == ROLE
    assert bare_started["inputDetails"] == started["inputDetails"]


def test_list_state_machines_have_their_type(sfn: Any) -> None:
    sfn.create_state_machine(name="typed-std", definition=json.dumps(PASSES), roleArn=ROLE)
    express = sfn.create_state_machine(
        name="typed-express", definition=json.dumps(PASSES), roleArn=ROLE, type="EXPRESS"
    )["stateMachineArn"]
    listed = {m["name"]: m["type"] for m in sfn.list_state_machines()["stateMachines"]}
    assert listed == {"typed-std": "STANDARD", "typed-express": "EXPRESS"}
    assert sfn.describe_state_machine(stateMachineArn=express)["type"] == "EXPRESS"


def test_describe_execution_redrive_fields(sfn: Any) -> None:
    succeeded = sfn.describe_execution(executionArn=_run(sfn, "redrive-ok", PASSES, "SUCCEEDED"))
    assert succeeded["redriveCount"] == 0
    assert succeeded["redriveStatus"] == "NOT_REDRIVABLE"
    assert succeeded["redriveStatusReason"] == "Execution is SUCCEEDED and cannot be redriven."
    failed = sfn.describe_execution(executionArn=_run(sfn, "redrive-fail", FAILS, "FAILED"))
    assert failed["redriveCount"] == 0
    assert failed["redriveStatus"] == "REDRIVABLE"
    assert "redriveStatusReason" not in failed
    assert failed["error"] == "Boom"
