"""One deployment at a time per endpoint, in approval order; a dead holder cannot keep it.

The lock is an item in DynamoDB with a lease. ``AcquireEndpointLock`` (a
``lambda:invoke.waitForTaskToken`` task) queues the deployment under a key that sorts in
approval order (approval time, then execution start time) and parks its task token there;
then it tries to *grant* the lock. Granting gives the lock to the first waiting deployment
whose execution is still RUNNING (a conditional write, so two grants cannot both win) and
releases that deployment's token. Whoever ends a deployment (Finalize, FinishRollback,
RecordFailure) releases the lock and grants it to the next in the queue: the hand-over is
event-driven and costs the waiting execution no state transitions.

A holder that cannot release (its execution was stopped, timed out, or crashed) is *stale*:
its execution is no longer RUNNING (``DescribeExecution``), or its lease expired. Waiting
deployments find out when their wait times out (``$.limits.lock_poll_seconds``; the state
retries the timeout with backoff, a bounded number of times) and take the lock over. The
next holder then brings the endpoint back to a consistent state before anything else
(``recover_endpoint``).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from pydantic import Field

from model_rollout.adapters.locks import LOCK_ENTRY, QUEUE_PREFIX, LockTable
from model_rollout.domain.deployment import Approval
from model_rollout.domain.model import Strict

RUNNING = "RUNNING"
QUEUE_TTL_MARGIN = 86_400

Acquired = Literal["acquired", "held", "waiting"]


class Tasks(Protocol):
    def succeed(self, task_token: str, output: Any) -> bool: ...


class AcquireRequest(Strict):
    """The Payload of ``AcquireEndpointLock`` (lambda:invoke.waitForTaskToken)."""

    task_token: str = Field(min_length=1)
    deployment_id: str = Field(min_length=1)
    execution_arn: str = Field(min_length=1)
    execution_start_time: str = ""
    endpoint_name: str = Field(min_length=1)
    approval: Approval
    lease_seconds: int = Field(ge=1)


def _utc(text: str | None) -> str:
    """An ISO-8601 (or epoch) time as sortable UTC text with microseconds; '' if unreadable."""
    if not text:
        return ""
    try:
        moment = datetime.fromtimestamp(float(text), UTC)
    except ValueError:
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def order_key(approval: Approval, execution_start_time: str, deployment_id: str) -> str:
    """Sorts in approval order: the approval's time (LastModifiedTime, else the event's),
    then when the execution started (deliveries in one second), then the id (a tie)."""
    approved = _utc(approval.last_modified_time) or _utc(approval.event_time)
    return f"{QUEUE_PREFIX}{approved}|{_utc(execution_start_time)}|{deployment_id}"


def is_stale(lock: dict[str, Any], locks: LockTable, now: float) -> bool:
    """The holder's lease expired, or its execution is no longer running."""
    if int(lock.get("lease_expires_at", 0)) <= now:
        return True
    return locks.execution_status(str(lock.get("execution_arn", ""))) != RUNNING


def grant_next(
    endpoint: str, *, locks: LockTable, tasks: Tasks, now: float | None = None
) -> str | None:
    """Give a free (or stale) lock to the first live waiting deployment; release its token.

    Returns who holds the lock afterwards (None: nobody)."""
    now = time.time() if now is None else now
    lock = locks.get_lock(endpoint)
    if lock is not None and not is_stale(lock, locks, now):
        return str(lock["holder"])
    stale = str(lock["holder"]) if lock is not None else None
    for waiting in locks.queue(endpoint):
        if locks.execution_status(str(waiting.get("execution_arn", ""))) != RUNNING:
            locks.remove(endpoint, waiting["entry"])  # stopped while waiting
            continue
        holder = {
            "holder": waiting["deployment_id"],
            "execution_arn": waiting["execution_arn"],
            "acquired_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "lease_expires_at": int(now) + int(waiting.get("lease_seconds", 0) or 0),
            "order": waiting["entry"],
            **({"replaced": stale} if stale else {}),
        }
        if not locks.take_lock(endpoint, holder, replacing=stale):
            return None  # a concurrent grant won; it releases its own grantee
        locks.remove(endpoint, waiting["entry"])
        # A token that was replaced meanwhile (the wait timed out and was retried) fails to
        # release: the retried wait finds itself the holder and releases its new token.
        tasks.succeed(str(waiting["task_token"]), _grant_output(holder))
        return str(holder["holder"])
    return stale


def _grant_output(holder: dict[str, Any]) -> dict[str, Any]:
    return {
        "holder": holder["holder"],
        "acquired_at": holder["acquired_at"],
        "lease_expires_at": holder["lease_expires_at"],
        "replaced": holder.get("replaced"),
    }


def acquire(request: AcquireRequest, *, locks: LockTable, tasks: Tasks) -> Acquired:
    """Queue for the endpoint and try to take it; the token is released once it is ours."""
    endpoint = request.endpoint_name
    now = time.time()
    lock = locks.get_lock(endpoint)
    if lock is not None and lock.get("holder") == request.deployment_id:
        tasks.succeed(request.task_token, _grant_output(lock))  # a retried wait, already ours
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


def release(
    endpoint: str | None, deployment_id: str, *, locks: LockTable, tasks: Tasks
) -> str | None:
    """End of a deployment: leave the queue, release the lock if held, hand it over.

    Idempotent (a retried final step releases nothing twice). Returns the next holder."""
    if not endpoint or not deployment_id:
        return None
    for entry in locks.entries_of(endpoint, deployment_id):
        locks.remove(endpoint, entry)
    lock = locks.get_lock(endpoint)
    if lock is not None and lock.get("holder") == deployment_id:
        locks.release_lock(endpoint, deployment_id)
    elif lock is not None:
        return str(lock.get("holder"))  # someone else holds it: nothing to hand over
    return grant_next(endpoint, locks=locks, tasks=tasks)


class EndpointLocks:
    """What the final steps use: release the endpoint a deployment held (lazy adapters)."""

    def __init__(self, table: LockTable | None = None, tasks: Tasks | None = None) -> None:
        self._table = table
        self._tasks = tasks

    @property
    def table(self) -> LockTable:
        if self._table is None:
            self._table = LockTable()
        return self._table

    @property
    def tasks(self) -> Tasks:
        if self._tasks is None:
            from model_rollout.adapters.tasks import TaskTokens

            self._tasks = TaskTokens()
        return self._tasks

    def release(self, endpoint: str | None, deployment_id: str) -> str | None:
        """Release the endpoint (if held) and hand it to the next deployment; its id."""
        return release(endpoint, deployment_id, locks=self.table, tasks=self.tasks)


__all__ = [
    "LOCK_ENTRY",
    "AcquireRequest",
    "EndpointLocks",
    "acquire",
    "grant_next",
    "order_key",
    "release",
]
