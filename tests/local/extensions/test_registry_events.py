"""Model package state change events and UpdateModelPackage semantics."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from tests.helpers.examples import APPROVED_EVENT

from .conftest import Events

EXAMPLE = APPROVED_EVENT
PACKAGE_EVENTS = {
    "source": ["aws.sagemaker"],
    "detail-type": ["SageMaker Model Package State Change"],
}


def create_package(sm: Any, **extra: Any) -> str:
    sm.create_model_package_group(ModelPackageGroupName="churn")
    return str(
        sm.create_model_package(
            ModelPackageGroupName="churn",
            InferenceSpecification={
                "Containers": [
                    {
                        "Image": "1.dkr.ecr.us-east-1.amazonaws.com/x:1",
                        "ModelDataUrl": "s3://models/churn/model.tar.gz",
                    }
                ],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
            ModelMetrics={
                "ModelQuality": {
                    "Statistics": {"ContentType": "application/json", "S3Uri": "s3://m/e.json"}
                }
            },
            MetadataProperties={"GeneratedBy": "pipeline/x"},
            CustomerMetadataProperties={"git_commit": "abc", "data_version": "d1"},
            **extra,
        )["ModelPackageArn"]
    )


def test_create_emits_event_shaped_like_the_aws_example(aws: boto3.Session) -> None:
    events = Events(aws, PACKAGE_EVENTS)
    arn = create_package(aws.client("sagemaker"))
    (event,) = events.wait_for(lambda e: True)
    example = json.loads(EXAMPLE.read_text())
    assert event["detail-type"] == example["detail-type"]
    assert event["source"] == example["source"]
    assert event["resources"] == [arn]
    detail = event["detail"]
    expected_keys = set(example["detail"]) - {"UpdatedModelPackageFields"}
    assert set(detail) == expected_keys
    assert detail["ModelPackageGroupName"] == "churn"
    assert detail["ModelPackageVersion"] == 1
    assert detail["ModelPackageArn"] == arn
    assert detail["ModelApprovalStatus"] == "PendingManualApproval"
    assert detail["ModelPackageStatus"] == "Completed"
    assert detail["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"] == "s3://m/e.json"
    assert detail["CreationTime"].endswith("Z") and len(detail["CreationTime"]) == 20
    assert detail["LastModifiedTime"] == detail["CreationTime"]
    assert "CustomerMetadataProperties" not in detail


def test_approval_then_metadata_only_update(aws: boto3.Session) -> None:
    sm = aws.client("sagemaker")
    arn = create_package(sm)
    events = Events(aws, PACKAGE_EVENTS)
    sm.update_model_package(
        ModelPackageArn=arn, ModelApprovalStatus="Approved", ApprovalDescription="ok"
    )
    (approved,) = events.wait_for(lambda e: True)
    assert approved["detail"]["ModelApprovalStatus"] == "Approved"
    assert approved["detail"]["UpdatedModelPackageFields"] == [
        "ModelApprovalStatus",
        "ApprovalDescription",
    ]
    example = json.loads(EXAMPLE.read_text())
    assert set(approved["detail"]) == set(example["detail"])

    sm.update_model_package(
        ModelPackageArn=arn,
        CustomerMetadataProperties={"build_id": "b7"},
        CustomerMetadataPropertiesToRemove=["data_version"],
    )
    second = events.wait_for(lambda e: len(events.seen) >= 2)[1]
    assert second["detail"]["ModelApprovalStatus"] == "Approved"
    assert second["detail"]["UpdatedModelPackageFields"] == ["CustomerMetadataProperties"]
    assert "CustomerMetadataProperties" not in second["detail"]

    described = sm.describe_model_package(ModelPackageName=arn)
    assert described["ModelApprovalStatus"] == "Approved"  # not cleared by moto any more
    assert described["ApprovalDescription"] == "ok"
    assert described["CustomerMetadataProperties"] == {"git_commit": "abc", "build_id": "b7"}
    assert described["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"] == "s3://m/e.json"
    assert described["LastModifiedTime"] >= described["CreationTime"]


def test_rejection_event(aws: boto3.Session) -> None:
    sm = aws.client("sagemaker")
    arn = create_package(sm, ModelApprovalStatus="Approved")
    events = Events(aws, PACKAGE_EVENTS)
    sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Rejected")
    (event,) = events.wait_for(lambda e: True)
    assert event["detail"]["ModelApprovalStatus"] == "Rejected"
    assert event["detail"]["UpdatedModelPackageFields"] == ["ModelApprovalStatus"]


def test_model_life_cycle_is_kept_answered_and_named_in_the_event(aws: boto3.Session) -> None:
    sm = aws.client("sagemaker")
    arn = create_package(sm, ModelApprovalStatus="Approved")
    assert "ModelLifeCycle" not in sm.describe_model_package(ModelPackageName=arn)
    events = Events(aws, PACKAGE_EVENTS)
    stage = {"Stage": "staging", "StageStatus": "Succeeded", "StageDescription": "baked 600 s"}

    sm.update_model_package(ModelPackageArn=arn, ModelLifeCycle=stage)

    described = sm.describe_model_package(ModelPackageName=arn)
    assert described["ModelLifeCycle"] == stage
    assert described["ModelApprovalStatus"] == "Approved"  # untouched
    (event,) = events.wait_for(lambda e: True)
    # a metadata-only update of an approved package: no deployment starts on it
    assert event["detail"]["UpdatedModelPackageFields"] == ["ModelLifeCycle"]
    assert event["detail"]["ModelApprovalStatus"] == "Approved"


def test_a_malformed_model_life_cycle_is_a_validation_error(aws: boto3.Session) -> None:
    # the service's own check, not botocore's
    sm = aws.client("sagemaker", config=Config(parameter_validation=False))
    arn = create_package(sm)
    for bad in (
        {"Stage": "staging"},  # StageStatus is required
        {"Stage": "stag ing", "StageStatus": "Succeeded"},
        {"Stage": "staging", "StageStatus": "Succeeded", "StageDescription": "x" * 1025},
    ):
        with pytest.raises(ClientError) as error:
            sm.update_model_package(ModelPackageArn=arn, ModelLifeCycle=bad)
        assert error.value.response["Error"]["Code"] == "ValidationException", bad
    assert "ModelLifeCycle" not in sm.describe_model_package(ModelPackageName=arn)
