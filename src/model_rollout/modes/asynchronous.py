"""Asynchronous inference: endpoint configuration, submitting S3 inputs, recording results.

- ``mode: async`` in the policy: the release's endpoint configs carry
  ``AsyncInferenceConfig`` (``async_inference_config``): S3 output and failure paths, the
  SNS success and error topics, ``MaxConcurrentInvocationsPerInstance``. Once promoted, the
  serving variant gets backlog autoscaling that can go to zero (``register_async_scaling``).
  Both are this mode's hooks of the steps' ``Mode`` interface (``Asynchronous``).
- *submit* (SubmitAsyncFunction): each input is checked first (inside an allowed bucket,
  present, at most 1 GB, endpoint asynchronous): any refusal refuses the whole submission
  with ``AsyncRequestRefused`` and nothing is invoked. Then ``InvokeEndpointAsync`` per
  input, and one item per request in the requests table (``request_id`` = the InferenceId;
  status ``Submitted``, input, output and failure locations).
- *result* (AsyncResultFunction, subscribed to both topics): SageMaker's ``InferenceResult``
  notification sets the item's status to ``Completed`` (with the output location) or
  ``Failed`` (with the failure reason and location).
- *status* (AsyncStatusFunction): the item of a request id.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from model_rollout.adapters.async_requests import AsyncRequests, AsyncRuntime
from model_rollout.adapters.variant_scaling import VariantScaling
from model_rollout.config import (
    AsyncSubmitSettings,
    InferenceSettings,
    async_submit_settings,
    inference_settings,
)
from model_rollout.domain.deployment import Deployment
from model_rollout.domain.model import Strict
from model_rollout.domain.policy import AsyncInferencePolicy, Policy
from model_rollout.errors import AsyncRequestRefused
from model_rollout.modes import Mode

MAX_INPUT_BYTES = 1024**3  # SageMaker's limit on an asynchronous request's payload
RECORD_TTL_SECONDS = 30 * 86_400
SCALABLE_DIMENSION = "sagemaker:variant:DesiredInstanceCount"


# --- endpoint configuration --------------------------------------------------------------


def async_inference_config(
    policy: Policy, config: InferenceSettings | None = None
) -> dict[str, Any] | None:
    """The ``AsyncInferenceConfig`` of the policy's endpoint configs (``None``: real-time)."""
    if policy.mode != "async":
        return None
    config = config or inference_settings()
    spec = policy.async_inference or AsyncInferencePolicy()
    notification = {
        "SuccessTopic": spec.success_topic_arn or config.async_success_topic_arn,
        "ErrorTopic": spec.error_topic_arn or config.async_error_topic_arn,
    }
    endpoint = policy.endpoint_name
    return {
        "ClientConfig": {
            "MaxConcurrentInvocationsPerInstance": spec.max_concurrent_invocations_per_instance
        },
        "OutputConfig": {
            "S3OutputPath": (spec.output_s3_uri or f"{config.async_output_uri}/{endpoint}").rstrip(
                "/"
            ),
            "S3FailurePath": (
                spec.failure_s3_uri or f"{config.async_failure_uri}/{endpoint}"
            ).rstrip("/"),
            "NotificationConfig": {k: v for k, v in notification.items() if v},
        },
    }


