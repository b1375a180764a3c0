"""``InvokeEndpoint`` that really runs the model, routes like SageMaker and emits metrics.

Implements, after the SageMaker Runtime API reference and the SageMaker "Monitor with
CloudWatch" metrics page:

- Routing: a request goes to a production variant chosen at random in proportion to the
  variants' ``CurrentWeight`` (a variant at weight 0 gets no traffic), or to the variant
  named by ``TargetVariant`` (which overrides the weights). The response carries the
  model's body and ``InvokedProductionVariant`` (header
  ``x-Amzn-Invoked-Production-Variant``).
- The model is the variant's local model (``rollout_local.local_model``), deployed when the
  endpoint config was (so a Model created from a ``ModelPackageName`` runs the package's
  ``InferenceSpecification`` model).
- Errors: a model failure is ``ModelError`` (HTTP 424) with ``OriginalStatusCode`` 500 and
  the message "Received server error (500) from primary ...", counted in
  ``Invocation5XXErrors``; input the model rejects is ``ModelError`` with
  ``OriginalStatusCode`` 400 ("Received client error (400) ..."), counted in
  ``Invocation4XXErrors``. An endpoint that does not exist or is not serving (``Creating``,
  ``Failed``...) is ``ValidationError`` (HTTP 400). While ``Updating`` the endpoint keeps
  serving its current config, as SageMaker does (no availability loss).
- Multi-model containers (``Mode: MultiModel``, after "Invoke a Multi-Model Endpoint"):
  ``TargetModel`` (header ``X-Amzn-SageMaker-Target-Model``) is the model's path relative
  to the container's ``ModelDataUrl`` prefix; the model is loaded from the local S3 on first
  use. A target with no object is ``ValidationError`` "Failed to download model data(bucket:
  …, key: …)"; an object that is not a loadable model is ``ModelError`` (500, counted in
  ``Invocation5XXErrors``); a request without ``TargetModel`` is ``ValidationError``; and
  ``TargetModel`` on an endpoint that is not multi-model is ``ValidationError`` "Endpoint …
  is not a multi-model endpoint and does not support target model header."
- Shadow variants (``ShadowProductionVariants``) get a copy of a sample of the requests:
  the fraction is the shadow variant's weight divided by the production variant's
  (capped at 1), taken deterministically (request k is copied when ``floor(k*fraction)``
  increases). Their responses are discarded; their metrics are published under their own
  ``VariantName``.
- Metrics, one datapoint per request per variant, in namespace ``AWS/SageMaker`` with
  dimensions ``EndpointName`` and ``VariantName``: ``Invocations`` (1),
  ``InvocationsPerInstance`` (1/instance count), ``Invocation4XXErrors`` and
  ``Invocation5XXErrors`` (0 or 1), ``ModelLatency`` and ``OverheadLatency``
  (microseconds). They go straight into moto's CloudWatch backend.

Set ``ROLLOUT_LOCAL_ROUTING_SEED`` to make the weighted choice reproducible.
"""

from __future__ import annotations

import math
import os
import random
import time
import uuid
from typing import Any
from urllib.parse import unquote

from moto.cloudwatch.models import cloudwatch_backends
from moto.core.common_types import TYPE_RESPONSE
from moto.core.exceptions import ServiceException
from moto.sagemaker.models import sagemaker_backends
from moto.sagemakerruntime.responses import SageMakerRuntimeResponse

from rollout_local.extensions import data_capture
from rollout_local.extensions._common import STATE_LOCK
from rollout_local.extensions._fence import replace
from rollout_local.extensions.sagemaker_endpoints import Deployment, VariantState, state_of
from rollout_local.local_model import (
    ModelInputError,
    ModelInstance,
    ModelLoadError,
    ModelServerError,
    Prediction,
    TargetModelMissing,
    split_s3_url,
)

NAMESPACE = "AWS/SageMaker"
SERVING_STATUSES = {"InService", "Updating", "SystemUpdating", "RollingBack"}

_seed = os.environ.get("ROLLOUT_LOCAL_ROUTING_SEED")
_rng = random.Random(int(_seed)) if _seed else random.Random()


class RuntimeValidationError(ServiceException):
    code = "ValidationError"


