"""SubmitAsync: S3 inputs to an asynchronous endpoint (InvokeEndpointAsync), each request
recorded. Input: {"endpoint_name", "inputs": [{"s3_uri", "content_type", "accept"?,
"request_id"?}]}. Inputs over 1 GB, outside the allowed buckets or missing refuse the whole
submission (AsyncRequestRefused); nothing is invoked then."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from model_rollout.adapters.async_requests import AsyncRequests, AsyncRuntime
from model_rollout.handler import Tracer, step_handler
from model_rollout.modes.asynchronous import SubmitRequest, submit

logger = Logger()
tracer = Tracer()
metrics = Metrics()
runtime = AsyncRuntime()  # adapters create their clients on first use
requests = AsyncRequests()


@step_handler(SubmitRequest, logger=logger, tracer=tracer, metrics=metrics)
def lambda_handler(event: SubmitRequest, context: LambdaContext) -> dict[str, Any]:
    records = submit(event, runtime=runtime, requests=requests)
    logger.info("async requests submitted", extra={"request_ids": [r.request_id for r in records]})
    metrics.add_metric(name="AsyncRequestsSubmitted", unit=MetricUnit.Count, value=len(records))
    return {"requests": [r.model_dump(mode="json", exclude_none=True) for r in records]}
