"""Deployment reports (pure parts): the execution trace read from a history, the series
drawn from it, the HTML with its inline SVG charts, and the never-failing publication."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from model_rollout.domain.deployment import Outcome
from model_rollout.reporting.reports import (
    ExecutionTrace,
    ReportData,
    ReportWriter,
    account_for,
    alarm_segments,
    metric_period,
    render_html,
    started_at,
)

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def entered(name: str, t: float, kind: str = "Task", document: Any = None) -> dict[str, Any]:
    return {
        "timestamp": at(t),
        "type": f"{kind}StateEntered",
        "stateEnteredEventDetails": {"name": name, "input": json.dumps(document or {})},
    }


def exited(name: str, t: float, document: dict[str, Any], kind: str = "Task") -> dict[str, Any]:
    return {
        "timestamp": at(t),
        "type": f"{kind}StateExited",
        "stateExitedEventDetails": {"name": name, "output": json.dumps(document)},
    }


def variants(**weights: float) -> dict[str, Any]:
    return {
        "exists": True,
        "variants": [{"variant_name": k, "current_weight": v} for k, v in weights.items()],
    }


ALARMS = {"alarm_names": ["a-error-rate", "a-p99-latency"]}
DOC = {
    "deployment_id": "d-1",
    "endpoint_name": "ep",
    "model_package_arn": "arn:aws:sagemaker:us-east-1:1:model-package/g/2",
    "model_package_version": 2,
    "strategy": {"type": "all_at_once", "bake_seconds": 5},
    "previous": {
        "endpoint_config_name": "c1",
        "variants": [{"variant_name": "blue", "weight": 1.0}],
    },
}
ROLLED_BACK_HISTORY = [
    entered("ResolvePolicy", 0),
    exited("ResolvePolicy", 1, DOC),
    entered("AwaitDeploy", 1),
    exited("AwaitDeploy", 3, {**DOC, "endpoint": variants(green=1.0, blue=0.0)}),
    entered("Watch", 3),
    {
        "timestamp": at(5),
        "type": "TaskFailed",
        "taskFailedEventDetails": {
            "error": "AlarmFired",
            "cause": "alarm a-error-rate entered ALARM: error rate 0.5 > threshold 0.05",
        },
    },
    exited("Watch", 5, {**DOC, "alarms": ALARMS, "endpoint": variants(green=1.0, blue=0.0)}),
    entered("AwaitRollbackTraffic", 5),
    exited(
        "AwaitRollbackTraffic", 6, {**DOC, "alarms": ALARMS, "endpoint": variants(green=0, blue=2)}
    ),
    entered("RolledBack", 7, kind="Fail"),
    {
        "timestamp": at(7),
        "type": "ExecutionFailed",
        "executionFailedEventDetails": {"error": "RolledBack", "cause": "rolled back"},
    },
]
EXECUTION = {
    "executionArn": "arn:aws:states:us-east-1:1:execution:m:d-1",
    "status": "FAILED",
    "startDate": at(0),
    "stopDate": at(7),
    "error": "RolledBack",
    "cause": "rolled back",
}


def test_trace_gives_each_states_status_error_and_duration() -> None:
    trace = ExecutionTrace.from_history(EXECUTION, ROLLED_BACK_HISTORY)

    by_name = {v.name: v for v in trace.visits}
    assert by_name["ResolvePolicy"].status == "succeeded"
    assert by_name["ResolvePolicy"].duration(0) == 1.0
    assert (by_name["Watch"].status, by_name["Watch"].error) == ("caught", "AlarmFired")
    assert by_name["RolledBack"].status == "failed"
    assert by_name["RolledBack"].error == "RolledBack"
    assert trace.current_state() is None
    assert trace.bake() == (at(3).timestamp(), at(5).timestamp(), "a-error-rate")
    assert trace.alarm_names() == ALARMS["alarm_names"]


def test_weights_start_from_the_previous_config_and_follow_each_observation() -> None:
    trace = ExecutionTrace.from_history(EXECUTION, ROLLED_BACK_HISTORY)

    series = trace.weight_series()

    t = {n: at(n).timestamp() for n in (0, 3, 6)}
    assert series["blue"] == [(t[0], 1.0), (t[3], 0.0), (t[6], 1.0)]  # shares, normalized
    assert series["green"] == [(t[3], 1.0), (t[6], 0.0)]


def test_alarm_segments_show_the_watch_and_the_alarm_that_fired() -> None:
    trace = ExecutionTrace.from_history(EXECUTION, ROLLED_BACK_HISTORY)

    rows = alarm_segments(trace, {}, now=at(7).timestamp())

    assert [s.label for s in rows["a-error-rate"]] == ["watching", "ALARM"]
    assert [s.label for s in rows["a-p99-latency"]] == ["watching"]
    current = alarm_segments(
        trace,
        {"a-p99-latency": {"StateValue": "OK", "StateUpdatedTimestamp": at(4)}},
        at(7).timestamp(),
    )
    assert [s.label for s in current["a-p99-latency"]] == ["watching", "OK"]


def test_html_is_self_contained_with_every_chart_and_series() -> None:
    trace = ExecutionTrace.from_history(EXECUTION, ROLLED_BACK_HISTORY)
    data = ReportData(
        deployment_id="d-1",
        endpoint_name="ep",
        status="ROLLED_BACK",
        generated=at(8).timestamp(),
        trace=trace,
        end=at(7).timestamp(),
        weights=trace.weight_series(),
        alarms=alarm_segments(trace, {}, at(7).timestamp()),
        metrics={
            "Invocations": {"green": [(at(4).timestamp(), 40.0)], "blue": []},
            "ModelLatency": {"green": [(at(4).timestamp(), 20.0)]},
        },
        comparison={"shadow": {"agreement": 0.97, "samples": 1200}},
        error="RolledBack",
        cause="rolled back <because>",
    )

    html = render_html(data)

    for chart in ("weights", "alarms", "invocations", "errors", "latency", "states"):
        assert f'data-chart="{chart}"' in html
    assert 'data-series="green"' in html and 'data-series="blue"' in html
    assert 'data-label="ALARM"' in html
    assert "no data in this period" in html  # errors: nothing published
    assert "rolled back &lt;because&gt;" in html  # escaped
    assert "shadow.agreement" not in html and "agreement" in html  # the comparison table
    assert "<script" not in html and "://" not in html.replace("http://www.w3.org/2000/svg", "")


def test_metric_period_keeps_charts_readable() -> None:
    assert metric_period(60) == 10
    assert metric_period(1800) == 30
    assert metric_period(3 * 3600) == 180


class Broken:
    def publish(self, **kwargs: Any) -> str | None:
        return ReportWriter(bucket="b", stepfunctions=self, s3=self, cloudwatch=self).publish(
            **kwargs
        )

    def describe_execution(self, **kwargs: Any) -> Any:
        raise RuntimeError("no Step Functions today")


def test_a_report_that_cannot_be_written_never_fails_the_deployment() -> None:
    details: dict[str, Any] = {}
    outcome = account_for(
        Outcome(status="PROMOTED"),
        Broken(),
        deployment_id="d-1",
        execution_arn="arn:x",
        endpoint_name="ep",
        started=(datetime.now(UTC) - timedelta(seconds=30)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        details=details,
    )
    assert outcome.report_url is None and "report_url" not in details
    assert outcome.duration_seconds is not None and 29 <= outcome.duration_seconds <= 60
    assert details["duration_seconds"] == outcome.duration_seconds


def test_started_at_of_a_document_or_of_a_raw_event() -> None:
    assert (
        started_at({"approval": {"event_time": "2026-01-01T12:00:00Z"}}) == "2026-01-01T12:00:00Z"
    )
    assert started_at({"time": "2026-01-01T12:00:01Z"}) == "2026-01-01T12:00:01Z"
    assert started_at("garbage") is None
