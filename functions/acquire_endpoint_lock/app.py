"""AcquireEndpointLock: queue for the endpoint; the task token is released once it is ours.

Invoked with lambda:invoke.waitForTaskToken. Input: {"task_token", "deployment_id",
"execution_arn", "execution_start_time", "endpoint_name", "approval", "lease_seconds"}. The
token is released by this function (the endpoint was free, or its holder is dead) or by the
deployment ahead of it when it ends (model_rollout.workflow.locks).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from model_rollout.adapters.locks import LockTable
from model_rollout.adapters.tasks import TaskTokens
from model_rollout.handler import Tracer, step_handler
from model_rollout.steps.acquire_endpoint_lock import AcquireRequest, acquire

logger = Logger()
tracer = Tracer()
metrics = Metrics()
locks = LockTable()  # adapters create their clients on first use
tasks = TaskTokens()


@step_handler(AcquireRequest, logger=logger, tracer=tracer, metrics=metrics)
def lambda_handler(event: AcquireRequest, context: LambdaContext) -> dict[str, Any]:
    result = acquire(event, locks=locks, tasks=tasks)
    logger.info("endpoint lock", extra={"result": result})
    if result == "waiting":
        metrics.add_metric(name="DeploymentsQueued", unit=MetricUnit.Count, value=1)
    return {"result": result}
