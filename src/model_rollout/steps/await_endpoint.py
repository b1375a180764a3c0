"""Await* states: park the task token until DescribeEndpoint shows what the change asked for."""

from __future__ import annotations

from pydantic import Field

from model_rollout.adapters.endpoints import Endpoints
from model_rollout.adapters.tasks import TaskTokens
from model_rollout.adapters.waiters import Waiters, endpoint_key
from model_rollout.domain.deployment import Expectation
from model_rollout.domain.model import Strict
from model_rollout.workflow.waits import WAITER_TTL_MARGIN, Release, release_waiter


class AwaitRequest(Strict):
    """The Payload of an ``Await*`` state (lambda:invoke.waitForTaskToken)."""

    task_token: str = Field(min_length=1)
    deployment_id: str
    endpoint_name: str
    expect: Expectation
    model_package_arn: str | None = None  # for the step's logs


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
