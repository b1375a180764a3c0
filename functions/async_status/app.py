"""AsyncStatus: an asynchronous request's status by id. Input: {"request_id"}."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.typing import LambdaContext

from model_rollout.adapters.async_requests import AsyncRequests
from model_rollout.handler import Tracer, step_handler
from model_rollout.modes.asynchronous import StatusRequest, status

logger = Logger()
tracer = Tracer()
metrics = Metrics()
requests = AsyncRequests()  # the client is created on first use


@step_handler(StatusRequest, logger=logger, tracer=tracer, metrics=metrics)
def lambda_handler(event: StatusRequest, context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(request_id=event.request_id)
    return status(event, requests=requests)