class ModelError(ServiceException):
    """SageMaker Runtime's ModelError (HTTP 424)."""

    code = "ModelError"

    def __init__(self, message: str, original_status: int, original_message: str, log: str):
        super().__init__(message)
        self.OriginalStatusCode = original_status
        self.OriginalMessage = original_message
        self.LogStreamArn = log


def _pick(variants: list[VariantState], target: str | None, config: str) -> VariantState:
    if target:
        for variant in variants:
            if variant.name == target:
                return variant
        raise RuntimeValidationError(
            f'The variant "{target}" is not present within endpoint configuration "{config}".'
        )
    live = [v for v in variants if v.current_weight > 0]
    if not live:
        raise RuntimeValidationError(
            "No production variant of the endpoint has a weight greater than 0."
        )
    total = sum(v.current_weight for v in live)
    point = _rng.uniform(0, total)
    upto = 0.0
    for variant in live:
        upto += variant.current_weight
        if point < upto:
            return variant
    return live[-1]


def _shadow_copies(deployment: Deployment, production: VariantState) -> list[VariantState]:
    chosen = []
    for shadow in deployment.shadow_variants:
        if production.current_weight <= 0:
            continue
        fraction = min(1.0, shadow.current_weight / production.current_weight)
        with STATE_LOCK:
            shadow.requests_seen += 1
            k = shadow.requests_seen
        if math.floor(k * fraction) > math.floor((k - 1) * fraction):
            chosen.append(shadow)
    return chosen


def _instance(
    endpoint_name: str, variant: VariantState, target_model: str | None
) -> tuple[ModelInstance | None, str]:
    """The model that answers: the variant's, or (multi-model container) the one
    ``TargetModel`` names under its prefix. (None, message) when it cannot be loaded: the
    container answers 500."""
    host = variant.multi_model
    if host is None:
        if target_model:
            raise RuntimeValidationError(
                f"Endpoint {endpoint_name} is not a multi-model endpoint and does not support "
                "target model header."
            )
        assert variant.instance is not None
        return variant.instance, ""
    if not target_model:
        raise RuntimeValidationError(
            f"Endpoint {endpoint_name} is a multi-model endpoint: the request must name its "
            "model with TargetModel (header X-Amzn-SageMaker-Target-Model)."
        )
    try:
        return host.instance_for(target_model), ""
    except TargetModelMissing as exc:
        bucket, key = split_s3_url(str(exc))
        raise RuntimeValidationError(
            f"Failed to download model data(bucket: {bucket}, key: {key}). Please ensure that "
            "there is an object located at the URL and that the role passed to CreateModel "
            "has permissions to download the model."
        ) from exc
    except ModelLoadError as exc:
        return None, f"Failed to load model {target_model}: {exc}"


def _run(
    instance: ModelInstance | None,
    body: bytes | str,
    content_type: str | None,
    accept: str | None,
    load_error: str = "",
) -> tuple[Prediction | None, int, str]:
    """Run the model: (prediction, status the container answered, message)."""
    if instance is None:
        return None, 500, load_error
    try:
        return instance.invoke(body, content_type, accept), 200, ""
    except ModelInputError as exc:
        return None, 400, str(exc)
    except ModelServerError as exc:
        return None, 500, str(exc)


def _publish(
    account_id: str,
    region: str,
    endpoint_name: str,
    variant: VariantState,
    status: int,
    model_latency_us: int,
    overhead_us: int,
) -> None:
    dims = [
        {"Name": "EndpointName", "Value": endpoint_name},
        {"Name": "VariantName", "Value": variant.name},
    ]
    instances = variant.current_instance_count or 1
    data: list[dict[str, Any]] = [
        {"MetricName": "Invocations", "Value": 1.0, "Unit": "None"},
        {"MetricName": "InvocationsPerInstance", "Value": 1.0 / instances, "Unit": "None"},
        {"MetricName": "Invocation4XXErrors", "Value": float(400 <= status < 500), "Unit": "None"},
        {"MetricName": "Invocation5XXErrors", "Value": float(status >= 500), "Unit": "None"},
        {"MetricName": "ModelLatency", "Value": float(model_latency_us), "Unit": "Microseconds"},
        {"MetricName": "OverheadLatency", "Value": float(overhead_us), "Unit": "Microseconds"},
    ]
    for datum in data:
        datum["Dimensions"] = dims
    cloudwatch_backends[account_id][region].put_metric_data(NAMESPACE, data)


