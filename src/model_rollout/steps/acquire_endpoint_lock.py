"""AcquireEndpointLock: one deployment at a time per endpoint, in approval order."""

from __future__ import annotations

import time

from pydantic import Field

from model_rollout.adapters.locks import LockTable
from model_rollout.domain.deployment import Approval
from model_rollout.domain.model import Strict
from model_rollout.workflow.locks import (
    QUEUE_TTL_MARGIN,
    Acquired,
    Tasks,
    grant_next,
    grant_output,
    order_key,
)


class AcquireRequest(Strict):
    """The Payload of ``AcquireEndpointLock`` (lambda:invoke.waitForTaskToken)."""

    task_token: str = Field(min_length=1)
    deployment_id: str = Field(min_length=1)
    execution_arn: str = Field(min_length=1)
    execution_start_time: str = ""
    endpoint_name: str = Field(min_length=1)
    approval: Approval
    lease_seconds: int = Field(ge=1)


def acquire(request: AcquireRequest, *, locks: LockTable, tasks: Tasks) -> Acquired:
    """Queue for the endpoint and try to take it; the token is released once it is ours."""
    endpoint = request.endpoint_name
    now = time.time()
    lock = locks.get_lock(endpoint)
    if lock is not None and lock.get("holder") == request.deployment_id:
        tasks.succeed(request.task_token, grant_output(lock))  # a retried wait, already ours
        return "held"
    entry = order_key(request.approval, request.execution_start_time, request.deployment_id)
    locks.enqueue(
        endpoint,
        entry,
        {
            "deployment_id": request.deployment_id,
            "execution_arn": request.execution_arn,
            "task_token": request.task_token,
            "lease_seconds": request.lease_seconds,
            "expires_at": int(now) + request.lease_seconds + QUEUE_TTL_MARGIN,
        },
    )
    holder = grant_next(endpoint, locks=locks, tasks=tasks, now=now)
    return "acquired" if holder == request.deployment_id else "waiting"
