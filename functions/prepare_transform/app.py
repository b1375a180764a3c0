"""PrepareTransform: parse the request (or S3 event), resolve the model package, create the
temporary lineage-tagged Model; returns the plan for $.transform."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from model_rollout.adapters.registry import ModelRegistry
from model_rollout.adapters.releases import Releases
from model_rollout.handler import Tracer, step_handler
from model_rollout.steps.prepare_transform import PrepareTransformInput, prepare_transform

logger = Logger()
tracer = Tracer()
metrics = Metrics()
releases = Releases()  # clients are created on first use
registry = ModelRegistry()


@step_handler(PrepareTransformInput, logger=logger, tracer=tracer, metrics=metrics)
def lambda_handler(event: PrepareTransformInput, context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(execution_name=event.execution_name)
    plan = prepare_transform(
        event.input, event.execution_name, releases=releases, registry=registry
    )
    logger.info(
        "transform planned",
        extra={"job_name": plan.job_name, "model_package_arn": plan.model_package_arn},
    )
    metrics.add_metric(name="TransformsPlanned", unit=MetricUnit.Count, value=1)
    return {"transform": plan.model_dump(mode="json")}
