"""The low-traffic guard's metric read, and operator decisions on the waiters table, on moto."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from tests.helpers.moto_env import mocked_aws
from tests.helpers.rollout_steps import FakeTasks, create_waiters_table

from model_rollout.adapters.variant_metrics import VariantMetrics
from model_rollout.adapters.waiters import Waiters, alarm_key
from model_rollout.errors import NoDecisionPending
from model_rollout.workflow.decisions import abort, approval_key, pending, promote


def _invocations(cloudwatch: object, endpoint: str, variant: str, at: float, n: int) -> None:
    cloudwatch.put_metric_data(  # type: ignore[attr-defined]
        Namespace="AWS/SageMaker",
        MetricData=[
            {
                "MetricName": "Invocations",
                "Dimensions": [
                    {"Name": "EndpointName", "Value": endpoint},
                    {"Name": "VariantName", "Value": variant},
                ],
                "Timestamp": datetime.fromtimestamp(at, UTC),
                "Value": 1.0,
            }
            for _ in range(n)
        ],
    )


def test_invocations_of_one_variant_over_a_window() -> None:
    with mocked_aws():
        import boto3

        cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
        now = time.time()
        _invocations(cloudwatch, "ep", "green", now - 30, 7)
        _invocations(cloudwatch, "ep", "green", now - 600, 5)  # before the window
        _invocations(cloudwatch, "ep", "blue", now - 30, 11)  # another variant
        _invocations(cloudwatch, "other", "green", now - 30, 13)  # another endpoint
        metrics = VariantMetrics()
        assert metrics.invocations("ep", "green", now - 60, now) == 7
        assert metrics.invocations("ep", "green", now - 900, now) == 12
        assert metrics.invocations("ep", "blue", now - 60, now) == 11
        assert metrics.invocations("ep", "none", now - 60, now) == 0
        assert metrics.invocations("ep", "green", now, now) == 0


def test_decisions_find_the_parked_token_and_clear_it() -> None:
    with mocked_aws() as world:
        create_waiters_table(world.dynamodb)
        waiters, tasks = Waiters(), FakeTasks()
        for name in ("err", "lat"):
            waiters.park(alarm_key(name), "watch-token", "dep-1", None, 60)
        assert pending("dep-1", waiters=waiters) == "watch"
        assert pending("dep-2", waiters=waiters) is None

        decision = promote("dep-1", "ship it", waiters=waiters, tasks=tasks)  # type: ignore[arg-type]

        assert decision.point == "watch"
        assert tasks.succeeded[0][0] == "watch-token"
        assert waiters.find_for_deployment("dep-1", prefix="alarm#") == []
        with pytest.raises(NoDecisionPending):
            abort("dep-1", "too late", waiters=waiters, tasks=tasks)  # type: ignore[arg-type]

        waiters.park(approval_key("dep-3"), "approval-token", "dep-3", None, 60)
        waiters.park(alarm_key("err3"), "approval-token", "dep-3", None, 60)
        assert pending("dep-3", waiters=waiters) == "approval"
        abort("dep-3", "no", waiters=waiters, tasks=tasks)  # type: ignore[arg-type]
        assert tasks.failed == [("approval-token", "Aborted", "no")]
        assert pending("dep-3", waiters=waiters) is None
