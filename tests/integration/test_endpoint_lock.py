"""The endpoint lock (model_rollout.workflow.locks) on moto's DynamoDB: order, hand-over,
stale holders, concurrent grants."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from tests.helpers.moto_env import mocked_aws

from model_rollout.adapters.locks import LockTable
from model_rollout.domain.deployment import Approval
from model_rollout.steps.acquire_endpoint_lock import AcquireRequest, acquire
from model_rollout.workflow.locks import release

ENDPOINT = "churn-prod"


class Executions(LockTable):
    """The locks table, with execution liveness from a dict instead of Step Functions."""

    status: dict[str, str]

    def execution_status(self, execution_arn: str) -> str | None:
        return self.status.get(execution_arn)


class Tokens:
    def __init__(self) -> None:
        self.released: list[str] = []
        self.lock = threading.Lock()

    def succeed(self, task_token: str, output: Any) -> bool:
        with self.lock:
            self.released.append(task_token)
        return True


@pytest.fixture
def table() -> Iterator[Executions]:
    with mocked_aws():
        locks = Executions(table_name="test-locks")
        locks.status = {}
        yield locks


def request(name: str, approved: str, locks: Executions) -> AcquireRequest:
    locks.status[f"arn:{name}"] = "RUNNING"
    return AcquireRequest(
        task_token=f"token-{name}",
        deployment_id=name,
        execution_arn=f"arn:{name}",
        execution_start_time="2026-03-01T10:00:00Z",
        endpoint_name=ENDPOINT,
        approval=Approval(event_id="e", event_time=approved, last_modified_time=approved),
        lease_seconds=3600,
    )


def test_a_free_endpoint_is_taken_at_once_and_others_queue_in_approval_order(
    table: Executions,
) -> None:
    tokens = Tokens()
    assert acquire(request("a", "2026-03-01T10:00:00Z", table), locks=table, tasks=tokens) == (
        "acquired"
    )
    # c was approved after b but arrives first: b still goes first
    assert acquire(request("c", "2026-03-01T10:00:09Z", table), locks=table, tasks=tokens) == (
        "waiting"
    )
    assert acquire(request("b", "2026-03-01T10:00:05Z", table), locks=table, tasks=tokens) == (
        "waiting"
    )
    assert tokens.released == ["token-a"]
    assert release(ENDPOINT, "a", locks=table, tasks=tokens) == "b"
    assert release(ENDPOINT, "b", locks=table, tasks=tokens) == "c"
    assert release(ENDPOINT, "c", locks=table, tasks=tokens) is None
    assert tokens.released == ["token-a", "token-b", "token-c"]
    assert table.get_lock(ENDPOINT) is None and table.queue(ENDPOINT) == []


def test_a_stopped_holder_is_taken_over_and_stopped_waiters_are_skipped(
    table: Executions,
) -> None:
    tokens = Tokens()
    acquire(request("a", "2026-03-01T10:00:00Z", table), locks=table, tasks=tokens)
    acquire(request("b", "2026-03-01T10:00:01Z", table), locks=table, tasks=tokens)
    acquire(request("c", "2026-03-01T10:00:02Z", table), locks=table, tasks=tokens)
    table.status["arn:a"] = "ABORTED"  # StopExecution while it held the endpoint
    table.status["arn:b"] = "ABORTED"  # and one stopped while it waited
    # c's wait times out and it asks again: a is stale, b is gone, c takes the endpoint
    assert acquire(request("c", "2026-03-01T10:00:02Z", table), locks=table, tasks=tokens) == (
        "acquired"
    )
    lock = table.get_lock(ENDPOINT)
    assert lock is not None and lock["holder"] == "c" and lock["replaced"] == "a"
    assert table.queue(ENDPOINT) == []


def test_a_retried_wait_of_the_holder_is_released_again(table: Executions) -> None:
    tokens = Tokens()
    acquire(request("a", "2026-03-01T10:00:00Z", table), locks=table, tasks=tokens)
    again = request("a", "2026-03-01T10:00:00Z", table).model_copy(update={"task_token": "t2"})
    assert acquire(again, locks=table, tasks=tokens) == "held"
    assert tokens.released == ["token-a", "t2"]


def test_concurrent_arrivals_at_a_free_endpoint_give_it_to_exactly_one(table: Executions) -> None:
    tokens = Tokens()
    requests = [request(f"d{i}", f"2026-03-01T10:00:0{i}Z", table) for i in range(6)]
    barrier = threading.Barrier(len(requests))

    def arrive(r: AcquireRequest) -> None:
        barrier.wait()
        acquire(r, locks=table, tasks=tokens)

    threads = [threading.Thread(target=arrive, args=(r,)) for r in requests]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lock = table.get_lock(ENDPOINT)
    assert lock is not None
    assert len(tokens.released) == 1 and tokens.released[0] == f"token-{lock['holder']}"
