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

from typing import Any, Final, Literal

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from model_rollout.adapters.tasks import TaskTokens
from model_rollout.adapters.transforms import Transforms
from model_rollout.adapters.waiters import Waiters
from model_rollout.config import TransformSettings, transform_settings
from model_rollout.domain.lineage import TAG_PREFIX
from model_rollout.domain.model import Strict
from model_rollout.domain.policy import ValidationDataset
from model_rollout.domain.release import sanitize_name, short_id
from model_rollout.errors import InvalidBatchRequest, TransformFailed

TRANSFORM_PREFIX = "transform#"
TERMINAL = {"Completed", "Failed", "Stopped"}
CSV: Final = "text/csv"
JSON_LINES: Final = "application/jsonlines"
TAG_PURPOSE = f"{TAG_PREFIX}purpose"
TAG_BATCH_INPUT = f"{TAG_PREFIX}batch-input"
TAG_BATCH_EXECUTION = f"{TAG_PREFIX}batch-execution"


def transform_key(job_name: str) -> str:
    return f"{TRANSFORM_PREFIX}{job_name}"


ContentType = Literal["text/csv", "application/jsonlines"]


class BatchRequest(Strict):
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


class TransformPlan(Strict):
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


def transform_names(execution_name: str, label: str, version: int | None) -> str:
    tail = f"bt-{short_id(execution_name)}"
    base = sanitize_name(f"{label}-v{version}" if version is not None else label)
    base = base[: 63 - len(tail) - 1].strip("-") or "model"
    return f"{base}-{tail}"


class TransformJobDetail(BaseModel):
    """``detail`` of "SageMaker Transform Job State Change"."""

    model_config = ConfigDict(extra="allow")

    TransformJobName: str
    TransformJobStatus: str
    FailureReason: str | None = None


class TransformJobStateChange(EventBridgeModel):
    detail: TransformJobDetail


# --- running and waiting -----------------------------------------------------------------


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


def on_transform_state_change(
    job_name: str, status: str, *, transforms: Transforms, waiters: Waiters, tasks: TaskTokens
) -> str:
    if status not in TERMINAL:
        return "ignored"
    return release_transform(
        job_name, transforms.describe_job(job_name), waiters=waiters, tasks=tasks
    )


# --- finishing ---------------------------------------------------------------------------
