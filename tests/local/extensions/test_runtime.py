"""InvokeEndpoint: local model, weighted routing, TargetVariant, shadows, errors, metrics."""

from __future__ import annotations

import json
import math
from collections import Counter
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.exceptions import ClientError

from .conftest import (
    create_config,
    create_model,
    in_service_endpoint,
    put_model,
    status,
    wait_until,
)


def metric(
    aws: boto3.Session, name: str, variant: str, stat: str = "Sum", endpoint: str = "ep"
) -> float:
    now = datetime.now(UTC)
    points = aws.client("cloudwatch").get_metric_statistics(
        Namespace="AWS/SageMaker",
        MetricName=name,
        Dimensions=[
            {"Name": "EndpointName", "Value": endpoint},
            {"Name": "VariantName", "Value": variant},
        ],
        StartTime=now - timedelta(minutes=5),
        EndTime=now + timedelta(minutes=5),
        Period=600,
        Statistics=[stat],
    )["Datapoints"]
    return sum(p[stat] for p in points)


def test_invoke_scores_csv_and_json(aws: boto3.Session) -> None:
    in_service_endpoint(aws)
    runtime = aws.client("sagemaker-runtime")
    got = runtime.invoke_endpoint(EndpointName="ep", Body="1,0\n0,1", ContentType="text/csv")
    assert got["InvokedProductionVariant"] == "v0"
    assert got["ContentType"] == "text/csv"
    scores = [float(x) for x in got["Body"].read().decode().split()]
    assert scores == pytest.approx([1 / (1 + math.exp(-1)), 1 / (1 + math.exp(1))])
    got = runtime.invoke_endpoint(
        EndpointName="ep",
        Body=json.dumps({"instances": [[0, 0]]}),
        ContentType="application/json",
    )
    assert json.loads(got["Body"].read()) == {"predictions": [0.5]}


def test_routing_follows_current_weights(aws: boto3.Session) -> None:
    in_service_endpoint(aws, weights=(3.0, 1.0, 0.0))
    runtime = aws.client("sagemaker-runtime")
    counts = Counter(
        runtime.invoke_endpoint(EndpointName="ep", Body="1,1", ContentType="text/csv")[
            "InvokedProductionVariant"
        ]
        for _ in range(400)
    )
    assert counts["v2"] == 0  # weight 0 never gets traffic
    assert 240 <= counts["v0"] <= 360  # expected 300
    assert counts["v0"] + counts["v1"] == 400
    assert metric(aws, "Invocations", "v0") == counts["v0"]
    assert metric(aws, "Invocations", "v1") == counts["v1"]


def test_target_variant_overrides_weights(aws: boto3.Session) -> None:
    in_service_endpoint(aws, weights=(1.0, 0.0))
    runtime = aws.client("sagemaker-runtime")
    for _ in range(5):
        got = runtime.invoke_endpoint(
            EndpointName="ep", Body="1,1", ContentType="text/csv", TargetVariant="v1"
        )
        assert got["InvokedProductionVariant"] == "v1"
    assert metric(aws, "Invocations", "v1") == 5
    with pytest.raises(ClientError) as err:
        runtime.invoke_endpoint(
            EndpointName="ep", Body="1,1", ContentType="text/csv", TargetVariant="nope"
        )
    assert err.value.response["Error"]["Code"] == "ValidationError"


def test_weight_shift_moves_traffic(aws: boto3.Session) -> None:
    in_service_endpoint(aws, weights=(1.0, 0.0))
    sm = aws.client("sagemaker")
    sm.update_endpoint_weights_and_capacities(
        EndpointName="ep",
        DesiredWeightsAndCapacities=[
            {"VariantName": "v0", "DesiredWeight": 0.0},
            {"VariantName": "v1", "DesiredWeight": 1.0},
        ],
    )
    wait_until(lambda: status(aws, "ep") == "InService")
    runtime = aws.client("sagemaker-runtime")
    variants = {
        runtime.invoke_endpoint(EndpointName="ep", Body="1,1", ContentType="text/csv")[
            "InvokedProductionVariant"
        ]
        for _ in range(20)
    }
    assert variants == {"v1"}


