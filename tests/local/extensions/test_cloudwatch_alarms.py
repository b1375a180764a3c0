"""Alarm evaluation: transitions, metric math, statistics, missing data, events."""

from __future__ import annotations

import contextlib
import json
import time
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from rollout_local.extensions import _metric_math
from rollout_local.extensions.cloudwatch_alarms import evaluate_all

from .conftest import Events, in_service_endpoint, wait_until

ALARM_EVENTS = {"source": ["aws.cloudwatch"], "detail-type": ["CloudWatch Alarm State Change"]}
DIMS = [{"Name": "EndpointName", "Value": "ep"}, {"Name": "VariantName", "Value": "v0"}]


def put(aws: boto3.Session, name: str, value: float, at: float | None = None) -> None:
    datum: dict[str, Any] = {"MetricName": name, "Value": value, "Dimensions": DIMS}
    if at is not None:
        datum["Timestamp"] = datetime.fromtimestamp(at, UTC)
    aws.client("cloudwatch").put_metric_data(Namespace="AWS/SageMaker", MetricData=[datum])


def alarm(aws: boto3.Session, name: str) -> dict[str, Any]:
    return aws.client("cloudwatch").describe_alarms(AlarmNames=[name])["MetricAlarms"][0]


def simple_alarm(aws: boto3.Session, name: str = "errors", **extra: Any) -> None:
    kwargs: dict[str, Any] = {
        "AlarmName": name,
        "Namespace": "AWS/SageMaker",
        "MetricName": "Invocation5XXErrors",
        "Dimensions": DIMS,
        "Statistic": "Average",
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": 0.01,
        "ComparisonOperator": "GreaterThanThreshold",
        "AlarmDescription": "too many errors",
        **extra,
    }
    aws.client("cloudwatch").put_metric_alarm(**kwargs)


def test_new_alarm_is_insufficient_data_then_alarm_within_a_second(aws: boto3.Session) -> None:
    events = Events(aws, ALARM_EVENTS)
    simple_alarm(aws)
    evaluate_all()
    assert alarm(aws, "errors")["StateValue"] == "INSUFFICIENT_DATA"
    put(aws, "Invocation5XXErrors", 0.0)
    wait_until(lambda: alarm(aws, "errors")["StateValue"] == "OK")
    started = time.monotonic()
    put(aws, "Invocation5XXErrors", 1.0)
    wait_until(lambda: alarm(aws, "errors")["StateValue"] == "ALARM", timeout=2.0)
    assert time.monotonic() - started < 1.0
    described = alarm(aws, "errors")
    assert described["StateReason"].startswith(
        "Threshold Crossed: 1 out of the last 1 datapoints [0.5 ("
    )
    assert described["StateReason"].endswith(
        "was greater than the threshold (0.01) (minimum 1 datapoint for OK -> ALARM transition)."
    )
    data = json.loads(described["StateReasonData"])
    assert data["recentDatapoints"] == [0.5]
    assert data["threshold"] == 0.01 and data["statistic"] == "Average" and data["period"] == 60

    changes = events.wait_for(lambda e: e["detail"]["state"]["value"] == "ALARM")
    event = changes[0]
    assert event["resources"] == [described["AlarmArn"]]
    detail = event["detail"]
    assert detail["alarmName"] == "errors"
    assert detail["previousState"]["value"] == "OK"
    assert detail["state"]["reason"] == described["StateReason"]
    assert json.loads(detail["state"]["reasonData"])["threshold"] == 0.01
    assert detail["state"]["timestamp"].endswith("+0000")
    assert detail["configuration"]["description"] == "too many errors"
    (metric,) = detail["configuration"]["metrics"]
    assert metric["returnData"] is True
    assert metric["metricStat"] == {
        "metric": {
            "dimensions": {"EndpointName": "ep", "VariantName": "v0"},
            "name": "Invocation5XXErrors",
            "namespace": "AWS/SageMaker",
        },
        "period": 60,
        "stat": "Average",
    }
    first = [e["detail"]["state"]["value"] for e in events.seen]
    assert first == ["OK", "ALARM"]


