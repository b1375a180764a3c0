"""Validate: lineage metadata and the quality gate; returns the result for $.validation."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from model_rollout.adapters.registry import ModelRegistry
from model_rollout.domain.deployment import Deployment
from model_rollout.handler import Tracer, step_handler
from model_rollout.steps.validate import validate

logger = Logger()
tracer = Tracer()
metrics = Metrics()
registry = ModelRegistry()  # clients are created on first use


@step_handler(Deployment, logger=logger, tracer=tracer, metrics=metrics)
def lambda_handler(event: Deployment, context: LambdaContext) -> dict[str, Any]:
    result = validate(event, registry)
    logger.info("validation passed", extra={"gate": result.gate.model_dump(mode="json")})
    metrics.add_metric(name="ValidationsPassed", unit=MetricUnit.Count, value=1)
    return result.model_dump(mode="json")
