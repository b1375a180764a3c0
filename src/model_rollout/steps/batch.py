"""Batch transform: a model package run over an S3 data set, each output record joined with
its input (statemachines/batch_transform.asl.json).

PrepareTransform → RunTransform (task token, released by the "SageMaker Transform Job State
Change" event) → FinishTransform → Transformed | TransformFailed.

An execution starts from one of:

- a request (direct ``StartExecution``, the schedule's input, or the deploy-model state
  machine's fixed-set gate): ``BatchRequest`` below; exactly one of ``model_package_arn``
  (a named version) or ``endpoint_name`` (the approved package serving it, from the
  endpoint's ``rollout:model-package-arn`` tag);
- an S3 "Object Created" event for ``s3://<inference bucket>/<batch prefix><endpoint>/<file>``:
  the model serving ``<endpoint>`` runs over ``<file>`` (``.csv``: text/csv; ``.jsonl``,
  ``.json``: application/jsonlines).

The temporary Model is tagged with the lineage of its package, as is the job; both are
named after the execution, so that a retried step finds what it made. FinishTransform
deletes the Model whatever happened, and names the job's ``FailureReason`` when it failed.
"""

from __future__ import annotations

import json
from typing import Any, Final, Literal

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from model_rollout.adapters.registry import ModelRegistry
from model_rollout.adapters.releases import Releases
from model_rollout.adapters.tasks import TaskTokens
from model_rollout.adapters.transforms import Transforms
from model_rollout.adapters.waiters import Waiters
from model_rollout.config import TransformSettings, transform_settings
from model_rollout.domain.deployment import BatchOutcome  # the execution's output ($.outcome)
from model_rollout.domain.lineage import METADATA_TAGS, TAG_PREFIX, lineage_tags, sanitize_tag_value
from model_rollout.domain.policy import ValidationDataset
from model_rollout.domain.release import sanitize_name, short_id
from model_rollout.errors import InvalidBatchRequest, ModelPackageNotFound, TransformFailed

TRANSFORM_PREFIX = "transform#"
TERMINAL = {"Completed", "Failed", "Stopped"}
CSV: Final = "text/csv"
JSON_LINES: Final = "application/jsonlines"
TAG_PURPOSE = f"{TAG_PREFIX}purpose"
TAG_BATCH_INPUT = f"{TAG_PREFIX}batch-input"
TAG_BATCH_EXECUTION = f"{TAG_PREFIX}batch-execution"


def transform_key(job_name: str) -> str:
    return f"{TRANSFORM_PREFIX}{job_name}"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


ContentType = Literal["text/csv", "application/jsonlines"]


class BatchRequest(_Strict):
    model_package_arn: str | None = None
    endpoint_name: str | None = None
    input_s3_uri: str | None = Field(default=None, pattern=r"^s3://[^/]+(/.*)?$")
    output_s3_uri: str | None = Field(default=None, pattern=r"^s3://[^/]+(/.*)?$")
    content_type: ContentType = CSV
    input_filter: str = Field(default="$", max_length=63)
    output_filter: str = Field(default="$", max_length=63)
    join_source: Literal["Input", "None"] = "Input"
    batch_strategy: Literal["MultiRecord", "SingleRecord"] = "MultiRecord"
    max_payload_mb: int = Field(default=6, ge=1, le=100)
    instance_type: str | None = None
    instance_count: int = Field(default=1, ge=1, le=100)
    purpose: str = "batch-transform"
    # a fixed validation set (the deploy-model gate): input, filter and type come from it
    validation_set: ValidationDataset | None = None
    # set by Step Functions when another execution starts this one (console linking)
    AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: str | None = None

    @model_validator(mode="after")
    def _one_model(self) -> BatchRequest:
        if (self.model_package_arn is None) == (self.endpoint_name is None):
            raise ValueError("give exactly one of 'model_package_arn' or 'endpoint_name'")
        if self.input_s3_uri is None and self.validation_set is None:
            raise ValueError("'input_s3_uri' is required")
        return self


