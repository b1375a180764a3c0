"""CreateAlarms: the deployment's alarms, scoped to the new variant.

Input: the deployment document. Output ($.alarms): AlarmSet.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from model_rollout.adapters.alarms import Alarms
from model_rollout.adapters.variant_scaling import VariantScaling
from model_rollout.config import settings
from model_rollout.domain.deployment import Deployment
from model_rollout.handler import Tracer, step_handler
from model_rollout.steps.create_alarms import create_alarms_and_scaling

logger = Logger()
tracer = Tracer()
metrics = Metrics()
alarms = Alarms()  # the client is created on first use
scaling = VariantScaling()


@step_handler(Deployment, logger=logger, tracer=tracer, metrics=metrics)
def lambda_handler(event: Deployment, context: LambdaContext) -> dict[str, Any]:
    # the alarms, then the new variant's autoscaling (model_rollout.workflow.scaling)
    alarm_set = create_alarms_and_scaling(
        event, alarms=alarms, scaling=scaling, resource_prefix=settings().resource_prefix
    )
    logger.info("alarms created", extra={"alarms": alarm_set.model_dump(mode="json")})
    metrics.add_metric(
        name="AlarmsCreated", unit=MetricUnit.Count, value=len(alarm_set.created_alarm_names)
    )
    return alarm_set.model_dump(mode="json")
