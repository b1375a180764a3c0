"""``InvokeEndpointAsync`` that really runs the model on the S3 input (moto's returns canned
locations and writes nothing).

Implements, after the SageMaker Runtime API reference (``InvokeEndpointAsync``) and the
developer guide ("Asynchronous inference": "Invoke an asynchronous endpoint", "Check
prediction results"):

- The endpoint must exist, be serving, and have been deployed from an endpoint config with
  ``AsyncInferenceConfig``; otherwise ``ValidationError``. ``InputLocation`` is required.
- The request is queued and the call answers at once (HTTP 202) with ``InferenceId`` (the
  caller's ``X-Amzn-SageMaker-Inference-Id`` or a new UUID), ``OutputLocation``
  (``<S3OutputPath>/<InferenceId>.out``) and ``FailureLocation``
  (``<S3FailurePath>/<InferenceId>-error.out``) in the headers.
- In the background, at most ``MaxConcurrentInvocationsPerInstance`` (default 4) times the
  serving instance count requests run at once per endpoint: the input object is read from
  S3, the model of a variant picked by weight (as ``InvokeEndpoint``) scores it (CSV or
  JSON, as ``rollout_local.local_model``), and
  - on success the answer is written to the output location and a notification is
    published to ``OutputConfig.NotificationConfig.SuccessTopic``;
  - on failure (input missing or over 1 GB, model 4XX/5XX) the error text is written to the
    failure location and a notification is published to ``NotificationConfig.ErrorTopic``.
- Notifications have the documented ``InferenceResult`` shape: ``awsRegion``,
  ``eventTime``, ``receivedTime``, ``invocationStatus`` (``Completed``/``Failed``),
  ``failureReason`` (on failure), ``requestParameters`` (``contentType``, ``endpointName``,
  ``inputLocation``), ``responseParameters`` (``contentType``, ``outputLocation`` or
  ``failureLocation``), ``inferenceId``, ``eventVersion`` ``1.0``, ``eventSource``
  ``aws:sagemaker``, ``eventName`` ``InferenceResult``.

Not emulated: the backlog metrics (``ApproximateBacklogSize``...) and scaling; request TTLs.
Knob: ``ROLLOUT_LOCAL_ASYNC_DELAY_SECONDS`` (default 0.05), the time a request sits queued.
"""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from moto.core.common_types import TYPE_RESPONSE
from moto.s3.models import s3_backends
from moto.sagemaker.models import sagemaker_backends
from moto.sagemakerruntime.responses import SageMakerRuntimeResponse
from moto.sns.models import sns_backends

from rollout_local.extensions._common import STATE_LOCK, env_seconds, log, schedule
from rollout_local.extensions._fence import replace
from rollout_local.extensions.runtime import SERVING_STATUSES, RuntimeValidationError, _pick
from rollout_local.extensions.sagemaker_endpoints import Deployment, state_of
from rollout_local.local_model import ModelInputError, ModelServerError, split_s3_url

DELAY_ENV = "ROLLOUT_LOCAL_ASYNC_DELAY_SECONDS"
MAX_INPUT_BYTES = 1024**3
DEFAULT_CONCURRENCY = 4

