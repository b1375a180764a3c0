"""The bake's alarms: scope, math, thresholds and units, names; the cause of a rollback."""

from __future__ import annotations

from tests.helpers.rollout_steps import deployment_document, event

from model_rollout.domain.alarm_specs import (
    alarm_name,
    alarm_specs,
    breach_from_alarm,
    breach_from_event,
    created_alarm_names,
    short_id,
    watched_alarm_names,
)
from model_rollout.domain.deployment import Deployment

POLICY = {
    "endpoint_name": "churn-prod",
    "alarms": {
        "max_error_rate": 0.02,
        "max_p99_latency_ms": 250,
        "period_seconds": 120,
        "evaluation_periods": 3,
        "extra_alarm_names": ["churn-business-kpi"],
    },
}


def _deployment() -> Deployment:
    return Deployment.model_validate(deployment_document(policy=POLICY))


def test_error_rate_alarm_is_metric_math_on_the_new_variant() -> None:
    error_rate, _ = alarm_specs(_deployment(), "model-rollout")
    metrics = {m["Id"]: m for m in error_rate["Metrics"]}
    assert metrics["error_rate"]["Expression"] == "m5xx / m_inv"
    assert metrics["error_rate"]["ReturnData"] is True
    for metric_id, name in (("m5xx", "Invocation5XXErrors"), ("m_inv", "Invocations")):
        stat = metrics[metric_id]["MetricStat"]
        assert stat["Metric"]["MetricName"] == name
        assert stat["Metric"]["Namespace"] == "AWS/SageMaker"
        assert stat["Metric"]["Dimensions"] == [
            {"Name": "EndpointName", "Value": "churn-prod"},
            {"Name": "VariantName", "Value": "v7-aaaa1111"},
        ]
        assert stat["Stat"] == "Sum"
        assert stat["Period"] == 120
        assert metrics[metric_id]["ReturnData"] is False
    assert error_rate["Threshold"] == 0.02
    assert error_rate["ComparisonOperator"] == "GreaterThanThreshold"
    assert error_rate["EvaluationPeriods"] == 3
    assert error_rate["DatapointsToAlarm"] == 3
    assert error_rate["TreatMissingData"] == "notBreaching"


def test_latency_alarm_converts_milliseconds_to_microseconds() -> None:
    _, latency = alarm_specs(_deployment(), "model-rollout")
    assert latency["MetricName"] == "ModelLatency"
    assert latency["ExtendedStatistic"] == "p99"
    assert "Statistic" not in latency
    assert latency["Threshold"] == 250_000.0  # 250 ms in µs
    assert latency["Period"] == 120
    assert {d["Name"]: d["Value"] for d in latency["Dimensions"]} == {
        "EndpointName": "churn-prod",
        "VariantName": "v7-aaaa1111",
    }


def test_names_tags_and_watched_set() -> None:
    deployment = _deployment()
    sid = short_id(deployment.deployment_id)
    assert created_alarm_names(deployment, "model-rollout") == [
        f"model-rollout-churn-prod-{sid}-error-rate",
        f"model-rollout-churn-prod-{sid}-p99-latency",
    ]
    assert watched_alarm_names(deployment, "model-rollout")[-1] == "churn-business-kpi"
    for spec in alarm_specs(deployment, "model-rollout"):
        assert {"Key": "rollout:deployment-id", "Value": deployment.deployment_id} in spec["Tags"]


def test_names_fit_cloudwatch() -> None:
    name = alarm_name("p" * 200, "e" * 63, "d", "p99-latency")
    assert len(name) <= 255
    assert name.endswith(f"-{short_id('d')}-p99-latency")


def test_cause_from_a_real_shaped_alarm_state_change_event() -> None:
    detail = event("alarm-state-change.alarm.json")["detail"]
    cause = breach_from_event(detail).cause()
    assert cause.startswith(
        "alarm model-rollout-churn-prod-3f2a9c1e-error-rate entered ALARM: "
        "error rate 0.0532 > threshold 0.01 (Threshold Crossed"
    )


def test_cause_without_reason_data() -> None:
    detail = {"alarmName": "kpi", "state": {"value": "ALARM", "reason": "manual"}}
    assert breach_from_event(detail).cause() == "alarm kpi entered ALARM (manual)"


def test_cause_from_describe_alarms_of_the_latency_alarm_in_milliseconds() -> None:
    alarm = {
        "AlarmName": "a-p99-latency",
        "MetricName": "ModelLatency",
        "ExtendedStatistic": "p99",
        "Threshold": 500_000.0,
        "ComparisonOperator": "GreaterThanThreshold",
        "StateValue": "ALARM",
        "StateReason": "Threshold Crossed: 1 datapoint [812000.0] was greater than the threshold",
        "StateReasonData": '{"recentDatapoints": [812000.0], "threshold": 500000.0}',
    }
    assert (
        breach_from_alarm(alarm)
        .cause()
        .startswith("alarm a-p99-latency entered ALARM: ModelLatency p99 812 ms > threshold 500 ms")
    )
