"""FinishRollback: clean up after a rollback, record it and state its reason; and
EndExperiment: the same after an experiment's verdict kept the serving model.

Input: the deployment document with $.failure, or $.experiment_end (and $.rollback_failure
when a rollback step failed). Output ($.outcome): Outcome ROLLED_BACK (error RolledBack),
ROLLBACK_FAILED (error RollbackFailed, with the endpoint's actual state in the cause), or the
verdict's SHADOW_REJECTED, SHADOW_COMPLETED, INCUMBENT_KEPT (model_rollout.domain.experiments).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from model_rollout.adapters.alarms import Alarms
from model_rollout.adapters.endpoints import Endpoints
from model_rollout.adapters.records import DeploymentRecords
from model_rollout.adapters.waiters import Waiters
from model_rollout.config import settings
from model_rollout.domain.deployment import Deployment
from model_rollout.handler import Tracer, step_handler
from model_rollout.reporting.reports import ReportWriter
from model_rollout.steps.closing import finish_rollback
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


@step_handler(Deployment, logger=logger, tracer=tracer, metrics=metrics)
def lambda_handler(event: Deployment, context: LambdaContext) -> dict[str, Any]:
    outcome = finish_rollback(
        event,
        alarms=alarms,
        waiters=waiters,
        endpoints=endpoints,
        records=records,
        resource_prefix=settings().resource_prefix,
        reports=reports,
        locks=locks,
    )
    details = {"outcome": outcome.model_dump(mode="json")}
    if outcome.status == "ROLLBACK_FAILED":
        logger.error("rollback failed", extra=details)
        name = "RollbacksFailed"
    elif event.experiment_end is not None:  # EndExperiment: a verdict, not a failure
        logger.info("experiment ended, the serving model kept", extra=details)
        name = "ExperimentsEnded"
    else:
        logger.warning("deployment rolled back", extra=details)
        name = "DeploymentsRolledBack"
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
    if outcome.duration_seconds is not None:
        metrics.add_metric(
            name="DeploymentDuration", unit=MetricUnit.Seconds, value=outcome.duration_seconds
        )
    return outcome.model_dump(mode="json")