def scaling_plan(policy: Policy, endpoint_name: str, variant_name: str) -> dict[str, Any]:
    """Application Auto Scaling requests for an asynchronous variant (after the SageMaker
    guide "Autoscale an asynchronous endpoint"): a scalable target whose minimum may be 0,
    target tracking on ``ApproximateBacklogSizePerInstance``, and a step policy that adds an
    instance when ``HasBacklogWithoutCapacity`` (the scale-out from zero)."""
    spec = policy.async_inference or AsyncInferencePolicy()
    resource_id = f"endpoint/{endpoint_name}/variant/{variant_name}"
    return {
        "target": {
            "ServiceNamespace": "sagemaker",
            "ResourceId": resource_id,
            "ScalableDimension": SCALABLE_DIMENSION,
            "MinCapacity": spec.min_capacity,
            "MaxCapacity": max(spec.max_capacity, spec.min_capacity, 1),
        },
        "backlog_policy": {
            "PolicyName": f"{endpoint_name}-backlog-per-instance"[:256],
            "ServiceNamespace": "sagemaker",
            "ResourceId": resource_id,
            "ScalableDimension": SCALABLE_DIMENSION,
            "PolicyType": "TargetTrackingScaling",
            "TargetTrackingScalingPolicyConfiguration": {
                "TargetValue": spec.target_backlog_per_instance,
                "CustomizedMetricSpecification": {
                    "MetricName": "ApproximateBacklogSizePerInstance",
                    "Namespace": "AWS/SageMaker",
                    "Dimensions": [{"Name": "EndpointName", "Value": endpoint_name}],
                    "Statistic": "Average",
                },
                "ScaleInCooldown": 600,
                "ScaleOutCooldown": 300,
            },
        },
        "from_zero_policy": {
            "PolicyName": f"{endpoint_name}-has-backlog-without-capacity"[:256],
            "ServiceNamespace": "sagemaker",
            "ResourceId": resource_id,
            "ScalableDimension": SCALABLE_DIMENSION,
            "PolicyType": "StepScaling",
            "StepScalingPolicyConfiguration": {
                "AdjustmentType": "ChangeInCapacity",
                "MetricAggregationType": "Average",
                "Cooldown": 300,
                "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}],
            },
        },
        "from_zero_alarm": {
            "AlarmName": f"{endpoint_name}-has-backlog-without-capacity"[:255],
            "MetricName": "HasBacklogWithoutCapacity",
            "Namespace": "AWS/SageMaker",
            "Dimensions": [{"Name": "EndpointName", "Value": endpoint_name}],
            "Statistic": "Average",
            "Period": 60,
            "EvaluationPeriods": 2,
            "Threshold": 1.0,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "missing",
        },
    }


# --- submit --------------------------------------------------------------------------------


class AsyncInput(Strict):
    s3_uri: str = Field(pattern=r"^s3://[^/]+/.+")
    content_type: str = "text/csv"
    accept: str | None = None
    request_id: str | None = Field(default=None, min_length=1, max_length=64)


class SubmitRequest(Strict):
    endpoint_name: str = Field(min_length=1)
    inputs: list[AsyncInput] = Field(min_length=1, max_length=100)


class AsyncRecord(BaseModel):
    """One request as the requests table holds it."""

    request_id: str
    endpoint_name: str
    status: Literal["Submitted", "Completed", "Failed"]
    input_location: str
    output_location: str | None = None
    failure_location: str | None = None
    failure_reason: str | None = None
    submitted_at: str | None = None
    completed_at: str | None = None


def _bucket(uri: str) -> str:
    return uri[5:].split("/", 1)[0]


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def submit(
    request: SubmitRequest,
    *,
    runtime: AsyncRuntime,
    requests: AsyncRequests,
    config: AsyncSubmitSettings | None = None,
) -> list[AsyncRecord]:
    config = config or async_submit_settings()
    allowed = config.async_allowed_buckets
    refusals = []
    for item in request.inputs:
        bucket = _bucket(item.s3_uri)
        if bucket not in allowed:
            refusals.append(
                f"{item.s3_uri} is outside the allowed buckets ({', '.join(allowed)}); add "
                "the bucket to the AsyncAllowedBuckets parameter"
            )
            continue
        size = runtime.object_size(item.s3_uri)
        if size is None:
            refusals.append(f"{item.s3_uri} does not exist")
        elif size > MAX_INPUT_BYTES:
            refusals.append(
                f"{item.s3_uri} is {size} bytes, over the 1 GB ({MAX_INPUT_BYTES} bytes) limit "
                "of an asynchronous inference request"
            )
    if not runtime.is_async_endpoint(request.endpoint_name):
        refusals.append(
            f"endpoint {request.endpoint_name} does not exist or is not an asynchronous "
            "endpoint (deploy it with policy mode 'async')"
        )
    if refusals:
        raise AsyncRequestRefused(
            f"{len(refusals)} of {len(request.inputs)} inputs refused, nothing submitted: "
            + "; ".join(refusals)
        )
    records = []
    for item in request.inputs:
        request_id = item.request_id or str(uuid.uuid4())
        answer = runtime.invoke_async(
            request.endpoint_name,
            item.s3_uri,
            content_type=item.content_type,
            accept=item.accept,
            inference_id=request_id,
        )
        record = AsyncRecord(
            request_id=str(answer.get("InferenceId") or request_id),
            endpoint_name=request.endpoint_name,
            status="Submitted",
            input_location=item.s3_uri,
            output_location=answer.get("OutputLocation"),
            failure_location=answer.get("FailureLocation"),
            submitted_at=_now(),
        )
        requests.put_submitted(record.model_dump(), ttl_seconds=RECORD_TTL_SECONDS)
        records.append(record)
    return records


