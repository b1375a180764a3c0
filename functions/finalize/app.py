"""Finalize: delete the deployment's alarms and waiters, prune old releases, record PROMOTED.

Input: the deployment document. Output ($.outcome): Outcome (status PROMOTED).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from model_rollout.adapters.alarms import Alarms
from model_rollout.adapters.async_requests import AsyncScaling
from model_rollout.adapters.endpoints import Endpoints
from model_rollout.adapters.records import DeploymentRecords
from model_rollout.adapters.waiters import Waiters
from model_rollout.config import settings
from model_rollout.domain.deployment import Deployment
from model_rollout.handler import Tracer, step_handler
from model_rollout.modes import mode_of
from model_rollout.reporting.reports import ReportWriter
from model_rollout.steps.closing import finalize
from model_rollout.workflow.locks import EndpointLocks

logger = Logger()
tracer = Tracer()
metrics = Metrics()
alarms = Alarms()  # adapters create their clients on first use
waiters = Waiters()
endpoints = Endpoints()
records = DeploymentRecords()
reports = ReportWriter()
locks = EndpointLocks()
async_scaling = AsyncScaling()


@step_handler(Deployment, logger=logger, tracer=tracer, metrics=metrics)
def lambda_handler(event: Deployment, context: LambdaContext) -> dict[str, Any]:
    # the mode's set-up once promoted (async: backlog autoscaling, down to zero)
    scaled = mode_of(event.policy).after_promotion(event, async_scaling)
    if scaled is not None:
        logger.info("async endpoint autoscaling registered", extra={"scaling": scaled})
    outcome = finalize(
        event,
        alarms=alarms,
        waiters=waiters,
        endpoints=endpoints,
        records=records,
        resource_prefix=settings().resource_prefix,
        retained_releases=settings().retained_releases,
        reports=reports,
        locks=locks,
    )
    logger.info("deployment promoted", extra={"report_url": outcome.report_url})
    metrics.add_metric(name="DeploymentsPromoted", unit=MetricUnit.Count, value=1)
    if outcome.duration_seconds is not None:
        metrics.add_metric(
            name="DeploymentDuration", unit=MetricUnit.Seconds, value=outcome.duration_seconds
        )
    return outcome.model_dump(mode="json")
