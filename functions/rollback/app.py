"""Rollback: move all traffic back to the previous variant (a weight shift).

Rollback, and RestoreIncumbent (an experiment's verdict kept the serving model).
Input: the deployment document with $.failure (or $.experiment_end). Output ($.rollback):
EndpointChange.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from model_rollout.adapters.endpoints import Endpoints
from model_rollout.domain.deployment import Deployment
from model_rollout.handler import Tracer, step_handler
from model_rollout.steps.rollback import rollback

logger = Logger()
tracer = Tracer()
metrics = Metrics()
endpoints = Endpoints()  # the client is created on first use


@step_handler(Deployment, logger=logger, tracer=tracer, metrics=metrics)
def lambda_handler(event: Deployment, context: LambdaContext) -> dict[str, Any]:
    change = rollback(event, endpoints=endpoints)
    logger.info("endpoint change requested", extra={"change": change.model_dump(mode="json")})
    # RestoreIncumbent (an experiment's verdict) runs this function too: not a rollback
    name = "Rollbacks" if event.experiment_end is None else "IncumbentRestores"
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
    return change.model_dump(mode="json")
