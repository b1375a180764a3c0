"""FinishTransform: delete the temporary Model and the waiter; the outcome names the outputs,
or the error and the job's FailureReason (the Outcome choice fails the execution with them)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from model_rollout.adapters.releases import Releases
from model_rollout.adapters.transforms import Transforms
from model_rollout.adapters.waiters import Waiters
from model_rollout.handler import Tracer, step_handler
from model_rollout.steps.finish_transform import FinishTransformInput, finish_transform

logger = Logger()
tracer = Tracer()
metrics = Metrics()
releases = Releases()  # adapters create their clients on first use
transforms = Transforms()
waiters = Waiters()


@step_handler(FinishTransformInput, logger=logger, tracer=tracer, metrics=metrics)
def lambda_handler(event: FinishTransformInput, context: LambdaContext) -> dict[str, Any]:
    outcome = finish_transform(
        event.model_dump(mode="json"), releases=releases, transforms=transforms, waiters=waiters
    )
    logger.info("transform finished", extra={"outcome": outcome.model_dump(mode="json")})
    metrics.add_metric(name=f"Transforms{outcome.status}", unit=MetricUnit.Count, value=1)
    return outcome.model_dump(mode="json", exclude_none=True)