def invoke(
    account_id: str,
    region: str,
    endpoint_name: str,
    body: bytes | str,
    content_type: str | None,
    accept: str | None,
    target_variant: str | None,
    inference_id: str | None = None,
    target_model: str | None = None,
) -> tuple[Prediction, str]:
    """Invoke an endpoint in-process; returns (prediction, invoked variant) or raises.

    With a ``DataCaptureConfig``, a sampled request is captured for the production variant
    and for each shadow copy under one ``eventId`` (``rollout_local.extensions.data_capture``).
    """
    started = time.perf_counter()
    backend = sagemaker_backends[account_id][region]
    with STATE_LOCK:
        endpoint = backend.endpoints.get(endpoint_name)
        deployment = state_of(endpoint).serving if endpoint is not None else None
        status = endpoint.endpoint_status if endpoint is not None else None
    if endpoint is None or deployment is None or status not in SERVING_STATUSES:
        if endpoint is None:
            raise RuntimeValidationError(
                f"Endpoint {endpoint_name} of account {account_id} not found."
            )
        raise RuntimeValidationError(
            f"Endpoint {endpoint_name} of account {account_id} is not in service (status {status})."
        )
    variant = _pick(deployment.variants, target_variant, deployment.config_name)
    instance, load_error = _instance(endpoint_name, variant, target_model)
    shadows = _shadow_copies(deployment, variant) if variant.multi_model is None else []
    capturing = data_capture.sampled(deployment)
    event_id = str(uuid.uuid4())
    raw = body.encode() if isinstance(body, str) else bytes(body)

    def capture(variant_name: str, answer: Prediction | None) -> None:
        if capturing and answer is not None and deployment.data_capture_config:
            data_capture.record(
                account_id,
                endpoint_name,
                variant_name,
                deployment.data_capture_config,
                event_id=event_id,
                inference_id=inference_id,
                request=raw,
                request_type=content_type,
                response=answer.body,
                response_type=answer.content_type,
            )

    prediction, code, message = _run(instance, body, content_type, accept, load_error)
    capture(variant.name, prediction)
    latency = instance.model.latency_ms if instance is not None else 0.0
    overhead = max(1, int((time.perf_counter() - started) * 1_000_000))
    _publish(account_id, region, endpoint_name, variant, code, int(latency * 1000), overhead)
    for shadow in shadows:
        shadow_started = time.perf_counter()
        shadow_prediction, shadow_code, _ = _run(shadow.instance, body, content_type, accept)
        capture(shadow.name, shadow_prediction)
        shadow_overhead = max(1, int((time.perf_counter() - shadow_started) * 1_000_000))
        _publish(
            account_id,
            region,
            endpoint_name,
            shadow,
            shadow_code,
            int(shadow.instance.model.latency_ms * 1000) if shadow.instance else 0,
            shadow_overhead,
        )
    if prediction is None:
        kind = "client" if code < 500 else "server"
        log = (
            f"arn:aws:logs:{region}:{account_id}:log-group:/aws/sagemaker/Endpoints/{endpoint_name}"
        )
        raise ModelError(
            f'Received {kind} error ({code}) from primary with message "{message}". See '
            f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
            f"#logEventViewer:group=/aws/sagemaker/Endpoints/{endpoint_name} in account "
            f"{account_id} for more information.",
            code,
            message,
            log,
        )
    return prediction, variant.name


def _response_invoke_endpoint(self: SageMakerRuntimeResponse) -> TYPE_RESPONSE:
    endpoint_name = unquote(self.path.split("/")[2])
    headers = {k.lower(): v for k, v in self.headers.items()}
    body = self.raw_body if self.raw_body is not None else self.body
    prediction, variant = invoke(
        self.current_account,
        self.region,
        endpoint_name,
        body or b"",
        headers.get("content-type"),
        headers.get("accept"),
        headers.get("x-amzn-sagemaker-target-variant"),
        headers.get("x-amzn-sagemaker-inference-id"),
        headers.get("x-amzn-sagemaker-target-model"),
    )
    return (
        200,
        {
            "Content-Type": prediction.content_type,
            "x-Amzn-Invoked-Production-Variant": variant,
        },
        prediction.body,
    )


def install() -> None:
    replace(SageMakerRuntimeResponse, "invoke_endpoint", _response_invoke_endpoint, ("self",))
