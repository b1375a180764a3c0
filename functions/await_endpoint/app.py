"""AwaitEndpoint (AwaitDeploy, AwaitPromote, AwaitRollbackTraffic, AwaitRestore, and the other
Await* states: AwaitRecovery, AwaitStep, AwaitAB, AwaitIncumbentTraffic, AwaitIncumbentConfig).

Invoked with lambda:invoke.waitForTaskToken. Input: {"task_token", "deployment_id",
"endpoint_name", "expect"}. Parks the token under ``endpoint#<name>``, then checks at once;
the token is released here (met / DeploymentFailed) or by EndpointEventFunction.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from model_rollout.adapters.endpoints import Endpoints
from model_rollout.adapters.tasks import TaskTokens
from model_rollout.adapters.waiters import Waiters
from model_rollout.config import settings
from model_rollout.handler import Tracer, step_handler
from model_rollout.steps.await_endpoint import AwaitRequest, await_endpoint

logger = Logger()
tracer = Tracer()
metrics = Metrics()
endpoints = Endpoints()  # adapters create their clients on first use
waiters = Waiters()
tasks = TaskTokens()


@step_handler(AwaitRequest, logger=logger, tracer=tracer, metrics=metrics)
def lambda_handler(event: AwaitRequest, context: LambdaContext) -> dict[str, Any]:
    result = await_endpoint(
        event,
        endpoints=endpoints,
        waiters=waiters,
        tasks=tasks,
        ttl_seconds=settings().endpoint_wait_seconds,
    )
    logger.info("await", extra={"result": result, "expect": event.expect.model_dump()})
    metrics.add_metric(
        name=f"Await{result.title().replace('-', '')}", unit=MetricUnit.Count, value=1
    )
    return {"result": result}
