"""InvokeEndpointAsync on the local model: S3 output or failure, SNS notification shapes."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from .conftest import BUCKET, create_config, create_model, put_model, status, wait_until


def async_endpoint(session: boto3.Session, name: str, **model: Any) -> dict[str, str]:
    sns, sqs = session.client("sns"), session.client("sqs")
    topics, queues = {}, {}
    for kind in ("ok", "err"):
        topics[kind] = sns.create_topic(Name=f"{name}-{kind}")["TopicArn"]
        url = sqs.create_queue(QueueName=f"{name}-{kind}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
        sns.subscribe(TopicArn=topics[kind], Protocol="sqs", Endpoint=arn["QueueArn"])
        queues[kind] = url
    create_model(session, f"{name}-m", put_model(session, f"{name}/model.tar.gz", **model))
    create_config(
        session,
        f"{name}-cfg",
        [("v0", f"{name}-m", 1.0)],
        AsyncInferenceConfig={
            "ClientConfig": {"MaxConcurrentInvocationsPerInstance": 2},
            "OutputConfig": {
                "S3OutputPath": f"s3://{BUCKET}/out",
                "S3FailurePath": f"s3://{BUCKET}/fail",
                "NotificationConfig": {"SuccessTopic": topics["ok"], "ErrorTopic": topics["err"]},
            },
        },
    )
    session.client("sagemaker").create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-cfg")
    wait_until(lambda: status(session, name) == "InService")
    return queues


def notification(session: boto3.Session, queue: str) -> dict[str, Any]:
    def received() -> Any:
        return session.client("sqs").receive_message(QueueUrl=queue).get("Messages")

    body = json.loads(wait_until(received)[0]["Body"])
    return dict(json.loads(body["Message"]))


def test_success_writes_the_output_and_notifies_in_sagemakers_shape(aws: boto3.Session) -> None:
    queues = async_endpoint(aws, "aep")
    aws.client("s3").put_object(Bucket=BUCKET, Key="in/a.csv", Body="1,0\n")
    answer = aws.client("sagemaker-runtime").invoke_endpoint_async(
        EndpointName="aep",
        InputLocation=f"s3://{BUCKET}/in/a.csv",
        ContentType="text/csv",
        InferenceId="req-1",
    )
    assert answer["InferenceId"] == "req-1"
    assert answer["OutputLocation"] == f"s3://{BUCKET}/out/req-1.out"
    assert answer["FailureLocation"] == f"s3://{BUCKET}/fail/req-1-error.out"
    message = notification(aws, queues["ok"])
    assert message["invocationStatus"] == "Completed"
    assert message["eventName"] == "InferenceResult" and message["eventSource"] == "aws:sagemaker"
    assert message["inferenceId"] == "req-1"
    assert message["requestParameters"] == {
        "contentType": "text/csv",
        "endpointName": "aep",
        "inputLocation": f"s3://{BUCKET}/in/a.csv",
    }
    assert message["responseParameters"]["outputLocation"] == answer["OutputLocation"]
    body = aws.client("s3").get_object(Bucket=BUCKET, Key="out/req-1.out")["Body"].read()
    assert float(body) == pytest.approx(1 / (1 + 2.718281828459045**-1))


def test_model_errors_and_missing_inputs_go_to_the_error_topic(aws: boto3.Session) -> None:
    queues = async_endpoint(aws, "bep", error_rate=1.0)
    aws.client("s3").put_object(Bucket=BUCKET, Key="in/b.csv", Body="1,0\n")
    runtime = aws.client("sagemaker-runtime")
    runtime.invoke_endpoint_async(
        EndpointName="bep", InputLocation=f"s3://{BUCKET}/in/b.csv", InferenceId="req-2"
    )
    message = notification(aws, queues["err"])
    assert message["invocationStatus"] == "Failed"
    assert "Received server error (500) from model" in message["failureReason"]
    assert message["responseParameters"]["failureLocation"] == f"s3://{BUCKET}/fail/req-2-error.out"
    runtime.invoke_endpoint_async(
        EndpointName="bep", InputLocation=f"s3://{BUCKET}/in/none.csv", InferenceId="req-3"
    )
    assert "Could not find the input object" in notification(aws, queues["err"])["failureReason"]


def test_a_real_time_endpoint_refuses_async_invocations(aws: boto3.Session) -> None:
    create_model(aws, "rt-m", put_model(aws, "rt/model.tar.gz"))
    create_config(aws, "rt-cfg", [("v0", "rt-m", 1.0)])
    aws.client("sagemaker").create_endpoint(EndpointName="rt", EndpointConfigName="rt-cfg")
    wait_until(lambda: status(aws, "rt") == "InService")
    with pytest.raises(ClientError, match="not an asynchronous inference endpoint"):
        aws.client("sagemaker-runtime").invoke_endpoint_async(
            EndpointName="rt", InputLocation=f"s3://{BUCKET}/x"
        )