def test_model_errors_are_424_and_counted_as_5xx(aws: boto3.Session) -> None:
    in_service_endpoint(aws, error_rate=0.5, latency_ms=30)
    runtime = aws.client("sagemaker-runtime")
    outcomes = []
    for _ in range(4):
        try:
            runtime.invoke_endpoint(EndpointName="ep", Body="1,1", ContentType="text/csv")
            outcomes.append("ok")
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "ModelError"
            assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 424
            assert "Received server error (500) from primary" in exc.response["Error"]["Message"]
            outcomes.append("error")
    assert outcomes == ["ok", "error", "ok", "error"]
    assert metric(aws, "Invocations", "v0") == 4
    assert metric(aws, "Invocation5XXErrors", "v0") == 2
    assert metric(aws, "Invocation5XXErrors", "v0", "Average") == pytest.approx(0.5)
    assert metric(aws, "Invocation4XXErrors", "v0") == 0
    assert metric(aws, "ModelLatency", "v0", "Average") == 30_000  # microseconds
    assert metric(aws, "OverheadLatency", "v0", "SampleCount") == 4


def test_bad_input_is_a_4xx(aws: boto3.Session) -> None:
    in_service_endpoint(aws)
    runtime = aws.client("sagemaker-runtime")
    with pytest.raises(ClientError) as err:
        runtime.invoke_endpoint(EndpointName="ep", Body="1,2,3", ContentType="text/csv")
    assert err.value.response["Error"]["Code"] == "ModelError"
    assert "Received client error (400)" in err.value.response["Error"]["Message"]
    assert metric(aws, "Invocation4XXErrors", "v0") == 1
    assert metric(aws, "Invocation5XXErrors", "v0") == 0


def test_endpoint_not_serving_is_a_validation_error(aws: boto3.Session) -> None:
    runtime = aws.client("sagemaker-runtime")
    with pytest.raises(ClientError) as err:
        runtime.invoke_endpoint(EndpointName="nope", Body="1", ContentType="text/csv")
    assert err.value.response["Error"]["Code"] == "ValidationError"
    create_model(aws, "m", put_model(aws, "m/model.tar.gz"))
    create_config(aws, "cfg", [("v0", "m", 1.0)])
    aws.client("sagemaker").create_endpoint(EndpointName="ep", EndpointConfigName="cfg")
    with pytest.raises(ClientError, match="not in service"):
        runtime.invoke_endpoint(EndpointName="ep", Body="1,1", ContentType="text/csv")


def test_shadow_variant_gets_copies_and_its_own_metrics(aws: boto3.Session) -> None:
    create_model(aws, "prod", put_model(aws, "prod/model.tar.gz"))
    create_model(aws, "shadow", put_model(aws, "shadow/model.tar.gz", error_rate=1.0))
    create_config(aws, "cfg", [("prod", "prod", 1.0)], shadows=[("shadow", "shadow", 0.5)])
    aws.client("sagemaker").create_endpoint(EndpointName="ep", EndpointConfigName="cfg")
    wait_until(lambda: status(aws, "ep") == "InService")
    runtime = aws.client("sagemaker-runtime")
    for _ in range(10):
        got = runtime.invoke_endpoint(EndpointName="ep", Body="1,1", ContentType="text/csv")
        assert got["InvokedProductionVariant"] == "prod"  # shadow responses are discarded
    assert metric(aws, "Invocations", "prod") == 10
    assert metric(aws, "Invocations", "shadow") == 5  # weight 0.5 / 1.0 of the requests
    assert metric(aws, "Invocation5XXErrors", "shadow") == 5
    assert metric(aws, "Invocation5XXErrors", "prod") == 0


def test_model_from_model_package_resolves_inference_specification(aws: boto3.Session) -> None:
    sm = aws.client("sagemaker")
    url = put_model(aws, "pkg/model.tar.gz", weights=[0.0, 0.0], bias=0.0)
    sm.create_model_package_group(ModelPackageGroupName="churn")
    arn = sm.create_model_package(
        ModelPackageGroupName="churn",
        InferenceSpecification={
            "Containers": [{"Image": "1.dkr.ecr.us-east-1.amazonaws.com/x:1", "ModelDataUrl": url}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    )["ModelPackageArn"]
    sm.create_model(
        ModelName="from-pkg",
        ExecutionRoleArn="arn:aws:iam::123456789012:role/sm",
        PrimaryContainer={"ModelPackageName": arn},
    )
    create_config(aws, "cfg", [("v0", "from-pkg", 1.0)])
    sm.create_endpoint(EndpointName="ep", EndpointConfigName="cfg")
    wait_until(lambda: status(aws, "ep") == "InService")
    got = aws.client("sagemaker-runtime").invoke_endpoint(
        EndpointName="ep", Body="3,4", ContentType="text/csv"
    )
    assert float(got["Body"].read()) == 0.5
