"""Describe* of SageMaker leave out members never set (API reference: optional members are
absent, and the members of DataCaptureConfig / VpcConfig / ContainerDefinition that an empty
structure lacks are required)."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.model import StructureShape

from rollout_local.extensions.sagemaker_unset_members import clean

from .conftest import create_config, create_model, put_model, wait_until


def _model_with_containers(sm: object, name: str) -> None:
    sm.create_model(  # type: ignore[attr-defined]
        ModelName=name,
        ExecutionRoleArn="arn:aws:iam::123456789012:role/sm",
        Containers=[{"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/m:1"}],
    )


def test_describe_model_leaves_out_vpc_config_and_the_unused_container_form(
    aws_manual: boto3.Session,
) -> None:
    sm = aws_manual.client("sagemaker")
    create_model(aws_manual, "primary", put_model(aws_manual, "unset/model.tar.gz"))
    _model_with_containers(sm, "multi")
    primary = sm.describe_model(ModelName="primary")
    assert "VpcConfig" not in primary
    assert "Containers" not in primary
    assert primary["PrimaryContainer"]["ModelDataUrl"] == "s3://models/unset/model.tar.gz"
    multi = sm.describe_model(ModelName="multi")
    assert "PrimaryContainer" not in multi and "VpcConfig" not in multi
    assert multi["Containers"] == [{"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/m:1"}]
    # set members stay as they were given
    assert multi["ExecutionRoleArn"] == "arn:aws:iam::123456789012:role/sm"
    assert multi["EnableNetworkIsolation"] is False


def test_describe_endpoint_config_and_endpoint_leave_out_data_capture_config(
    aws_manual: boto3.Session,
) -> None:
    sm = aws_manual.client("sagemaker")
    create_model(aws_manual, "cfg-m", put_model(aws_manual, "cfg/model.tar.gz"))
    create_config(aws_manual, "cfg-plain", [("v0", "cfg-m", 1.0)])
    config = sm.describe_endpoint_config(EndpointConfigName="cfg-plain")
    assert "DataCaptureConfig" not in config
    assert "AsyncInferenceConfig" not in config
    assert [v["VariantName"] for v in config["ProductionVariants"]] == ["v0"]
    sm.create_endpoint(EndpointName="cfg-ep", EndpointConfigName="cfg-plain")
    wait_until(lambda: sm.describe_endpoint(EndpointName="cfg-ep")["EndpointStatus"] != "Creating")
    endpoint = sm.describe_endpoint(EndpointName="cfg-ep")
    assert "DataCaptureConfig" not in endpoint
    assert all(value not in ({}, [], None) for value in endpoint.values())


def test_a_set_data_capture_config_is_answered(aws_manual: boto3.Session) -> None:
    sm = aws_manual.client("sagemaker")
    create_model(aws_manual, "dc-m", put_model(aws_manual, "dc/model.tar.gz"))
    capture = {
        "EnableCapture": True,
        "InitialSamplingPercentage": 100,
        "DestinationS3Uri": "s3://models/capture",
        "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
    }
    create_config(aws_manual, "dc-cfg", [("v0", "dc-m", 1.0)], DataCaptureConfig=capture)
    got = sm.describe_endpoint_config(EndpointConfigName="dc-cfg")["DataCaptureConfig"]
    assert got["InitialSamplingPercentage"] == 100
    assert got["DestinationS3Uri"] == "s3://models/capture"


def test_describe_model_package_has_its_required_name_and_no_empty_members(
    aws_manual: boto3.Session,
) -> None:
    sm = aws_manual.client("sagemaker")
    sm.create_model_package_group(ModelPackageGroupName="unset-group")
    arn = sm.create_model_package(
        ModelPackageGroupName="unset-group",
        ModelApprovalStatus="PendingManualApproval",
        InferenceSpecification={
            "Containers": [{"Image": "img:1", "ModelDataUrl": "s3://models/p/model.tar.gz"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    )["ModelPackageArn"]
    package = sm.describe_model_package(ModelPackageName=arn)
    empty = {key for key, value in package.items() if value in ({}, [], None)}
    assert empty == set()
    for unset in ("ModelMetrics", "DriftCheckBaselines", "ValidationSpecification"):
        assert unset not in package
    assert package["ModelApprovalStatus"] == "PendingManualApproval"
    # ModelPackageName is required by the output shape: a versioned package's is its group's
    assert package["ModelPackageName"] == "unset-group"
    assert package["ModelPackageGroupName"] == "unset-group"
    assert package["ModelPackageVersion"] == 1
    group = sm.describe_model_package_group(ModelPackageGroupName="unset-group")
    assert {key for key, value in group.items() if value in ({}, [], None)} == set()


def test_clean_keeps_required_members_and_walks_lists() -> None:
    shape = boto3.client("sagemaker", region_name="us-east-1").meta.service_model
    output = shape.operation_model("DescribeEndpointConfig").output_shape
    assert isinstance(output, StructureShape)
    answer: dict[str, Any] = {
        "EndpointConfigName": "c",
        "EndpointConfigArn": "arn",
        "ProductionVariants": [{"VariantName": "v", "CoreDumpConfig": {}, "ModelName": "m"}],
        "DataCaptureConfig": {},
        "KmsKeyId": None,
        "CreationTime": 0,
    }
    cleaned = clean(answer, output)
    assert cleaned == {
        "EndpointConfigName": "c",
        "EndpointConfigArn": "arn",
        "ProductionVariants": [{"VariantName": "v", "ModelName": "m"}],
        "CreationTime": 0,
    }
    # a required member stays even when empty (the shape says it must be there)
    assert clean({"ProductionVariants": []}, output) == {"ProductionVariants": []}
