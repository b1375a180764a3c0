"""SageMaker client errors (API reference): CreateModelPackageGroup of an existing name,
tag operations on an ARN without a resource."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from .conftest import create_model, put_model

MISSING = "arn:aws:sagemaker:us-east-1:123456789012:endpoint/no-such-endpoint"


def test_create_model_package_group_twice_is_refused_and_keeps_the_group(
    aws_manual: boto3.Session,
) -> None:
    sm = aws_manual.client("sagemaker")
    arn = sm.create_model_package_group(
        ModelPackageGroupName="dup-group",
        ModelPackageGroupDescription="first",
        Tags=[{"Key": "team", "Value": "a"}],
    )["ModelPackageGroupArn"]
    with pytest.raises(ClientError) as err:
        sm.create_model_package_group(
            ModelPackageGroupName="dup-group", ModelPackageGroupDescription="second"
        )
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert err.value.response["Error"]["Message"] == f"Model Package Group already exists: {arn}"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    group = sm.describe_model_package_group(ModelPackageGroupName="dup-group")
    assert group["ModelPackageGroupDescription"] == "first"
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "a"}]


@pytest.mark.parametrize(
    "call",
    [
        lambda sm, arn: sm.list_tags(ResourceArn=arn),
        lambda sm, arn: sm.add_tags(ResourceArn=arn, Tags=[{"Key": "k", "Value": "v"}]),
        lambda sm, arn: sm.delete_tags(ResourceArn=arn, TagKeys=["k"]),
    ],
    ids=["ListTags", "AddTags", "DeleteTags"],
)
@pytest.mark.parametrize(
    "arn",
    [
        MISSING,
        "arn:aws:sagemaker:us-east-1:123456789012:model-package/no-group/1",
        "arn:aws:sagemaker:us-east-1:123456789012:no-such-kind/x",
    ],
    ids=["endpoint", "model-package", "unknown-kind"],
)
def test_tags_of_a_missing_resource_are_a_validation_error(
    aws_manual: boto3.Session, call: object, arn: str
) -> None:
    sm = aws_manual.client("sagemaker")
    with pytest.raises(ClientError) as err:
        call(sm, arn)  # type: ignore[operator]
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert arn in err.value.response["Error"]["Message"]
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_tags_of_existing_resources_including_model_packages(aws_manual: boto3.Session) -> None:
    sm = aws_manual.client("sagemaker")
    create_model(aws_manual, "tagged-model", put_model(aws_manual, "tagged/model.tar.gz"))
    model_arn = sm.describe_model(ModelName="tagged-model")["ModelArn"]
    sm.add_tags(ResourceArn=model_arn, Tags=[{"Key": "k", "Value": "v"}])
    assert sm.list_tags(ResourceArn=model_arn)["Tags"] == [{"Key": "k", "Value": "v"}]
    sm.delete_tags(ResourceArn=model_arn, TagKeys=["k"])
    assert sm.list_tags(ResourceArn=model_arn)["Tags"] == []
    sm.create_model_package_group(ModelPackageGroupName="tagged-group")
    package = sm.create_model_package(
        ModelPackageGroupName="tagged-group",
        InferenceSpecification={
            "Containers": [{"Image": "img:1"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        Tags=[{"Key": "stage", "Value": "candidate"}],
    )["ModelPackageArn"]
    assert sm.list_tags(ResourceArn=package)["Tags"] == [{"Key": "stage", "Value": "candidate"}]