_slots: dict[str, threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _slot(endpoint_arn: str, limit: int) -> threading.BoundedSemaphore:
    with _slots_lock:
        slot = _slots.get(endpoint_arn)
        if slot is None:
            slot = _slots[endpoint_arn] = threading.BoundedSemaphore(max(1, limit))
        return slot


def _serving(account_id: str, region: str, endpoint_name: str) -> tuple[Any, Deployment]:
    backend = sagemaker_backends[account_id][region]
    with STATE_LOCK:
        endpoint = backend.endpoints.get(endpoint_name)
        deployment = state_of(endpoint).serving if endpoint is not None else None
        status = endpoint.endpoint_status if endpoint is not None else None
    if endpoint is None:
        raise RuntimeValidationError(f"Endpoint {endpoint_name} of account {account_id} not found.")
    if deployment is None or status not in SERVING_STATUSES:
        raise RuntimeValidationError(
            f"Endpoint {endpoint_name} of account {account_id} is not in service (status {status})."
        )
    if not deployment.async_inference_config:
        raise RuntimeValidationError(
            f"Endpoint {endpoint_name} of account {account_id} is not an asynchronous inference "
            "endpoint (its endpoint config has no AsyncInferenceConfig)."
        )
    return endpoint, deployment


def _put(account_id: str, uri: str, body: bytes) -> None:
    bucket, key = split_s3_url(uri)
    s3_backends[account_id]["aws"].put_object(bucket, key, body)


def _read(account_id: str, uri: str) -> bytes:
    try:
        bucket, key = split_s3_url(uri)
        obj = s3_backends[account_id]["aws"].get_object(bucket, key)
    except Exception:
        obj = None
    if obj is None:
        raise ModelInputError(f"Could not find the input object at {uri}.")
    if obj.size > MAX_INPUT_BYTES:
        raise ModelInputError(f"The input object at {uri} is over 1 GB ({obj.size} bytes).")
    return bytes(obj.value)


def _notify(account_id: str, region: str, topic_arn: str | None, message: dict[str, Any]) -> None:
    if not topic_arn:
        return
    try:
        sns_backends[account_id][region].publish(message=json.dumps(message), arn=topic_arn)
    except Exception:
        log.exception("async inference: cannot publish to %s", topic_arn)


def _process(
    account_id: str,
    region: str,
    endpoint_name: str,
    request: dict[str, Any],
    slot: threading.BoundedSemaphore,
) -> None:
    with slot:
        config = request["config"]
        notification = (config.get("OutputConfig") or {}).get("NotificationConfig") or {}
        message: dict[str, Any] = {
            "awsRegion": region,
            "receivedTime": request["received"],
            "requestParameters": {
                "contentType": request["content_type"] or "application/octet-stream",
                "endpointName": endpoint_name,
                "inputLocation": request["input_location"],
            },
            "inferenceId": request["inference_id"],
            "eventVersion": "1.0",
            "eventSource": "aws:sagemaker",
            "eventName": "InferenceResult",
        }
        try:
            _, deployment = _serving(account_id, region, endpoint_name)
            variant = _pick(deployment.variants, None, deployment.config_name)
            body = _read(account_id, request["input_location"])
            if variant.instance is None:
                raise RuntimeValidationError(
                    f"Endpoint {endpoint_name} is a multi-model endpoint; asynchronous "
                    "inference serves single-model endpoints only."
                )
            prediction = variant.instance.invoke(body, request["content_type"], request["accept"])
        except (ModelInputError, ModelServerError, RuntimeValidationError) as exc:
            code = 500 if isinstance(exc, ModelServerError) else 400
            kind = "server" if code == 500 else "client"
            reason = (
                f"ClientError: Received {kind} error ({code}) from model with message "
                f'"{exc}". See the SageMaker Endpoint logs in your account for more information.'
            )
            _put(account_id, request["failure_location"], reason.encode())
            message.update(
                eventTime=_iso(datetime.now(UTC)),
                invocationStatus="Failed",
                failureReason=reason,
                responseParameters={
                    "contentType": "text/plain; charset=utf-8",
                    "failureLocation": request["failure_location"],
                },
            )
            _notify(account_id, region, notification.get("ErrorTopic"), message)
            return
        _put(account_id, request["output_location"], prediction.body)
        message.update(
            eventTime=_iso(datetime.now(UTC)),
            invocationStatus="Completed",
            responseParameters={
                "contentType": f"{prediction.content_type}; charset=utf-8",
                "outputLocation": request["output_location"],
            },
        )
        _notify(account_id, region, notification.get("SuccessTopic"), message)


def invoke_async(
    account_id: str,
    region: str,
    endpoint_name: str,
    input_location: str | None,
    content_type: str | None,
    accept: str | None,
    inference_id: str | None,
) -> dict[str, str]:
    """Queue one request; returns InferenceId, OutputLocation and FailureLocation."""
    if not input_location:
        raise RuntimeValidationError("InputLocation is required.")
    endpoint, deployment = _serving(account_id, region, endpoint_name)
    config = deployment.async_inference_config or {}
    output = config.get("OutputConfig") or {}
    inference_id = inference_id or str(uuid.uuid4())
    output_path = str(output.get("S3OutputPath", "")).rstrip("/")
    failure_path = str(output.get("S3FailurePath") or output_path).rstrip("/")
    request = {
        "config": config,
        "input_location": input_location,
        "content_type": content_type,
        "accept": accept,
        "inference_id": inference_id,
        "output_location": f"{output_path}/{inference_id}.out",
        "failure_location": f"{failure_path}/{inference_id}-error.out",
        "received": _iso(datetime.now(UTC)),
    }
    per_instance = int(
        (config.get("ClientConfig") or {}).get("MaxConcurrentInvocationsPerInstance")
        or DEFAULT_CONCURRENCY
    )
    instances = sum(v.current_instance_count or 1 for v in deployment.variants)
    slot = _slot(endpoint.arn, per_instance * instances)
    schedule(
        env_seconds(DELAY_ENV, 0.05),
        lambda: _process(account_id, region, endpoint_name, request, slot),
        name=f"async-inference-{inference_id}",
    )
    return {
        "InferenceId": inference_id,
        "OutputLocation": str(request["output_location"]),
        "FailureLocation": str(request["failure_location"]),
    }


def _response_invoke_endpoint_async(self: SageMakerRuntimeResponse) -> TYPE_RESPONSE:
    endpoint_name = unquote(self.path.split("/")[2])
    headers = {k.lower(): v for k, v in self.headers.items()}
    result = invoke_async(
        self.current_account,
        self.region,
        endpoint_name,
        headers.get("x-amzn-sagemaker-inputlocation"),
        headers.get("x-amzn-sagemaker-content-type"),
        headers.get("x-amzn-sagemaker-accept"),
        headers.get("x-amzn-sagemaker-inference-id"),
    )
    return (
        202,
        {
            "Content-Type": "application/json",
            "X-Amzn-SageMaker-OutputLocation": result["OutputLocation"],
            "X-Amzn-SageMaker-FailureLocation": result["FailureLocation"],
        },
        json.dumps({"InferenceId": result["InferenceId"]}),
    )


def install() -> None:
    replace(
        SageMakerRuntimeResponse,
        "invoke_endpoint_async",
        _response_invoke_endpoint_async,
        ("self",),
    )
