"""CheckStep: a traffic step's watch ended without an alarm; the low-traffic guard decides.

Input: the deployment document with $.step. Output ($.step): the step with its verdict
(``pass`` or ``hold``); ``LowTraffic`` when it fails. See ``model_rollout.strategies.progressive``.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from model_rollout.adapters.variant_metrics import VariantMetrics
from model_rollout.domain.deployment import Deployment
from model_rollout.handler import Tracer, step_handler
from model_rollout.steps.check_step import check_step

logger = Logger()
tracer = Tracer()
metrics = Metrics()
variant_metrics = VariantMetrics()  # the client is created on first use


@step_handler(Deployment, logger=logger, tracer=tracer, metrics=metrics)
def lambda_handler(event: Deployment, context: LambdaContext) -> dict[str, Any]:
    step = check_step(event, metrics=variant_metrics)
    logger.info("traffic step checked", extra={"step": step.model_dump(mode="json")})
    metrics.add_metric(
        name="TrafficStepsHeld" if step.verdict == "hold" else "TrafficStepsPassed",
        unit=MetricUnit.Count,
        value=1,
    )
    return step.model_dump(mode="json")
