"""RecoverEndpoint: with the endpoint's lock held, read what serves it now (the rollback
target) and repair what a deployment stopped mid-way left behind.

Input: the deployment document. Output (the whole document, ResultPath "$"): the document
with ``previous`` read again and ``recovery`` (what AwaitRecovery waits for).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from model_rollout.adapters.alarms import Alarms
from model_rollout.adapters.endpoints import Endpoints
from model_rollout.adapters.records import DeploymentRecords
from model_rollout.adapters.releases import Releases
from model_rollout.adapters.waiters import Waiters
from model_rollout.config import settings
from model_rollout.domain.deployment import Deployment
from model_rollout.handler import Tracer, step_handler
from model_rollout.steps.recover_endpoint import recover_endpoint

logger = Logger()
tracer = Tracer()
metrics = Metrics()
endpoints = Endpoints()  # adapters create their clients on first use
releases = Releases()
records = DeploymentRecords()
alarms = Alarms()
waiters = Waiters()


@step_handler(Deployment, logger=logger, tracer=tracer, metrics=metrics)
def lambda_handler(event: Deployment, context: LambdaContext) -> dict[str, Any]:
    document = recover_endpoint(
        event,
        endpoints=endpoints,
        releases=releases,
        records=records,
        alarms=alarms,
        waiters=waiters,
        resource_prefix=settings().resource_prefix,
    )
    action = document["recovery"]["action"]
    if action != "none":
        logger.warning("endpoint recovered from a stopped deployment", extra={"action": action})
        metrics.add_metric(name="EndpointsRecovered", unit=MetricUnit.Count, value=1)
    return document
