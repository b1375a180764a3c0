"""TransformEvent: a "SageMaker Transform Job State Change" releases the execution waiting on
the job (DescribeTransformJob decides): Completed succeeds it, Failed/Stopped fail it with
TransformFailed and the job's FailureReason."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from model_rollout.adapters.tasks import TaskTokens
from model_rollout.adapters.transforms import Transforms
from model_rollout.adapters.waiters import Waiters
from model_rollout.handler import Tracer, step_handler
from model_rollout.workflow.transforms import TransformJobStateChange, on_transform_state_change

logger = Logger()
tracer = Tracer()
metrics = Metrics()
transforms = Transforms()  # adapters create their clients on first use
waiters = Waiters()
tasks = TaskTokens()


@step_handler(TransformJobStateChange, logger=logger, tracer=tracer, metrics=metrics)
def lambda_handler(event: TransformJobStateChange, context: LambdaContext) -> dict[str, Any]:
    detail = event.detail
    logger.append_keys(job_name=detail.TransformJobName)
    result = on_transform_state_change(
        detail.TransformJobName,
        detail.TransformJobStatus,
        transforms=transforms,
        waiters=waiters,
        tasks=tasks,
    )
    logger.info(
        "transform job state change",
        extra={"status": detail.TransformJobStatus, "result": result, "event_id": event.id},
    )
    if result in ("met", "failed"):
        metrics.add_metric(name="TransformWaitersReleased", unit=MetricUnit.Count, value=1)
    return {"result": result}
