"""PrepareTransform: the batch input, the model package's release and the transform plan."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from model_rollout.adapters.registry import ModelRegistry
from model_rollout.adapters.releases import Releases
from model_rollout.config import TransformSettings, transform_settings
from model_rollout.domain.lineage import METADATA_TAGS, lineage_tags, sanitize_tag_value
from model_rollout.domain.model import Strict
from model_rollout.errors import InvalidBatchRequest, ModelPackageNotFound
from model_rollout.workflow.transforms import (
    TAG_BATCH_EXECUTION,
    TAG_BATCH_INPUT,
    TAG_PURPOSE,
    TransformPlan,
    parse_batch_input,
    transform_names,
    validation_filter,
)


def prepare_transform(
    raw: Any,
    execution_name: str,
    *,
    releases: Releases,
    registry: ModelRegistry,
    config: TransformSettings | None = None,
) -> TransformPlan:
    """Resolve the model package, create the temporary Model, plan the job."""
    config = config or transform_settings()
    request = parse_batch_input(raw, config)
    package_arn = request.model_package_arn
    if package_arn is None:
        assert request.endpoint_name is not None
        serving = releases.serving_state(request.endpoint_name)
        if serving is None:
            raise InvalidBatchRequest(f"endpoint {request.endpoint_name} does not exist")
        if not serving.model_package_arn:
            raise InvalidBatchRequest(
                f"endpoint {request.endpoint_name} has no rollout:model-package-arn tag: it "
                "was not deployed by model-rollout; name a model_package_arn instead"
            )
        package_arn = serving.model_package_arn
    try:
        package = registry.describe(package_arn)
    except ModelPackageNotFound as error:
        raise InvalidBatchRequest(str(error)) from None

    input_uri = request.input_s3_uri
    content_type: str = request.content_type
    input_filter = request.input_filter
    if request.validation_set is not None:
        input_uri = request.validation_set.s3_uri
        content_type = request.validation_set.content_type
        input_filter = validation_filter(request.validation_set)
    assert input_uri is not None

    label = package.group or (request.endpoint_name or "model")
    job_name = transform_names(execution_name, label, package.version)
    output_uri = (request.output_s3_uri or f"{config.batch_output_uri}/{job_name}").rstrip("/")
    tags = lineage_tags(
        model_package_arn=package.arn,
        model_package_group=package.group or "",
        model_package_version=package.version or 0,
        deployment_id=execution_name,
        lineage={k: v for k, v in package.customer_metadata.items() if k in METADATA_TAGS},
        endpoint_name=request.endpoint_name,
    )
    tags.update(
        {
            TAG_PURPOSE: sanitize_tag_value(request.purpose),
            TAG_BATCH_INPUT: sanitize_tag_value(input_uri),
            TAG_BATCH_EXECUTION: sanitize_tag_value(execution_name),
        }
    )
    job_request: dict[str, Any] = {
        "TransformJobName": job_name,
        "ModelName": job_name,
        "BatchStrategy": request.batch_strategy,
        "MaxPayloadInMB": request.max_payload_mb,
        "TransformInput": {
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": input_uri}},
            "ContentType": content_type,
            "SplitType": "Line",
            "CompressionType": "None",
        },
        "TransformOutput": {
            "S3OutputPath": output_uri,
            "Accept": content_type,
            "AssembleWith": "Line",
        },
        "TransformResources": {
            "InstanceType": request.instance_type or config.transform_instance_type,
            "InstanceCount": request.instance_count,
        },
        "DataProcessing": {
            "InputFilter": input_filter,
            "JoinSource": request.join_source,
            "OutputFilter": request.output_filter,
        },
        "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
    }
    releases.create_model(job_name, package.arn, tags)
    return TransformPlan(
        execution_name=execution_name,
        job_name=job_name,
        model_name=job_name,
        model_package_arn=package.arn,
        endpoint_name=request.endpoint_name,
        input_s3_uri=input_uri,
        output_s3_uri=output_uri,
        content_type=content_type,
        purpose=request.purpose,
        tags=tags,
        wait_seconds=config.transform_wait_seconds,
        request=job_request,
    )


class PrepareTransformInput(Strict):
    """PrepareTransform's Parameters: the execution's input and name."""

    input: Any = None
    execution_name: str = Field(min_length=1)
