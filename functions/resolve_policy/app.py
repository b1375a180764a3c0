"""ResolvePolicy: the approval event becomes the deployment document (the whole state)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from model_rollout.handler import Tracer, step_handler
from model_rollout.steps.resolve_policy import ResolveRequest, ResolveServices, resolve_policy

logger = Logger()
tracer = Tracer()
metrics = Metrics()
services = ResolveServices()  # adapters create their clients on first use


@step_handler(ResolveRequest, logger=logger, tracer=tracer, metrics=metrics)
def lambda_handler(event: ResolveRequest, context: LambdaContext) -> dict[str, Any]:
    detail = event.event.get("detail") if isinstance(event.event, dict) else None
    logger.append_keys(
        model_package_arn=detail.get("ModelPackageArn") if isinstance(detail, dict) else None
    )
    deployment = resolve_policy(event, services)
    logger.append_keys(
        endpoint_name=deployment.endpoint_name, model_package_arn=deployment.model_package_arn
    )
    logger.info(
        "deployment started",
        extra={
            "endpoint_name": deployment.endpoint_name,
            "model_package_arn": deployment.model_package_arn,
            "strategy": deployment.strategy.type,
            "first_deployment": deployment.previous is None,
        },
    )
    metrics.add_metric(name="DeploymentsStarted", unit=MetricUnit.Count, value=1)
    return deployment.model_dump(mode="json")
