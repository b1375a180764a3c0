"""AlarmEvent: a "CloudWatch Alarm State Change" into ALARM fails the bake watching it.

Input: the EventBridge event. An alarm no bake watches is ignored (logged).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from model_rollout.adapters.tasks import TaskTokens
from model_rollout.adapters.waiters import Waiters
from model_rollout.domain.service_events import AlarmStateChange
from model_rollout.handler import Tracer, step_handler
from model_rollout.workflow.bake import on_alarm_state_change

logger = Logger()
tracer = Tracer()
metrics = Metrics()
waiters = Waiters()  # adapters create their clients on first use
tasks = TaskTokens()


@step_handler(AlarmStateChange, logger=logger, tracer=tracer, metrics=metrics)
def lambda_handler(event: AlarmStateChange, context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(alarm_name=event.detail.alarmName)
    result, cause = on_alarm_state_change(
        event.detail.model_dump(mode="json"), waiters=waiters, tasks=tasks
    )
    if result == "fired":
        logger.warning("alarm fired during a bake", extra={"cause": cause})
        metrics.add_metric(name="AlarmsFired", unit=MetricUnit.Count, value=1)
    else:
        logger.info("alarm not watched by any bake", extra={"result": result, "cause": cause})
    return {"result": result, "cause": cause}
