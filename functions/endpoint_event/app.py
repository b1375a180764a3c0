"""EndpointEvent: a "SageMaker Endpoint State Change" releases the task waiting on it.

Input: the EventBridge event. DescribeEndpoint (not the event) decides; see
``model_rollout.workflow.waits`` (the same decision as AwaitEndpoint's own check).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from model_rollout.adapters.endpoints import Endpoints
from model_rollout.adapters.tasks import TaskTokens
from model_rollout.adapters.waiters import Waiters
from model_rollout.domain.service_events import EndpointStateChange
from model_rollout.handler import Tracer, step_handler
from model_rollout.workflow.waits import on_endpoint_state_change

logger = Logger()
tracer = Tracer()
metrics = Metrics()
endpoints = Endpoints()  # adapters create their clients on first use
waiters = Waiters()
tasks = TaskTokens()


@step_handler(EndpointStateChange, logger=logger, tracer=tracer, metrics=metrics)
def lambda_handler(event: EndpointStateChange, context: LambdaContext) -> dict[str, Any]:
    detail = event.detail
    logger.append_keys(endpoint_name=detail.EndpointName)
    result = on_endpoint_state_change(
        detail.EndpointName,
        detail.EndpointStatus,
        endpoints=endpoints,
        waiters=waiters,
        tasks=tasks,
    )
    logger.info(
        "endpoint state change",
        extra={"status": detail.EndpointStatus, "result": result, "event_id": event.id},
    )
    if result in ("met", "failed"):
        metrics.add_metric(name="WaitersReleased", unit=MetricUnit.Count, value=1)
    return {"result": result}
