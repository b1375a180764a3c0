"""AwaitApproval: a step the policy asks a person to approve parks its task token."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from model_rollout.adapters.alarms import Alarms
from model_rollout.adapters.tasks import TaskTokens
from model_rollout.adapters.waiters import Waiters
from model_rollout.domain.model import Strict
from model_rollout.steps.watch import WatchRequest, watch
from model_rollout.workflow.decisions import APPROVAL_PREFIX, approval_key
from model_rollout.workflow.waits import WAITER_TTL_MARGIN


class ApprovalRequest(Strict):
    """The Payload of the ``AwaitApproval`` state (lambda:invoke.waitForTaskToken)."""

    task_token: str = Field(min_length=1)
    deployment_id: str
    endpoint_name: str
    alarm_names: list[str]
    timeout_seconds: int = Field(ge=1)


def await_approval(
    request: ApprovalRequest, *, alarms: Alarms, waiters: Waiters, tasks: TaskTokens
) -> tuple[Literal["waiting", "fired"], list[str]]:
    """Park the approval token for an operator, and under the deployment's alarms (an alarm
    fails it at once, as during a watch). Returns the outcome and the missing alarms."""
    waiters.park(
        approval_key(request.deployment_id),
        request.task_token,
        request.deployment_id,
        None,
        request.timeout_seconds + WAITER_TTL_MARGIN,
    )
    result, missing = watch(
        WatchRequest(
            task_token=request.task_token,
            deployment_id=request.deployment_id,
            endpoint_name=request.endpoint_name,
            alarm_names=request.alarm_names,
            bake_seconds=request.timeout_seconds,
        ),
        alarms=alarms,
        waiters=waiters,
        tasks=tasks,
    )
    if result == "fired":
        waiters.remove_for_deployment(request.deployment_id, prefix=APPROVAL_PREFIX)
        return "fired", missing
    return "waiting", missing
