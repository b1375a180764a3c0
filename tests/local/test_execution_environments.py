"""Execution environments of the in-process runtime, and the metrics of a function's log.

As on Lambda: an invocation runs in a free environment of its function or in a new one (a
cold start, for that invocation only); invocations running at once get one environment
each, with Powertools' metric set of its own; the EMF lines of a function's log become
CloudWatch metrics; the log of an invocation that raised is kept.
"""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from rollout_local import execution_environments
from rollout_local.server import LocalStack
from rollout_local.template import DeployedStack

NAMESPACE = "RolloutFixture"


def _invoke(stack: LocalStack, name: str, event: Any) -> tuple[str | None, Any]:
    response = stack.client("lambda").invoke(FunctionName=name, Payload=json.dumps(event))
    return response.get("FunctionError"), json.loads(response["Payload"].read())


def _at_once(stack: LocalStack, name: str, events: list[dict[str, Any]]) -> list[Any]:
    with ThreadPoolExecutor(len(events)) as pool:
        return list(pool.map(lambda event: _invoke(stack, name, event), events))


def _log_messages(stack: LocalStack, name: str) -> list[list[str]]:
    """Each log stream of the function: its messages."""
    logs = stack.client("logs")
    group = f"/aws/lambda/{name}"
    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    return [
        [
            e["message"]
            for e in logs.get_log_events(logGroupName=group, logStreamName=s["logStreamName"])[
                "events"
            ]
        ]
        for s in streams
    ]


def _emf_metric_names(messages: list[str]) -> list[list[str]]:
    documents = [json.loads(m) for m in messages if m.startswith("{") and '"_aws"' in m]
    return [
        [d["Name"] for directive in doc["_aws"]["CloudWatchMetrics"] for d in directive["Metrics"]]
        for doc in documents
    ]


def _cold_starts(stack: LocalStack, name: str) -> float:
    now = datetime.now(UTC)
    points = stack.client("cloudwatch").get_metric_statistics(
        Namespace=NAMESPACE,
        MetricName="ColdStart",
        Dimensions=[
            {"Name": "function_name", "Value": name},
            {"Name": "service", "Value": "fixture-powertools"},
        ],
        StartTime=now - timedelta(hours=1),
        EndTime=now + timedelta(hours=1),
        Period=7200,
        Statistics=["Sum"],
    )["Datapoints"]
    return sum(p["Sum"] for p in points)


def test_concurrent_invocations_get_an_environment_each_and_a_cold_start_only_in_a_new_one(
    local_stack: LocalStack, fixture_stack: DeployedStack
) -> None:
    name = fixture_stack.resources["PowertoolsFunction"]
    _invoke(local_stack, name, {})  # at least one warm environment
    warm = execution_environments.free(name)
    cold_before = _cold_starts(local_stack, name)
    meeting = uuid.uuid4().hex
    parties = warm + 2  # all at once: every warm environment busy, and two new ones

    results = _at_once(local_stack, name, [{"meet": meeting, "parties": parties}] * parties)

    assert [error for error, _ in results] == [None] * parties
    colds = [payload["cold_start"] for _, payload in results]
    assert sorted(colds) == [False] * warm + [True, True]
    assert execution_environments.free(name) == parties
    # the next invocation takes a warm environment
    assert _invoke(local_stack, name, {}) == (None, {"cold_start": False})
    # Powertools' ColdStart metric: once per new environment, through the function's EMF log
    assert _cold_starts(local_stack, name) == cold_before + 2


def test_invocations_running_at_once_flush_only_their_own_metrics(
    local_stack: LocalStack, fixture_stack: DeployedStack
) -> None:
    name = fixture_stack.resources["PowertoolsFunction"]
    mine = {f"Metric{uuid.uuid4().hex[:8]}" for _ in range(3)}
    meeting = uuid.uuid4().hex
    # each adds its metric, then waits until all added theirs, then flushes
    events = [{"metric": metric, "meet": meeting, "parties": len(mine)} for metric in mine]

    _at_once(local_stack, name, events)

    flushed = [
        names
        for messages in _log_messages(local_stack, name)
        for names in _emf_metric_names(messages)
        if mine & set(names)
    ]
    assert sorted(flushed) == sorted([metric] for metric in mine)
    listed = local_stack.client("cloudwatch").list_metrics(Namespace=NAMESPACE)["Metrics"]
    for metric in mine:
        (entry,) = [m for m in listed if m["MetricName"] == metric]
        assert entry["Dimensions"] == [{"Name": "service", "Value": "fixture-powertools"}]


def test_a_metric_of_several_invocations_is_listed_once_with_every_datapoint(
    local_stack: LocalStack, fixture_stack: DeployedStack
) -> None:
    name = fixture_stack.resources["PowertoolsFunction"]
    metric = f"Repeated{uuid.uuid4().hex[:8]}"
    for _ in range(3):
        _invoke(local_stack, name, {"metric": metric})

    cloudwatch = local_stack.client("cloudwatch")
    listed = cloudwatch.list_metrics(Namespace=NAMESPACE, MetricName=metric)["Metrics"]
    assert len(listed) == 1
    now = datetime.now(UTC)
    points = cloudwatch.get_metric_statistics(
        Namespace=NAMESPACE,
        MetricName=metric,
        Dimensions=listed[0]["Dimensions"],
        StartTime=now - timedelta(hours=1),
        EndTime=now + timedelta(hours=1),
        Period=7200,
        Statistics=["Sum"],
    )["Datapoints"]
    assert [p["Sum"] for p in points] == [3.0]


def test_the_log_and_metrics_of_an_invocation_that_raised_are_kept(
    local_stack: LocalStack, fixture_stack: DeployedStack
) -> None:
    name = fixture_stack.resources["PowertoolsFunction"]
    metric = f"Failing{uuid.uuid4().hex[:8]}"

    error, payload = _invoke(local_stack, name, {"metric": metric, "fail": "broken on purpose"})

    assert (error, payload["errorType"]) == ("Unhandled", "RuntimeError")
    (stream,) = [
        messages
        for messages in _log_messages(local_stack, name)
        if any(metric in m and '"handled"' in m for m in messages)
    ]
    assert stream[0].startswith("START RequestId:") and stream[-1].startswith("REPORT RequestId:")
    assert [metric] in _emf_metric_names(stream)
    listed = local_stack.client("cloudwatch").list_metrics(Namespace=NAMESPACE, MetricName=metric)
    assert len(listed["Metrics"]) == 1


def test_a_malformed_emf_line_is_dropped_and_never_fails_the_invocation(
    local_stack: LocalStack, fixture_stack: DeployedStack
) -> None:
    name = fixture_stack.resources["PowertoolsFunction"]
    metric = f"Kept{uuid.uuid4().hex[:8]}"
    broken = json.dumps({"_aws": {"CloudWatchMetrics": []}, "marker": metric})  # no Timestamp

    error, _ = _invoke(local_stack, name, {"metric": metric, "print": broken})

    assert error is None
    assert any(broken in messages for messages in _log_messages(local_stack, name))
    listed = local_stack.client("cloudwatch").list_metrics(Namespace=NAMESPACE, MetricName=metric)
    assert len(listed["Metrics"]) == 1  # the handler's own EMF document still counts
