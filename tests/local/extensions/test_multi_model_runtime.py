"""InvokeEndpoint with TargetModel on a ``Mode: MultiModel`` container, after the SageMaker
guide "Invoke a Multi-Model Endpoint": TargetModel is the model's path relative to the
container's ModelDataUrl prefix, loaded on first use; errors as SageMaker answers them."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.exceptions import ClientError

from .conftest import BUCKET, create_config, in_service_endpoint, put_model, status, wait_until

PREFIX = f"s3://{BUCKET}/mme/"


def mme_endpoint(session: boto3.Session, endpoint: str = "mme") -> None:
    session.client("sagemaker").create_model(
        ModelName=f"{endpoint}-model",
        ExecutionRoleArn="arn:aws:iam::123456789012:role/sm",
        PrimaryContainer={
            "Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/m:1",
            "Mode": "MultiModel",
            "ModelDataUrl": PREFIX,
        },
    )
    create_config(session, f"{endpoint}-cfg", [("all", f"{endpoint}-model", 1.0)])
    session.client("sagemaker").create_endpoint(
        EndpointName=endpoint, EndpointConfigName=f"{endpoint}-cfg"
    )
    wait_until(lambda: status(session, endpoint) == "InService")


def score(session: boto3.Session, target: str, body: str = "1,0") -> float:
    got = session.client("sagemaker-runtime").invoke_endpoint(
        EndpointName="mme", TargetModel=target, Body=body, ContentType="text/csv"
    )
    assert got["InvokedProductionVariant"] == "all"
    return float(got["Body"].read().decode())


def errors_5xx(session: boto3.Session) -> float:
    now = datetime.now(UTC)
    points = session.client("cloudwatch").get_metric_statistics(
        Namespace="AWS/SageMaker",
        MetricName="Invocation5XXErrors",
        Dimensions=[
            {"Name": "EndpointName", "Value": "mme"},
            {"Name": "VariantName", "Value": "all"},
        ],
        StartTime=now - timedelta(minutes=5),
        EndTime=now + timedelta(minutes=5),
        Period=600,
        Statistics=["Sum"],
    )["Datapoints"]
    return sum(p["Sum"] for p in points)


def test_an_endpoint_with_no_model_under_its_prefix_starts(aws: boto3.Session) -> None:
    mme_endpoint(aws)  # nothing under s3://models/mme/ yet: models load per request
    assert status(aws, "mme") == "InService"


def test_target_model_selects_the_artifact_under_the_prefix(aws: boto3.Session) -> None:
    mme_endpoint(aws)
    put_model(aws, "mme/churn-v1.tar.gz", weights=[1.0, 0.0])
    put_model(aws, "mme/churn-v2.tar.gz", weights=[-1.0, 0.0])
    assert score(aws, "churn-v1.tar.gz") == pytest.approx(1 / (1 + math.exp(-1)))
    assert score(aws, "churn-v2.tar.gz") == pytest.approx(1 / (1 + math.exp(1)))
    # an artifact overwritten in S3 is loaded afresh
    put_model(aws, "mme/churn-v1.tar.gz", weights=[0.0, 0.0])
    assert score(aws, "churn-v1.tar.gz") == pytest.approx(0.5)


def test_a_missing_target_is_a_validation_error_naming_its_location(aws: boto3.Session) -> None:
    mme_endpoint(aws)
    with pytest.raises(ClientError) as missing:
        score(aws, "churn-v9.tar.gz")
    error = missing.value.response["Error"]
    assert error["Code"] == "ValidationError"
    assert (
        "Failed to download model data(bucket: models, key: mme/churn-v9.tar.gz)"
        in (error["Message"])
    )


def test_an_artifact_that_is_not_a_model_is_a_model_error_counted_as_5xx(
    aws: boto3.Session,
) -> None:
    mme_endpoint(aws)
    aws.client("s3").put_object(Bucket=BUCKET, Key="mme/broken.tar.gz", Body=b"not a tarball")
    with pytest.raises(ClientError) as broken:
        score(aws, "broken.tar.gz")
    error = broken.value.response["Error"]
    assert error["Code"] == "ModelError"
    assert "Received server error (500)" in error["Message"]
    assert "Failed to load model broken.tar.gz" in error["Message"]
    assert broken.value.response["OriginalStatusCode"] == 500
    assert wait_until(lambda: errors_5xx(aws) >= 1)


def test_target_model_is_required_on_a_multi_model_endpoint(aws: boto3.Session) -> None:
    mme_endpoint(aws)
    with pytest.raises(ClientError) as untargeted:
        aws.client("sagemaker-runtime").invoke_endpoint(
            EndpointName="mme", Body="1,0", ContentType="text/csv"
        )
    assert untargeted.value.response["Error"]["Code"] == "ValidationError"
    assert "TargetModel" in untargeted.value.response["Error"]["Message"]


def test_target_model_on_a_single_model_endpoint_is_refused(aws: boto3.Session) -> None:
    in_service_endpoint(aws)
    with pytest.raises(ClientError) as refused:
        aws.client("sagemaker-runtime").invoke_endpoint(
            EndpointName="ep", TargetModel="m.tar.gz", Body="1,0", ContentType="text/csv"
        )
    assert refused.value.response["Error"] == {
        "Code": "ValidationError",
        "Message": "Endpoint ep is not a multi-model endpoint and does not support target "
        "model header.",
    }
