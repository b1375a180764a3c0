"""The waiters table and task tokens on moto / botocore Stubber."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from botocore.stub import Stubber
from tests.helpers.moto_env import mocked_aws
from tests.helpers.rollout_steps import create_waiters_table

from model_rollout.adapters.tasks import TaskTokens
from model_rollout.adapters.waiters import Waiters, alarm_key, endpoint_key
from model_rollout.errors import Throttled


@pytest.fixture
def waiters() -> Iterator[Waiters]:
    with mocked_aws() as world:
        create_waiters_table(world.dynamodb)
        yield Waiters()


def test_park_get_remove(waiters: Waiters) -> None:
    waiters.park(endpoint_key("ep"), "tok-1", "dep-1", {"endpoint_config_name": "c"}, 60)
    waiter = waiters.get(endpoint_key("ep"))
    assert waiter is not None
    assert (waiter.task_token, waiter.deployment_id, waiter.expect) == (
        "tok-1",
        "dep-1",
        {"endpoint_config_name": "c"},
    )
    assert waiters.remove(endpoint_key("ep"), task_token="someone-else") is False
    assert waiters.remove(endpoint_key("ep"), task_token="tok-1") is True
    assert waiters.get(endpoint_key("ep")) is None


def test_expired_waiter_is_none() -> None:
    with mocked_aws() as world:
        create_waiters_table(world.dynamodb)
        past = Waiters(clock=lambda: 1_000.0)
        past.park(endpoint_key("ep"), "tok", "dep", None, 10)
        assert Waiters().get(endpoint_key("ep")) is None


def test_findable_and_removable_by_deployment(waiters: Waiters) -> None:
    for name in ("a", "b"):
        waiters.park(alarm_key(name), "bake-token", "dep-1", None, 60)
    waiters.park(endpoint_key("ep"), "await-token", "dep-1", None, 60)
    waiters.park(alarm_key("c"), "other", "dep-2", None, 60)
    bake = waiters.find_for_deployment("dep-1", prefix="alarm#")
    assert {w.task_token for w in bake} == {"bake-token"}
    assert sorted(waiters.remove_for_deployment("dep-1", prefix="alarm#")) == [
        "alarm#a",
        "alarm#b",
    ]
    assert waiters.get(endpoint_key("ep")) is not None
    assert waiters.remove_for_deployment("dep-1") == ["endpoint#ep"]
    assert waiters.get(alarm_key("c")) is not None  # another deployment's


def test_a_newer_owner_is_not_removed(waiters: Waiters) -> None:
    waiters.park(alarm_key("shared"), "t1", "dep-1", None, 60)
    waiters.park(alarm_key("shared"), "t2", "dep-2", None, 60)
    assert waiters.remove_for_deployment("dep-1") == []
    assert waiters.get(alarm_key("shared")) is not None


def _stubbed() -> tuple[TaskTokens, Stubber]:
    client = boto3.client("stepfunctions", region_name="us-east-1")
    return TaskTokens(client), Stubber(client)


def test_a_token_already_used_is_ignored() -> None:
    tasks, stub = _stubbed()
    stub.add_client_error("send_task_success", service_error_code="TaskTimedOut")
    stub.add_client_error("send_task_failure", service_error_code="InvalidToken")
    stub.add_response("send_task_success", {}, {"taskToken": "t", "output": '{"a": 1}'})
    with stub:
        assert tasks.succeed("t", {"a": 1}) is False
        assert tasks.fail("t", error="AlarmFired", cause="x") is False
        assert tasks.succeed("t", {"a": 1}) is True


def test_throttling_becomes_throttled() -> None:
    tasks, stub = _stubbed()
    stub.add_client_error("send_task_failure", service_error_code="ThrottlingException")
    with stub, pytest.raises(Throttled, match="SendTaskFailure"):
        tasks.fail("t", error="AlarmFired", cause="x")
