"""RunTransform (lambda:invoke.waitForTaskToken): park the token under transform#<job>, create
the transform job, check it at once; TransformEventFunction releases the token otherwise."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from model_rollout.adapters.tasks import TaskTokens
from model_rollout.adapters.transforms import Transforms
from model_rollout.adapters.waiters import Waiters
from model_rollout.handler import Tracer, step_handler
from model_rollout.steps.run_transform import StartTransformRequest, start_transform

logger = Logger()
tracer = Tracer()
metrics = Metrics()
transforms = Transforms()  # adapters create their clients on first use
waiters = Waiters()
tasks = TaskTokens()


@step_handler(StartTransformRequest, logger=logger, tracer=tracer, metrics=metrics)
def lambda_handler(event: StartTransformRequest, context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(job_name=event.transform.job_name)
    result = start_transform(event, transforms=transforms, waiters=waiters, tasks=tasks)
    logger.info("transform job started", extra={"result": result})
    metrics.add_metric(name="TransformJobsStarted", unit=MetricUnit.Count, value=1)
    return {"result": result}