def validation_filter(dataset: ValidationDataset) -> str:
    """The InputFilter that passes a validation record's features, not its label."""
    if dataset.content_type == JSON_LINES:
        return f"$.{dataset.features}"
    if not isinstance(dataset.label, int):
        raise InvalidBatchRequest(
            f"validation set {dataset.s3_uri}: a CSV label is a column index, not {dataset.label!r}"
        )
    label = dataset.label
    if label == 0:
        return "$[1:]"
    if label == -1:
        return "$[:-1]"
    if label < 0:
        raise InvalidBatchRequest("a CSV label column is counted from 0 (or -1 for the last)")
    return f"$[0:{label},{label + 1}:]"


def _from_s3_event(event: dict[str, Any], config: TransformSettings) -> BatchRequest:
    detail = event.get("detail") or {}
    bucket = str((detail.get("bucket") or {}).get("name", ""))
    key = str((detail.get("object") or {}).get("key", ""))
    prefix = config.batch_input_prefix
    if not bucket or not key.startswith(prefix):
        raise InvalidBatchRequest(
            f"S3 event for s3://{bucket}/{key}: batch inputs land under "
            f"s3://{config.inference_bucket}/{prefix}<endpoint-name>/<file>"
        )
    endpoint, _, name = key[len(prefix) :].partition("/")
    if not endpoint or not name:
        raise InvalidBatchRequest(
            f"S3 event for s3://{bucket}/{key}: the key must be {prefix}<endpoint-name>/<file>"
        )
    lower = name.lower()
    content_type: ContentType
    if lower.endswith(".csv"):
        content_type = CSV
    elif lower.endswith((".jsonl", ".json")):
        content_type = JSON_LINES
    else:
        raise InvalidBatchRequest(
            f"S3 event for s3://{bucket}/{key}: name the file .csv, .jsonl or .json"
        )
    return BatchRequest(
        endpoint_name=endpoint,
        input_s3_uri=f"s3://{bucket}/{key}",
        content_type=content_type,
        purpose="s3-trigger",
    )


def parse_batch_input(raw: Any, config: TransformSettings | None = None) -> BatchRequest:
    """A request, or the S3 event that started the execution; ``InvalidBatchRequest`` else."""
    config = config or transform_settings()
    if isinstance(raw, dict) and raw.get("source") == "aws.s3":
        return _from_s3_event(raw, config)
    if isinstance(raw, dict) and raw.get("detail-type") == "Scheduled Event":
        raise InvalidBatchRequest(
            "the schedule fired without an input: set the BatchScheduleInput parameter to a "
            "batch request (endpoint_name or model_package_arn, input_s3_uri)"
        )
    try:
        return BatchRequest.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(request)'}: {e['msg']}"
            for e in error.errors()
        )
        raise InvalidBatchRequest(f"batch request is invalid: {problems}") from None


class TransformPlan(_Strict):
    """``$.transform``: what RunTransform creates and FinishTransform cleans up."""

    execution_name: str
    job_name: str
    model_name: str
    model_package_arn: str
    endpoint_name: str | None = None
    input_s3_uri: str
    output_s3_uri: str
    content_type: str
    purpose: str
    tags: dict[str, str]
    wait_seconds: int = Field(ge=1)
    request: dict[str, Any]  # the CreateTransformJob request


def _names(execution_name: str, label: str, version: int | None) -> str:
    tail = f"bt-{short_id(execution_name)}"
    base = sanitize_name(f"{label}-v{version}" if version is not None else label)
    base = base[: 63 - len(tail) - 1].strip("-") or "model"
    return f"{base}-{tail}"


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
    job_name = _names(execution_name, label, package.version)
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


class PrepareTransformInput(_Strict):
    """PrepareTransform's Parameters: the execution's input and name."""

    input: Any = None
    execution_name: str = Field(min_length=1)


class FinishTransformInput(BaseModel):
    """FinishTransform's input: the state document (plan, and a Catch's failure)."""

    model_config = ConfigDict(extra="allow")

    transform: dict[str, Any] | None = None
    failure: dict[str, Any] | None = None


class TransformJobDetail(BaseModel):
    """``detail`` of "SageMaker Transform Job State Change"."""

    model_config = ConfigDict(extra="allow")

    TransformJobName: str
    TransformJobStatus: str
    FailureReason: str | None = None


class TransformJobStateChange(EventBridgeModel):
    detail: TransformJobDetail


# --- running and waiting -----------------------------------------------------------------


class StartTransformRequest(_Strict):
    """The Payload of RunTransform (lambda:invoke.waitForTaskToken)."""

    task_token: str = Field(min_length=1)
    transform: TransformPlan


