"""Event-driven waits on an endpoint: park a task token, release it when DescribeEndpoint
shows the expected state. One place decides, for the await function and the event alike."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from model_rollout.adapters.endpoints import Endpoints
from model_rollout.adapters.tasks import TaskTokens
from model_rollout.adapters.waiters import Waiter, Waiters, endpoint_key
from model_rollout.domain.deployment import Expectation
from model_rollout.domain.expectation import IN_PROGRESS, check, normalize_status, summarize
from model_rollout.domain.model import Strict
from model_rollout.errors import DeploymentFailed

Release = Literal["met", "failed", "pending", "no-waiter", "ignored"]
WAITER_TTL_MARGIN = 3600


class AwaitRequest(Strict):
    """The Payload of an ``Await*`` state (lambda:invoke.waitForTaskToken)."""

    task_token: str = Field(min_length=1)
    deployment_id: str
    endpoint_name: str
    expect: Expectation
    model_package_arn: str | None = None  # for the step's logs


def release_waiter(
    waiter: Waiter,
    described: dict[str, Any] | None,
    *,
    tasks: TaskTokens,
    waiters: Waiters,
) -> Release:
    """Succeed or fail the parked task if the endpoint settled; leave it parked otherwise."""
    expect = Expectation.model_validate(waiter.expect or {})
    try:
        result = check(expect, described)
    except DeploymentFailed as failure:
        tasks.fail(waiter.task_token, error=type(failure).__name__, cause=str(failure))
        waiters.remove(waiter.key, task_token=waiter.task_token)
        return "failed"
    if result == "pending":
        return "pending"
    tasks.succeed(waiter.task_token, summarize(described))
    waiters.remove(waiter.key, task_token=waiter.task_token)
    return "met"


def await_endpoint(
    request: AwaitRequest,
    *,
    endpoints: Endpoints,
    waiters: Waiters,
    tasks: TaskTokens,
    ttl_seconds: int,
) -> Release:
    """Park the token FIRST, then check at once: an update that finished before the token
    was parked is not missed, and an event arriving meanwhile finds the token."""
    waiter = waiters.park(
        endpoint_key(request.endpoint_name),
        request.task_token,
        request.deployment_id,
        request.expect.model_dump(mode="json"),
        ttl_seconds + WAITER_TTL_MARGIN,
    )
    return release_waiter(
        waiter, endpoints.describe(request.endpoint_name), tasks=tasks, waiters=waiters
    )


def on_endpoint_state_change(
    endpoint_name: str,
    status: str,
    *,
    endpoints: Endpoints,
    waiters: Waiters,
    tasks: TaskTokens,
) -> Release:
    """A "SageMaker Endpoint State Change": release the endpoint's waiter if it settled.

    The event only says *that* something changed; DescribeEndpoint is authoritative.
    """
    if normalize_status(status) in IN_PROGRESS:
        return "ignored"
    waiter = waiters.get(endpoint_key(endpoint_name))
    if waiter is None:
        return "no-waiter"
    return release_waiter(waiter, endpoints.describe(endpoint_name), tasks=tasks, waiters=waiters)
