"""Endpoints: asynchronous lifecycle, silent fallback, weights, describe, events."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from .conftest import (
    Events,
    create_config,
    create_model,
    in_service_endpoint,
    put_model,
    status,
    wait_until,
)

ENDPOINT_EVENTS = {"source": ["aws.sagemaker"], "detail-type": ["SageMaker Endpoint State Change"]}


def statuses(events: Events, name: str) -> list[str]:
    return [
        e["detail"]["EndpointStatus"] for e in events.drain() if e["detail"]["EndpointName"] == name
    ]


def test_create_is_creating_then_in_service_with_events(aws: boto3.Session) -> None:
    events = Events(aws, ENDPOINT_EVENTS)
    sm = aws.client("sagemaker")
    create_model(aws, "m", put_model(aws, "m/model.tar.gz"))
    create_config(aws, "cfg", [("AllTraffic", "m", 1.0)])
    sm.create_endpoint(
        EndpointName="ep", EndpointConfigName="cfg", Tags=[{"Key": "team", "Value": "ml"}]
    )
    assert status(aws, "ep") == "Creating"
    wait_until(lambda: status(aws, "ep") == "InService")
    wait_until(lambda: statuses(events, "ep") == ["CREATING", "IN_SERVICE"])
    event = events.seen[-1]
    assert event["source"] == "aws.sagemaker"
    assert event["resources"] == ["arn:aws:sagemaker:us-east-1:123456789012:endpoint/ep"]
    detail = event["detail"]
    assert detail["EndpointArn"] == event["resources"][0]
    assert detail["EndpointConfigName"] == "cfg"
    assert detail["ProductionVariants"] == [
        {"VariantName": "AllTraffic", "DesiredWeight": 1.0, "DesiredInstanceCount": 1.0}
    ]
    assert detail["Tags"] == {"team": "ml"}
    assert isinstance(detail["CreationTime"], float)
    assert detail["LastModifiedTime"] >= detail["CreationTime"]
    assert "FailureReason" not in detail

    described = sm.describe_endpoint(EndpointName="ep")
    variant = described["ProductionVariants"][0]
    assert variant["VariantName"] == "AllTraffic"
    assert variant["CurrentWeight"] == variant["DesiredWeight"] == 1.0
    assert variant["CurrentInstanceCount"] == variant["DesiredInstanceCount"] == 1
    assert variant["DeployedImages"][0]["SpecifiedImage"].endswith("/m:1")
    assert "LastModifiedTime" in described


def test_create_with_model_that_fails_to_start_ends_failed(aws: boto3.Session) -> None:
    events = Events(aws, ENDPOINT_EVENTS)
    create_model(aws, "bad", put_model(aws, "bad/model.tar.gz", fail_to_start=True))
    create_config(aws, "cfg", [("AllTraffic", "bad", 1.0)])
    aws.client("sagemaker").create_endpoint(EndpointName="ep", EndpointConfigName="cfg")
    wait_until(lambda: status(aws, "ep") == "Failed")
    described = aws.client("sagemaker").describe_endpoint(EndpointName="ep")
    assert "did not pass the ping health check" in described["FailureReason"]
    wait_until(lambda: statuses(events, "ep") == ["CREATING", "FAILED"])
    assert "ping health check" in events.seen[-1]["detail"]["FailureReason"]
    with pytest.raises(ClientError, match="Cannot update failed endpoint"):
        aws.client("sagemaker").update_endpoint(EndpointName="ep", EndpointConfigName="cfg")


def test_create_with_missing_artifact_fails(aws: boto3.Session) -> None:
    create_model(aws, "m", "s3://models/absent/model.tar.gz")
    create_config(aws, "cfg", [("AllTraffic", "m", 1.0)])
    aws.client("sagemaker").create_endpoint(EndpointName="ep", EndpointConfigName="cfg")
    wait_until(lambda: status(aws, "ep") == "Failed")
    reason = aws.client("sagemaker").describe_endpoint(EndpointName="ep")["FailureReason"]
    assert "Could not find model data at s3://models/absent/model.tar.gz" in reason


def test_duplicate_endpoint_is_rejected(aws: boto3.Session) -> None:
    in_service_endpoint(aws)
    with pytest.raises(ClientError, match="Cannot create already existing endpoint"):
        aws.client("sagemaker").create_endpoint(EndpointName="ep", EndpointConfigName="ep-cfg")


def test_update_endpoint_is_updating_then_in_service_on_new_config(aws: boto3.Session) -> None:
    in_service_endpoint(aws)
    events = Events(aws, ENDPOINT_EVENTS)
    sm = aws.client("sagemaker")
    create_model(aws, "green", put_model(aws, "green/model.tar.gz"))
    create_config(aws, "cfg2", [("green", "green", 1.0)])
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="cfg2")
    during = sm.describe_endpoint(EndpointName="ep")
    assert during["EndpointStatus"] == "Updating"
    assert during["EndpointConfigName"] == "ep-cfg"  # the previous config keeps serving
    assert during["PendingDeploymentSummary"]["EndpointConfigName"] == "cfg2"
    with pytest.raises(ClientError, match="Cannot update in-progress endpoint"):
        sm.update_endpoint(EndpointName="ep", EndpointConfigName="cfg2")
    wait_until(lambda: status(aws, "ep") == "InService")
    after = sm.describe_endpoint(EndpointName="ep")
    assert after["EndpointConfigName"] == "cfg2"
    assert [v["VariantName"] for v in after["ProductionVariants"]] == ["green"]
    assert "FailureReason" not in after and "PendingDeploymentSummary" not in after
    assert after["LastModifiedTime"] > during["CreationTime"]
    wait_until(lambda: statuses(events, "ep") == ["UPDATING", "IN_SERVICE"])
    assert events.seen[-1]["detail"]["EndpointConfigName"] == "cfg2"


def test_failed_update_falls_back_to_previous_config(aws: boto3.Session) -> None:
    in_service_endpoint(aws)
    events = Events(aws, ENDPOINT_EVENTS)
    sm = aws.client("sagemaker")
    create_model(aws, "broken", put_model(aws, "broken/model.tar.gz", fail_to_start=True))
    create_config(aws, "cfg2", [("broken", "broken", 1.0)])
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="cfg2")
    wait_until(lambda: statuses(events, "ep") == ["UPDATING", "IN_SERVICE"])
    after = sm.describe_endpoint(EndpointName="ep")
    assert after["EndpointStatus"] == "InService"
    assert after["EndpointConfigName"] == "ep-cfg"
    assert [v["VariantName"] for v in after["ProductionVariants"]] == ["v0"]
    assert "broken" in after["FailureReason"]
    assert "broken" in events.seen[-1]["detail"]["FailureReason"]
    # the endpoint still serves the previous model
    runtime = aws.client("sagemaker-runtime")
    got = runtime.invoke_endpoint(EndpointName="ep", Body="1,1", ContentType="text/csv")
    assert got["InvokedProductionVariant"] == "v0"


def test_update_weights_and_capacities(aws: boto3.Session) -> None:
    in_service_endpoint(aws, weights=(1.0, 0.0))
    events = Events(aws, ENDPOINT_EVENTS)
    sm = aws.client("sagemaker")
    zero = sm.describe_endpoint(EndpointName="ep")["ProductionVariants"][1]
    assert zero["CurrentWeight"] == 0.0
    sm.update_endpoint_weights_and_capacities(
        EndpointName="ep",
        DesiredWeightsAndCapacities=[
            {"VariantName": "v0", "DesiredWeight": 0.0},
            {"VariantName": "v1", "DesiredWeight": 1.0, "DesiredInstanceCount": 2},
        ],
    )
    during = sm.describe_endpoint(EndpointName="ep")
    assert during["EndpointStatus"] == "Updating"
    v1 = during["ProductionVariants"][1]
    assert (v1["CurrentWeight"], v1["DesiredWeight"]) == (0.0, 1.0)
    wait_until(lambda: status(aws, "ep") == "InService")
    variants = {
        v["VariantName"]: v for v in sm.describe_endpoint(EndpointName="ep")["ProductionVariants"]
    }
    assert variants["v0"]["CurrentWeight"] == 0.0
    assert variants["v1"]["CurrentWeight"] == 1.0
    assert variants["v1"]["CurrentInstanceCount"] == 2
    wait_until(lambda: statuses(events, "ep") == ["UPDATING", "IN_SERVICE"])
    with pytest.raises(ClientError, match="not present within endpoint configuration"):
        sm.update_endpoint_weights_and_capacities(
            EndpointName="ep",
            DesiredWeightsAndCapacities=[{"VariantName": "nope", "DesiredWeight": 1.0}],
        )


def test_retain_all_variant_properties(aws: boto3.Session) -> None:
    in_service_endpoint(aws, weights=(1.0, 1.0))
    sm = aws.client("sagemaker")
    sm.update_endpoint_weights_and_capacities(
        EndpointName="ep", DesiredWeightsAndCapacities=[{"VariantName": "v1", "DesiredWeight": 3.0}]
    )
    wait_until(lambda: status(aws, "ep") == "InService")
    create_config(aws, "cfg2", [("v0", "ep-m0", 1.0), ("v1", "ep-m1", 1.0)])
    sm.update_endpoint(
        EndpointName="ep", EndpointConfigName="cfg2", RetainAllVariantProperties=True
    )
    wait_until(lambda: sm.describe_endpoint(EndpointName="ep")["EndpointConfigName"] == "cfg2")
    weights = [
        v["CurrentWeight"] for v in sm.describe_endpoint(EndpointName="ep")["ProductionVariants"]
    ]
    assert weights == [1.0, 3.0]


def test_shadow_async_and_data_capture_are_described(aws: boto3.Session) -> None:
    sm = aws.client("sagemaker")
    create_model(aws, "prod", put_model(aws, "prod/model.tar.gz"))
    create_model(aws, "shadow", put_model(aws, "shadow/model.tar.gz"))
    create_config(
        aws,
        "cfg",
        [("prod", "prod", 1.0)],
        shadows=[("shadow", "shadow", 0.5)],
        AsyncInferenceConfig={"OutputConfig": {"S3OutputPath": "s3://models/async/"}},
        DataCaptureConfig={
            "EnableCapture": True,
            "InitialSamplingPercentage": 50,
            "DestinationS3Uri": "s3://models/capture",
            "CaptureOptions": [{"CaptureMode": "Input"}],
        },
    )
    config = sm.describe_endpoint_config(EndpointConfigName="cfg")
    assert config["ShadowProductionVariants"][0]["VariantName"] == "shadow"
    sm.create_endpoint(EndpointName="ep", EndpointConfigName="cfg")
    wait_until(lambda: status(aws, "ep") == "InService")
    described = sm.describe_endpoint(EndpointName="ep")
    assert described["ShadowProductionVariants"][0]["VariantName"] == "shadow"
    assert described["ShadowProductionVariants"][0]["CurrentWeight"] == 0.5
    assert described["AsyncInferenceConfig"]["OutputConfig"]["S3OutputPath"] == "s3://models/async/"
    assert described["DataCaptureConfig"]["EnableCapture"] is True
    assert described["DataCaptureConfig"]["CurrentSamplingPercentage"] == 50


def test_delete_emits_deleting(aws: boto3.Session) -> None:
    in_service_endpoint(aws)
    events = Events(aws, ENDPOINT_EVENTS)
    aws.client("sagemaker").delete_endpoint(EndpointName="ep")
    with pytest.raises(ClientError, match="Could not find endpoint"):
        aws.client("sagemaker").describe_endpoint(EndpointName="ep")
    wait_until(lambda: statuses(events, "ep") == ["DELETING"])


def test_delete_during_update_cancels_the_transition(aws: boto3.Session) -> None:
    in_service_endpoint(aws)
    sm = aws.client("sagemaker")
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="ep-cfg")
    sm.delete_endpoint(EndpointName="ep")
    assert sm.list_endpoints()["Endpoints"] == []


def test_add_tags_overwrites_an_existing_key_and_list_tags_ends(aws: boto3.Session) -> None:
    """AddTags adds or overwrites; repeated tagging (one per deployment) must neither grow
    the resource's tags nor leave ListTags paging forever."""
    sm = aws.client("sagemaker")
    create_model(aws, "m", put_model(aws, "m/model.tar.gz"))
    arn = sm.describe_model(ModelName="m")["ModelArn"]
    for release in range(60):
        sm.add_tags(
            ResourceArn=arn,
            Tags=[
                {"Key": "rollout:release", "Value": str(release)},
                {"Key": "team", "Value": "ml"},
            ],
        )
    pages = list(
        sm.get_paginator("list_tags").paginate(ResourceArn=arn, PaginationConfig={"MaxItems": 200})
    )
    tags = [tag for page in pages for tag in page["Tags"]]
    assert {t["Key"]: t["Value"] for t in tags} == {"rollout:release": "59", "team": "ml"}
    assert len(tags) == 2 and len(pages) == 1