def _summary(described: dict[str, Any]) -> dict[str, Any]:
    return {
        "job_name": described.get("TransformJobName"),
        "job_arn": described.get("TransformJobArn"),
        "status": described.get("TransformJobStatus"),
        "failure_reason": described.get("FailureReason"),
    }


def release_transform(
    job_name: str,
    described: dict[str, Any] | None,
    *,
    waiters: Waiters,
    tasks: TaskTokens,
) -> str:
    """Succeed or fail the task waiting on ``job_name`` if the job ended (DescribeTransformJob
    decides, not the event); returns met / failed / pending / no-waiter."""
    waiter = waiters.get(transform_key(job_name))
    if waiter is None:
        return "no-waiter"
    status = (described or {}).get("TransformJobStatus")
    if described is None:
        tasks.fail(
            waiter.task_token,
            error=TransformFailed.__name__,
            cause=f"transform job {job_name} does not exist",
        )
    elif status not in TERMINAL:
        return "pending"
    elif status == "Completed":
        tasks.succeed(waiter.task_token, _summary(described))
    else:
        reason = described.get("FailureReason") or "no FailureReason given"
        tasks.fail(
            waiter.task_token,
            error=TransformFailed.__name__,
            cause=f"transform job {job_name} ended {status}: {reason}",
        )
    waiters.remove(waiter.key, task_token=waiter.task_token)
    return "met" if status == "Completed" else "failed"


def start_transform(
    request: StartTransformRequest,
    *,
    transforms: Transforms,
    waiters: Waiters,
    tasks: TaskTokens,
) -> str:
    """Park the token FIRST, then create the job, then check at once (a job that ended
    before the token was parked is not missed)."""
    plan = request.transform
    waiters.park(
        transform_key(plan.job_name),
        request.task_token,
        plan.execution_name,
        None,
        plan.wait_seconds + 3600,
    )
    transforms.create_job(plan.request)
    return release_transform(
        plan.job_name, transforms.describe_job(plan.job_name), waiters=waiters, tasks=tasks
    )


def on_transform_state_change(
    job_name: str, status: str, *, transforms: Transforms, waiters: Waiters, tasks: TaskTokens
) -> str:
    if status not in TERMINAL:
        return "ignored"
    return release_transform(
        job_name, transforms.describe_job(job_name), waiters=waiters, tasks=tasks
    )


# --- finishing ---------------------------------------------------------------------------


def _failure_cause(failure: dict[str, Any]) -> tuple[str, str]:
    error = str(failure.get("Error") or "TransformFailed")
    cause = failure.get("Cause")
    text = str(cause) if cause is not None else ""
    try:  # a Lambda error's cause is its JSON error payload
        parsed = json.loads(text)
        if isinstance(parsed, dict) and parsed.get("errorMessage"):
            error = str(parsed.get("errorType") or error)
            text = str(parsed["errorMessage"])
    except ValueError:
        pass
    if error == "States.Timeout":
        text = f"the transform job did not end within its deadline ({text or 'timeout'})"
    return error, text or error


def finish_transform(
    document: dict[str, Any], *, releases: Releases, transforms: Transforms, waiters: Waiters
) -> BatchOutcome:
    raw_plan = document.get("transform")
    plan = TransformPlan.model_validate(raw_plan) if isinstance(raw_plan, dict) else None
    failure = document.get("failure")
    deleted = False
    if plan is not None:
        deleted = releases.delete_model(plan.model_name)
        waiters.remove_for_deployment(plan.execution_name, prefix=TRANSFORM_PREFIX)
    common: dict[str, Any] = {"model_deleted": deleted}
    if plan is not None:
        described = transforms.describe_job(plan.job_name) or {}
        common.update(
            job_name=plan.job_name,
            job_arn=described.get("TransformJobArn"),
            model_package_arn=plan.model_package_arn,
            endpoint_name=plan.endpoint_name,
            input_s3_uri=plan.input_s3_uri,
            output_s3_uri=plan.output_s3_uri,
            content_type=plan.content_type,
        )
    if isinstance(failure, dict):
        error, cause = _failure_cause(failure)
        return BatchOutcome(status="Failed", error=error, cause=cause, **common)
    assert plan is not None
    return BatchOutcome(
        status="Completed", outputs=transforms.list_outputs(plan.output_s3_uri), **common
    )