def test_datapoints_to_alarm_m_out_of_n(aws_manual: boto3.Session) -> None:
    simple_alarm(aws_manual, EvaluationPeriods=3, DatapointsToAlarm=2)
    now = time.time()
    put(aws_manual, "Invocation5XXErrors", 1.0, now - 150)
    put(aws_manual, "Invocation5XXErrors", 0.0, now - 90)
    put(aws_manual, "Invocation5XXErrors", 0.0, now - 30)
    evaluate_all(now)
    assert alarm(aws_manual, "errors")["StateValue"] == "OK"
    put(aws_manual, "Invocation5XXErrors", 5.0, now - 20)  # the newest window now averages 2.5
    evaluate_all(now)
    described = alarm(aws_manual, "errors")
    assert described["StateValue"] == "ALARM"
    assert described["StateReason"].startswith("Threshold Crossed: 2 out of the last 3 datapoints")
    assert "(minimum 2 datapoints for OK -> ALARM transition)" in described["StateReason"]


@pytest.mark.parametrize(
    ("treat", "expected", "reason"),
    [
        ("missing", "INSUFFICIENT_DATA", "Unchecked: Initial alarm creation"),
        ("notBreaching", "OK", "treated as [NonBreaching]"),
        ("breaching", "ALARM", "treated as [Breaching]"),
        ("ignore", "INSUFFICIENT_DATA", "Unchecked: Initial alarm creation"),
    ],
)
def test_treat_missing_data_when_all_missing(
    aws_manual: boto3.Session, treat: str, expected: str, reason: str
) -> None:
    simple_alarm(aws_manual, TreatMissingData=treat)
    evaluate_all()
    described = alarm(aws_manual, "errors")
    assert described["StateValue"] == expected
    assert reason in described["StateReason"]


def test_ignore_keeps_state_missing_goes_insufficient(aws_manual: boto3.Session) -> None:
    now = time.time()
    for name, treat in (("ign", "ignore"), ("mis", "missing")):
        simple_alarm(aws_manual, name, TreatMissingData=treat, Period=10)
        put(aws_manual, "Invocation5XXErrors", 1.0, now - 5)
    evaluate_all(now)
    assert (
        alarm(aws_manual, "ign")["StateValue"] == alarm(aws_manual, "mis")["StateValue"] == "ALARM"
    )
    evaluate_all(now + 30)  # the datapoint left the window
    assert alarm(aws_manual, "ign")["StateValue"] == "ALARM"
    assert alarm(aws_manual, "mis")["StateValue"] == "INSUFFICIENT_DATA"
    assert alarm(aws_manual, "mis")["StateReason"] == "Insufficient Data: 1 datapoint was unknown."


def test_missing_with_fewer_points_than_m_alarms_only_if_all_breach(
    aws_manual: boto3.Session,
) -> None:
    # "- - X": one datapoint present, breaching, M=3 → ALARM (AWS's missing-data table)
    simple_alarm(aws_manual, EvaluationPeriods=3, DatapointsToAlarm=3)
    now = time.time()
    put(aws_manual, "Invocation5XXErrors", 1.0, now - 30)
    evaluate_all(now)
    assert alarm(aws_manual, "errors")["StateValue"] == "ALARM"


def test_p99_extended_statistic_and_less_than(aws_manual: boto3.Session) -> None:
    cw = aws_manual.client("cloudwatch")
    cw.put_metric_alarm(
        AlarmName="latency",
        Namespace="AWS/SageMaker",
        MetricName="ModelLatency",
        Dimensions=DIMS,
        ExtendedStatistic="p99",
        Period=60,
        EvaluationPeriods=1,
        Threshold=500_000,
        ComparisonOperator="GreaterThanThreshold",
    )
    cw.put_metric_alarm(
        AlarmName="traffic",
        Namespace="AWS/SageMaker",
        MetricName="Invocations",
        Dimensions=DIMS,
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=5,
        ComparisonOperator="LessThanOrEqualToThreshold",
    )
    now = time.time()
    for _ in range(99):
        put(aws_manual, "ModelLatency", 20_000, now - 10)
    put(aws_manual, "Invocations", 10, now - 10)
    evaluate_all(now)
    assert alarm(aws_manual, "latency")["StateValue"] == "OK"
    assert alarm(aws_manual, "traffic")["StateValue"] == "OK"
    put(aws_manual, "ModelLatency", 900_000, now - 5)
    put(aws_manual, "ModelLatency", 900_000, now - 5)
    evaluate_all(now)
    assert alarm(aws_manual, "latency")["StateValue"] == "ALARM"
    assert "was less than or equal to" not in alarm(aws_manual, "traffic")["StateReason"]


