"""The in-process Lambda runtime: real handlers, isolated environments, errors as on AWS."""

from __future__ import annotations

import io
import json
import os
import zipfile
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.local.support import wait_for

from rollout_local.server import LocalStack
from rollout_local.template import DeployedStack


def _invoke(stack: LocalStack, name: str, event: Any) -> tuple[str | None, Any]:
    response = stack.client("lambda").invoke(FunctionName=name, Payload=json.dumps(event))
    return response.get("FunctionError"), json.loads(response["Payload"].read())


def test_handler_runs_with_context_layer_and_environment(
    local_stack: LocalStack, fixture_stack: DeployedStack
) -> None:
    name = fixture_stack.resources["EchoFunction"]
    error, result = _invoke(local_stack, name, {"hello": "world"})
    assert error is None
    assert result == {
        "event": {"hello": "world"},
        "marker": "global-marker",
        "table": fixture_stack.resources["RecordsTable"],
        "layer": "layer:ok",
        "function_name": name,
        "memory": 256,
        "arn": fixture_stack.attributes["EchoFunction"]["Arn"],
        "remaining_ok": True,
    }


def test_error_is_reported_as_the_python_runtime_does(
    local_stack: LocalStack, fixture_stack: DeployedStack
) -> None:
    error, payload = _invoke(
        local_stack, fixture_stack.resources["FailFunction"], {"message": "accuracy 0.7"}
    )
    assert error == "Unhandled"
    assert payload["errorType"] == "ValidationFailed"
    assert payload["errorMessage"] == "accuracy 0.7"
    assert any("raise ValidationFailed" in line for line in payload["stackTrace"])


def test_concurrent_invocations_see_only_their_own_environment(
    local_stack: LocalStack, fixture_stack: DeployedStack
) -> None:
    names = {
        "a": fixture_stack.resources["EnvAFunction"],
        "b": fixture_stack.resources["EnvBFunction"],
    }
    calls = [("a", "b")[i % 2] for i in range(16)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda m: _invoke(local_stack, names[m], {"sleep": 0.2}), calls))
    for marker, (error, result) in zip(calls, results, strict=True):
        assert error is None
        assert result == {
            "before": marker,
            "after": marker,
            "written": marker,
            "function": names[marker],
            "endpoint": local_stack.endpoint_url,
        }
    assert "MARKER" not in os.environ and "WRITTEN" not in os.environ


def test_lambda_error_type_is_the_error_a_catch_sees(
    local_stack: LocalStack, fixture_stack: DeployedStack
) -> None:
    sfn = local_stack.client("stepfunctions")
    execution = sfn.start_execution(
        stateMachineArn=fixture_stack.resources["CatchStateMachine"],
        input=json.dumps({"message": "accuracy 0.7 < 0.8"}),
    )["executionArn"]
    described = wait_for(
        lambda: (d := sfn.describe_execution(executionArn=execution))["status"] != "RUNNING" and d,
        timeout=30,
        what="the catch execution to end",
    )
    assert described["status"] == "SUCCEEDED"
    output = json.loads(described["output"])
    for path in ("plain", "integration"):
        assert output[path]["Error"] == "ValidationFailed"
        assert json.loads(output[path]["Cause"])["errorMessage"] == "accuracy 0.7 < 0.8"
    events = sfn.get_execution_history(executionArn=execution)["events"]
    failures = [
        e.get("lambdaFunctionFailedEventDetails") or e.get("taskFailedEventDetails")
        for e in events
        if e["type"] in ("LambdaFunctionFailed", "TaskFailed")
    ]
    assert [f["error"] for f in failures] == ["ValidationFailed", "ValidationFailed"]


def test_event_invocation_returns_at_once_and_runs(
    local_stack: LocalStack, fixture_stack: DeployedStack
) -> None:
    response = local_stack.client("lambda").invoke(
        FunctionName=fixture_stack.resources["RecordFunction"],
        InvocationType="Event",
        Payload=json.dumps({"key": "async-invoke"}),
    )
    assert response["StatusCode"] == 202
    dynamodb = local_stack.client("dynamodb")
    wait_for(
        lambda: dynamodb.get_item(
            TableName=fixture_stack.resources["RecordsTable"], Key={"pk": {"S": "async-invoke"}}
        ).get("Item"),
        timeout=10,
        what="the async invocation's record",
    )


def test_functions_not_from_a_template_keep_motos_behaviour(local_stack: LocalStack) -> None:
    client = local_stack.client("lambda")
    role = local_stack.stack.attributes["SageMakerExecutionRole"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return 'never run'\n")
    client.create_function(
        FunctionName="plain-moto-function",
        Runtime="python3.13",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": code.getvalue()},
    )
    response = client.invoke(FunctionName="plain-moto-function", Payload=b'{"x": 1}')
    assert "FunctionError" not in response
    assert json.loads(response["Payload"].read()) == {"x": 1}
