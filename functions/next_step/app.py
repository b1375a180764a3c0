"""NextStep: a progressive strategy moves traffic to its plan's next step.

Input: the deployment document. Output ($.step): TrafficStep (the weights asked for, what
AwaitStep waits for, how long WatchStep watches). See ``model_rollout.strategies.progressive``.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from model_rollout.adapters.endpoints import Endpoints
from model_rollout.domain.deployment import Deployment
from model_rollout.handler import Tracer, step_handler
from model_rollout.steps.next_step import next_step

logger = Logger()
tracer = Tracer()
metrics = Metrics()
endpoints = Endpoints()  # the client is created on first use


@step_handler(Deployment, logger=logger, tracer=tracer, metrics=metrics)
def lambda_handler(event: Deployment, context: LambdaContext) -> dict[str, Any]:
    step = next_step(event, endpoints=endpoints)
    logger.info("traffic step", extra={"step": step.model_dump(mode="json")})
    metrics.add_metric(name="TrafficSteps", unit=MetricUnit.Count, value=1)
    return step.model_dump(mode="json")
