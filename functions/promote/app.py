"""Promote: the bake passed; the endpoint moves to the release's final config.

Input: the deployment document. Output ($.promotion): EndpointChange.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from model_rollout.adapters.endpoints import Endpoints
from model_rollout.adapters.variant_metrics import VariantMetrics
from model_rollout.adapters.variant_scaling import VariantScaling
from model_rollout.domain.deployment import Deployment
from model_rollout.handler import Tracer, step_handler
from model_rollout.steps.promote import promote_releasing_old_scaling

logger = Logger()
tracer = Tracer()
metrics = Metrics()
endpoints = Endpoints()  # the clients are created on first use
scaling = VariantScaling()
metrics_reader = VariantMetrics()  # a stage's checks (what it served)


@step_handler(Deployment, logger=logger, tracer=tracer, metrics=metrics)
def lambda_handler(event: Deployment, context: LambdaContext) -> dict[str, Any]:
    change = promote_releasing_old_scaling(
        event, endpoints=endpoints, scaling=scaling, metrics=metrics_reader
    )  # model_rollout.workflow.scaling
    logger.info("endpoint change requested", extra={"change": change.model_dump(mode="json")})
    metrics.add_metric(name="EndpointChanges", unit=MetricUnit.Count, value=1)
    return change.model_dump(mode="json")