# --- result --------------------------------------------------------------------------------


class InferenceResult(BaseModel):
    """SageMaker's asynchronous inference notification (the SNS message)."""

    model_config = ConfigDict(extra="allow")

    inferenceId: str
    invocationStatus: str
    failureReason: str | None = None
    requestParameters: dict[str, Any] = Field(default_factory=dict)
    responseParameters: dict[str, Any] = Field(default_factory=dict)
    eventTime: str | None = None


class SnsMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    Message: str
    TopicArn: str | None = None


class SnsRecord(BaseModel):
    model_config = ConfigDict(extra="allow")

    Sns: SnsMessage


class SnsEvent(BaseModel):
    model_config = ConfigDict(extra="allow")

    Records: list[SnsRecord]


def record_results(event: SnsEvent, *, requests: AsyncRequests) -> list[AsyncRecord]:
    recorded = []
    for item in event.Records:
        result = InferenceResult.model_validate(json.loads(item.Sns.Message))
        completed = result.invocationStatus == "Completed"
        response = result.responseParameters
        record = AsyncRecord(
            request_id=result.inferenceId,
            endpoint_name=str(result.requestParameters.get("endpointName", "")),
            status="Completed" if completed else "Failed",
            input_location=str(result.requestParameters.get("inputLocation", "")),
            output_location=response.get("outputLocation") if completed else None,
            failure_location=None if completed else response.get("failureLocation"),
            failure_reason=None if completed else (result.failureReason or "no reason given"),
            completed_at=result.eventTime or _now(),
        )
        requests.record_result(record.model_dump(exclude_none=True))
        recorded.append(record)
    return recorded


class StatusRequest(Strict):
    request_id: str = Field(min_length=1)


def status(request: StatusRequest, *, requests: AsyncRequests) -> dict[str, Any]:
    item = requests.get(request.request_id)
    if item is None:
        return {"request_id": request.request_id, "found": False}
    return {"found": True, **AsyncRecord.model_validate(item).model_dump(exclude_none=True)}


# --- autoscaling, once promoted ------------------------------------------------------------


def register_async_scaling(
    deployment: Deployment, scaling: VariantScaling
) -> dict[str, Any] | None:
    """Backlog autoscaling of the promoted variant of an asynchronous endpoint (``None`` for
    a real-time one). Called by Finalize, while the endpoint's lock is still held."""
    if deployment.policy.mode != "async" or deployment.release is None:
        return None
    plan = scaling_plan(
        deployment.policy, deployment.endpoint_name, deployment.release.variant_name
    )
    return scaling.apply(plan)


# --- the mode ------------------------------------------------------------------------------


class Asynchronous(Mode):
    """``mode: async`` behind the steps' ``Mode`` interface: real-time steps, with the
    ``AsyncInferenceConfig`` on every config and backlog autoscaling once promoted."""

    name = "async"

    def endpoint_config(self, policy: Policy) -> dict[str, Any] | None:
        return async_inference_config(policy)

    def after_promotion(self, deployment: Deployment, scaling: Any) -> dict[str, Any] | None:
        return register_async_scaling(deployment, scaling)


MODE = Asynchronous()