def test_metric_math_error_rate_alarm_on_real_invocations(aws: boto3.Session) -> None:
    in_service_endpoint(aws, error_rate=0.5)
    events = Events(aws, ALARM_EVENTS)

    def stat(mid: str, name: str) -> dict[str, Any]:
        return {
            "Id": mid,
            "MetricStat": {
                "Metric": {"Namespace": "AWS/SageMaker", "MetricName": name, "Dimensions": DIMS},
                "Period": 60,
                "Stat": "Sum",
            },
            "ReturnData": False,
        }

    aws.client("cloudwatch").put_metric_alarm(
        AlarmName="error-rate",
        Metrics=[
            stat("errors", "Invocation5XXErrors"),
            stat("calls", "Invocations"),
            {
                "Id": "rate",
                "Expression": "FILL(errors, 0) / calls",
                "Label": "rate",
                "ReturnData": True,
            },
        ],
        EvaluationPeriods=1,
        Threshold=0.01,
        ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="notBreaching",
    )
    wait_until(lambda: alarm(aws, "error-rate")["StateValue"] == "OK")
    runtime = aws.client("sagemaker-runtime")
    for _ in range(2):
        with contextlib.suppress(runtime.exceptions.ModelError):
            runtime.invoke_endpoint(EndpointName="ep", Body="1,1", ContentType="text/csv")
    wait_until(lambda: alarm(aws, "error-rate")["StateValue"] == "ALARM", timeout=2.0)
    data = json.loads(alarm(aws, "error-rate")["StateReasonData"])
    assert data["recentDatapoints"] == [0.5]
    event = events.wait_for(lambda e: e["detail"]["state"]["value"] == "ALARM")[0]
    metrics = {m["id"]: m for m in event["detail"]["configuration"]["metrics"]}
    assert metrics["rate"] == {
        "id": "rate",
        "expression": "FILL(errors, 0) / calls",
        "label": "rate",
        "returnData": True,
    }
    assert metrics["calls"]["metricStat"]["metric"]["name"] == "Invocations"
    assert metrics["calls"]["returnData"] is False


def test_set_alarm_state_emits_event_and_put_keeps_state(aws: boto3.Session) -> None:
    events = Events(aws, ALARM_EVENTS)
    simple_alarm(aws, TreatMissingData="ignore")
    cw = aws.client("cloudwatch")
    cw.set_alarm_state(
        AlarmName="errors",
        StateValue="ALARM",
        StateReason="testing",
        StateReasonData=json.dumps({"why": "test"}),
    )
    event = events.wait_for(lambda e: True)[0]
    assert event["detail"]["state"]["value"] == "ALARM"
    assert event["detail"]["state"]["reason"] == "testing"
    assert event["detail"]["previousState"]["value"] == "INSUFFICIENT_DATA"
    simple_alarm(aws, TreatMissingData="ignore", Threshold=0.5)  # update keeps the state
    assert alarm(aws, "errors")["StateValue"] == "ALARM"
    assert alarm(aws, "errors")["Threshold"] == 0.5


def test_metric_math_expressions() -> None:
    series: dict[str, _metric_math.Series] = {"a": [1.0, None, 4.0], "b": [2.0, 2.0, 0.0]}
    assert _metric_math.evaluate("a / b", series, 3) == [0.5, None, None]
    assert _metric_math.evaluate("FILL(a, 0) * 100 + -b", series, 3) == [98.0, -2.0, 400.0]
    assert _metric_math.evaluate("(a + 1) * 2", series, 3) == [4.0, None, 10.0]
    assert _metric_math.evaluate("IF(b > 1, a, 7)", series, 3) == [1.0, None, 7.0]
    assert _metric_math.evaluate("FILL(a, REPEAT)", series, 3) == [1.0, 1.0, 4.0]
    assert _metric_math.evaluate("MAX(a, b)", series, 3) == [2.0, 2.0, 4.0]
    with pytest.raises(_metric_math.MathError):
        _metric_math.evaluate("a +", series, 3)
    with pytest.raises(_metric_math.MathError):
        _metric_math.evaluate("zzz", series, 3)
