"""Operations moto lacks answer as AWS answers an unknown operation (a 400 client error
naming it: UnknownOperationException for JSON protocols, InvalidAction for query ones);
exceptions inside implemented operations keep moto's own answer."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto.sagemaker.models import SageMakerModelBackend

NO_RETRIES = Config(retries={"max_attempts": 1, "mode": "standard"})


def _client_error(call: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as err:
        call()
    return dict(err.value.response)


@pytest.mark.parametrize(
    ("service", "operation", "kwargs"),
    [
        ("sagemaker", "list_contexts", {}),
        ("sagemaker", "list_monitoring_schedules", {}),
        ("cloudwatch", "put_composite_alarm", {"AlarmName": "c", "AlarmRule": "TRUE"}),
    ],
)
def test_unimplemented_operation_in_process(
    aws_manual: boto3.Session, service: str, operation: str, kwargs: dict[str, Any]
) -> None:
    client = aws_manual.client(service, config=NO_RETRIES)
    response = _client_error(lambda: getattr(client, operation)(**kwargs))
    name = client.meta.method_to_api_mapping[operation]
    assert response["Error"]["Code"] == "UnknownOperationException"
    assert name in response["Error"]["Message"]
    assert "does not emulate" in response["Error"]["Message"]
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert response["ResponseMetadata"]["RetryAttempts"] == 0


def test_implemented_operations_are_unchanged(aws_manual: boto3.Session) -> None:
    sm = aws_manual.client("sagemaker")
    assert sm.list_models()["Models"] == []
    response = _client_error(lambda: sm.describe_model(ModelName="nope"))
    assert response["Error"]["Code"] == "ValidationException"


def test_an_unexpected_exception_inside_an_implemented_operation_is_moto_s(
    aws_manual: boto3.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug in an implemented operation")

    monkeypatch.setattr(SageMakerModelBackend, "list_models", broken)
    with pytest.raises(RuntimeError, match="a bug in an implemented operation"):
        aws_manual.client("sagemaker").list_models()


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return int(answer.status), answer.read().decode()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read().decode()


def _auth(service: str) -> str:
    return (
        "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/"
        f"{service}/aws4_request, SignedHeaders=host, Signature=0"
    )


def test_unimplemented_operations_over_http(server: dict[str, Any]) -> None:
    sm = boto3.client("sagemaker", config=NO_RETRIES, **server)
    response = _client_error(lambda: sm.list_contexts())
    assert response["Error"]["Code"] == "UnknownOperationException"
    assert "ListContexts" in response["Error"]["Message"]
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400

    # TestState is sent to the host "sync-states...": a client of a local endpoint must not
    # prefix its host (botocore's inject_host_prefix)
    no_prefix = NO_RETRIES.merge(Config(inject_host_prefix=False))
    sfn = boto3.client("stepfunctions", config=no_prefix, **server)
    response = _client_error(
        lambda: sfn.test_state(definition='{"Type": "Pass", "End": true}', roleArn="arn:r")
    )
    assert response["Error"]["Code"] == "UnknownOperationException"
    assert "TestState" in response["Error"]["Message"]
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400

    # the JSON protocol as a raw request: AWS's __type, with the operation in the message
    status, body = _post(
        server["endpoint_url"],
        b"{}",
        {
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "SageMaker.ListMonitoringSchedules",
            "Authorization": _auth("sagemaker"),
        },
    )
    assert status == 400
    error = json.loads(body)
    assert error["__type"].split("#")[-1] == "UnknownOperationException"
    assert "ListMonitoringSchedules" in (error.get("message") or error["Message"])

    # the query protocol (CloudWatch's query encoding): an XML InvalidAction
    status, body = _post(
        server["endpoint_url"],
        b"Action=PutCompositeAlarm&Version=2010-08-01&AlarmName=c&AlarmRule=TRUE",
        {
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            "Authorization": _auth("monitoring"),
        },
    )
    assert status == 400, body
    assert "<Code>InvalidAction</Code>" in body
    assert "PutCompositeAlarm" in body
    assert "Traceback" not in body


def test_an_unexpected_exception_over_http_stays_moto_s_500(
    server: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug in an implemented operation")

    monkeypatch.setattr(SageMakerModelBackend, "list_models", broken)
    sm = boto3.client("sagemaker", config=NO_RETRIES, **server)
    with pytest.raises(ClientError) as err:
        sm.list_models()
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
