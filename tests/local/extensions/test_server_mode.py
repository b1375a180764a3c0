"""The extensions through moto's HTTP server (ThreadedMotoServer), as the local stack runs."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from rollout_local.local_model import model_tarball

from .conftest import wait_until


def test_update_endpoint_invoke_and_alarm_over_http(server: dict[str, Any]) -> None:
    s3 = boto3.client("s3", **server)
    sm = boto3.client("sagemaker", **server)
    runtime = boto3.client("sagemaker-runtime", **server)
    cw = boto3.client("cloudwatch", **server)
    s3.create_bucket(Bucket="srv-models")
    for name, spec in (
        ("blue", {"weights": [1.0]}),
        ("green", {"weights": [1.0], "error_rate": 1.0}),
    ):
        s3.put_object(
            Bucket="srv-models",
            Key=f"{name}/model.tar.gz",
            Body=model_tarball({"type": "linear", **spec}),
        )
        sm.create_model(
            ModelName=f"srv-{name}",
            ExecutionRoleArn="arn:aws:iam::123456789012:role/sm",
            PrimaryContainer={
                "Image": "img:1",
                "ModelDataUrl": f"s3://srv-models/{name}/model.tar.gz",
            },
        )
        sm.create_endpoint_config(
            EndpointConfigName=f"srv-{name}",
            ProductionVariants=[
                {
                    "VariantName": name,
                    "ModelName": f"srv-{name}",
                    "InitialInstanceCount": 1,
                    "InstanceType": "ml.m5.large",
                }
            ],
        )
    sm.create_endpoint(EndpointName="srv-ep", EndpointConfigName="srv-blue")
    wait_until(lambda: sm.describe_endpoint(EndpointName="srv-ep")["EndpointStatus"] == "InService")
    sm.update_endpoint(EndpointName="srv-ep", EndpointConfigName="srv-green")  # new action
    assert sm.describe_endpoint(EndpointName="srv-ep")["EndpointStatus"] == "Updating"
    wait_until(
        lambda: sm.describe_endpoint(EndpointName="srv-ep")["EndpointConfigName"] == "srv-green"
    )
    cw.put_metric_alarm(
        AlarmName="srv-errors",
        Namespace="AWS/SageMaker",
        MetricName="Invocation5XXErrors",
        Dimensions=[
            {"Name": "EndpointName", "Value": "srv-ep"},
            {"Name": "VariantName", "Value": "green"},
        ],
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=0,
        ComparisonOperator="GreaterThanThreshold",
    )
    with pytest.raises(runtime.exceptions.ModelError) as err:
        runtime.invoke_endpoint(EndpointName="srv-ep", Body=b"1", ContentType="text/csv")
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 424
    with pytest.raises(runtime.exceptions.ModelError):
        runtime.invoke_endpoint(
            EndpointName="srv-ep",
            Body=json.dumps({"instances": [[0]]}),
            ContentType="application/json",
            TargetVariant="green",
        )
    wait_until(
        lambda: (
            cw.describe_alarms(AlarmNames=["srv-errors"])["MetricAlarms"][0]["StateValue"]
            == "ALARM"
        ),
        timeout=2.0,
    )
