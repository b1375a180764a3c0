"""The bake: the deployment's alarms, the watch that parks the bake's task token, and the
alarm event that fails it at once."""

from __future__ import annotations

from typing import Any, Literal

from model_rollout.adapters.tasks import TaskTokens
from model_rollout.adapters.waiters import ALARM_PREFIX, Waiters, alarm_key
from model_rollout.domain.alarm_specs import (
    breach_from_event,
)
from model_rollout.errors import AlarmFired

MAX_BAKE_SECONDS = 86_400

Watch = Literal["watching", "fired"]


def on_alarm_state_change(
    detail: dict[str, Any], *, waiters: Waiters, tasks: TaskTokens
) -> tuple[Literal["fired", "no-waiter", "ignored"], str]:
    """A "CloudWatch Alarm State Change" into ALARM: fail the bake that watches the alarm.

    Returns the outcome and the cause (for the log)."""
    state = (detail.get("state") or {}).get("value")
    if state != "ALARM":
        return "ignored", f"alarm {detail.get('alarmName')} entered {state}, not ALARM"
    breach = breach_from_event(detail)
    waiter = waiters.get(alarm_key(breach.alarm_name))
    if waiter is None:
        return "no-waiter", breach.cause()
    tasks.fail(waiter.task_token, error=AlarmFired.__name__, cause=breach.cause())
    waiters.remove_for_deployment(waiter.deployment_id, prefix=ALARM_PREFIX)
    return "fired", breach.cause()
