"""The bake: the deployment's alarms, the watch that parks the bake's task token, and the
alarm event that fails it at once."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from model_rollout.adapters.alarms import Alarms
from model_rollout.adapters.tasks import TaskTokens
from model_rollout.adapters.waiters import ALARM_PREFIX, Waiters, alarm_key
from model_rollout.domain.alarm_specs import (
    alarm_specs,
    breach_from_alarm,
    breach_from_event,
    created_alarm_names,
    watched_alarm_names,
)
from model_rollout.domain.deployment import AlarmSet, Deployment
from model_rollout.domain.model import Strict
from model_rollout.errors import AlarmFired

MAX_BAKE_SECONDS = 86_400
WAITER_TTL_MARGIN = 3600

Watch = Literal["watching", "fired"]


class WatchRequest(Strict):
    """The Payload of the ``Watch`` state (lambda:invoke.waitForTaskToken)."""

    task_token: str = Field(min_length=1)
    deployment_id: str
    endpoint_name: str
    alarm_names: list[str]
    bake_seconds: int | None = Field(default=None, ge=1)
    model_package_arn: str | None = None  # for the step's logs


def create_alarms(deployment: Deployment, *, alarms: Alarms, resource_prefix: str) -> AlarmSet:
    """PutMetricAlarm for the deployment's alarms (idempotent); the set the bake watches."""
    for spec in alarm_specs(deployment, resource_prefix):
        alarms.put(spec)
    return AlarmSet(
        alarm_names=watched_alarm_names(deployment, resource_prefix),
        created_alarm_names=created_alarm_names(deployment, resource_prefix),
    )


def watch(
    request: WatchRequest, *, alarms: Alarms, waiters: Waiters, tasks: TaskTokens
) -> tuple[Watch, list[str]]:
    """Park the bake's token under every alarm, then fail it at once if one is already in
    ALARM. Returns the outcome and the watched alarms that do not exist (never fire)."""
    ttl = (request.bake_seconds or MAX_BAKE_SECONDS) + WAITER_TTL_MARGIN
    for name in request.alarm_names:
        waiters.park(alarm_key(name), request.task_token, request.deployment_id, None, ttl)
    described = alarms.describe(request.alarm_names)
    found = {alarm["AlarmName"] for alarm in described}
    missing = [name for name in request.alarm_names if name not in found]
    firing = [alarm for alarm in described if alarm.get("StateValue") == "ALARM"]
    if not firing:
        return "watching", missing
    cause = "; ".join(breach_from_alarm(alarm).cause() for alarm in firing)
    tasks.fail(request.task_token, error=AlarmFired.__name__, cause=cause)
    waiters.remove_for_deployment(request.deployment_id, prefix=ALARM_PREFIX)
    return "fired", missing


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
