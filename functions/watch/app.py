"""Watch: the bake. Invoked with lambda:invoke.waitForTaskToken.

Input: {"task_token", "deployment_id", "endpoint_name", "alarm_names"[, "bake_seconds"]}.
Parks the token under ``alarm#<name>`` for every alarm; fails it with AlarmFired at once if
one is already in ALARM. The bake ends by the task's timeout (States.Timeout → Promote), an
alarm event (AlarmEventFunction), or an operator's promote/abort on the token.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from model_rollout.adapters.alarms import Alarms
from model_rollout.adapters.tasks import TaskTokens
from model_rollout.adapters.waiters import Waiters
from model_rollout.handler import Tracer, step_handler
from model_rollout.steps.watch import WatchRequest, watch

logger = Logger()
tracer = Tracer()
metrics = Metrics()
alarms = Alarms()  # adapters create their clients on first use
waiters = Waiters()
tasks = TaskTokens()


@step_handler(WatchRequest, logger=logger, tracer=tracer, metrics=metrics)
def lambda_handler(event: WatchRequest, context: LambdaContext) -> dict[str, Any]:
    result, missing = watch(event, alarms=alarms, waiters=waiters, tasks=tasks)
    if missing:
        logger.warning(
            "watched alarms do not exist and will never fire; check the policy's extra_alarm_names",
            extra={"missing": missing},
        )
    logger.info("bake", extra={"result": result, "alarm_names": event.alarm_names})
    if result == "fired":
        metrics.add_metric(name="AlarmsFired", unit=MetricUnit.Count, value=1)
    return {"result": result, "missing_alarms": missing}
