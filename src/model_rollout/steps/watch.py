"""Watch (and WatchStep, WatchShadow, WatchAB): the bake parks its task token until an alarm
fires or the bake's time is up (the state's timeout)."""

from __future__ import annotations

from pydantic import Field

from model_rollout.adapters.alarms import Alarms
from model_rollout.adapters.tasks import TaskTokens
from model_rollout.adapters.waiters import ALARM_PREFIX, Waiters, alarm_key
from model_rollout.domain.alarm_specs import (
    breach_from_alarm,
)
from model_rollout.domain.model import Strict
from model_rollout.errors import AlarmFired
from model_rollout.workflow.bake import MAX_BAKE_SECONDS, Watch
from model_rollout.workflow.waits import WAITER_TTL_MARGIN


class WatchRequest(Strict):
    """The Payload of the ``Watch`` state (lambda:invoke.waitForTaskToken)."""

    task_token: str = Field(min_length=1)
    deployment_id: str
    endpoint_name: str
    alarm_names: list[str]
    bake_seconds: int | None = Field(default=None, ge=1)
    model_package_arn: str | None = None  # for the step's logs


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
