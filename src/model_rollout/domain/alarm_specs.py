"""The alarms that watch a deployment's bake, and the cause a person reads when one fires.

Per deployment, two alarms scoped to the new variant (namespace ``AWS/SageMaker``,
dimensions ``EndpointName`` + ``VariantName``):

- error rate, by metric math ``m5xx / m_inv`` over ``Invocation5XXErrors`` and
  ``Invocations`` (both ``Sum``) against ``max_error_rate``;
- p99 ``ModelLatency`` against ``max_p99_latency_ms`` (ModelLatency is reported in
  MICROseconds; the policy speaks milliseconds).

Plus the policy's ``extra_alarm_names``: watched, never created nor deleted.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from model_rollout.domain.deployment import Deployment
from model_rollout.domain.lineage import TAG_DEPLOYMENT_ID, TAG_ENDPOINT_NAME
from model_rollout.domain.policy import AlarmPolicy
from model_rollout.errors import DeploymentFailed

NAMESPACE = "AWS/SageMaker"
ERROR_RATE = "error-rate"
P99_LATENCY = "p99-latency"
MAX_ALARM_NAME = 255
ERROR_RATE_LABEL = "error rate"
MICROSECOND_METRICS = frozenset({"ModelLatency", "OverheadLatency"})

OPERATORS = {
    "GreaterThanThreshold": ">",
    "GreaterThanOrEqualToThreshold": ">=",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "<=",
}


def short_id(deployment_id: str) -> str:
    """8 hex characters that tell one deployment's alarms from another's."""
    return hashlib.sha256(deployment_id.encode()).hexdigest()[:8]


def alarm_name(resource_prefix: str, endpoint_name: str, deployment_id: str, kind: str) -> str:
    """``<prefix>-<endpoint>-<shortid>-<kind>``, at most 255 characters."""
    tail = f"-{short_id(deployment_id)}-{kind}"
    head = f"{resource_prefix}-{endpoint_name}"[: MAX_ALARM_NAME - len(tail)]
    return head + tail


def created_alarm_names(deployment: Deployment, resource_prefix: str) -> list[str]:
    """The alarms this deployment creates (and deletes when it ends)."""
    return [
        alarm_name(resource_prefix, deployment.endpoint_name, deployment.deployment_id, kind)
        for kind in (ERROR_RATE, P99_LATENCY)
    ]


def watched_alarm_names(deployment: Deployment, resource_prefix: str) -> list[str]:
    """Created alarms plus the policy's extra alarms (watched only)."""
    names = created_alarm_names(deployment, resource_prefix)
    names += deployment.policy.alarms.extra_alarm_names
    return list(dict.fromkeys(names))


def alarm_specs(deployment: Deployment, resource_prefix: str) -> list[dict[str, Any]]:
    """PutMetricAlarm requests of the deployment's alarms, scoped to the new variant."""
    if deployment.release is None:
        raise DeploymentFailed(
            f"deployment {deployment.deployment_id} has no release: alarms need the new variant"
        )
    policy: AlarmPolicy = deployment.policy.alarms
    endpoint = deployment.endpoint_name
    variant = deployment.release.variant_name
    dimensions = [
        {"Name": "EndpointName", "Value": endpoint},
        {"Name": "VariantName", "Value": variant},
    ]
    error_name, latency_name = created_alarm_names(deployment, resource_prefix)
    common: dict[str, Any] = {
        "EvaluationPeriods": policy.evaluation_periods,
        "DatapointsToAlarm": policy.evaluation_periods,
        "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": policy.treat_missing_data,
        "Tags": [
            {"Key": TAG_DEPLOYMENT_ID, "Value": deployment.deployment_id},
            {"Key": TAG_ENDPOINT_NAME, "Value": endpoint},
        ],
    }

    def metric(metric_id: str, metric_name: str) -> dict[str, Any]:
        return {
            "Id": metric_id,
            "MetricStat": {
                "Metric": {
                    "Namespace": NAMESPACE,
                    "MetricName": metric_name,
                    "Dimensions": dimensions,
                },
                "Period": policy.period_seconds,
                "Stat": "Sum",
            },
            "ReturnData": False,
        }

    error_rate = {
        "AlarmName": error_name,
        "AlarmDescription": (
            f"model-rollout {deployment.deployment_id}: 5XX error rate of variant {variant} "
            f"on endpoint {endpoint} above {policy.max_error_rate:g} "
            f"({policy.evaluation_periods} x {policy.period_seconds}s). ALARM rolls back."
        ),
        "Metrics": [
            metric("m5xx", "Invocation5XXErrors"),
            metric("m_inv", "Invocations"),
            {
                "Id": "error_rate",
                "Expression": "m5xx / m_inv",
                "Label": ERROR_RATE_LABEL,
                "ReturnData": True,
            },
        ],
        "Threshold": float(policy.max_error_rate),
        **common,
    }
    latency = {
        "AlarmName": latency_name,
        "AlarmDescription": (
            f"model-rollout {deployment.deployment_id}: p99 ModelLatency of variant {variant} "
            f"on endpoint {endpoint} above {policy.max_p99_latency_ms:g} ms "
            f"({policy.evaluation_periods} x {policy.period_seconds}s). ALARM rolls back."
        ),
        "Namespace": NAMESPACE,
        "MetricName": "ModelLatency",
        "Dimensions": dimensions,
        "ExtendedStatistic": "p99",
        "Period": policy.period_seconds,
        "Threshold": float(policy.max_p99_latency_ms) * 1000.0,  # ms → µs
        **common,
    }
    return [error_rate, latency]


# ---------------------------------------------------------------------- causes


@dataclass(frozen=True)
class Breach:
    """Why an alarm is in ALARM, in the terms a person acts on."""

    alarm_name: str
    metric: str | None
    value: float | None
    threshold: float | None
    operator: str
    reason: str

    def cause(self) -> str:
        head = f"alarm {self.alarm_name} entered ALARM"
        reason = f" ({self.reason})" if self.reason else ""
        if self.metric is None or self.value is None or self.threshold is None:
            subject = f": {self.metric}" if self.metric else ""
            return f"{head}{subject}{reason}"
        return (
            f"{head}: {self.metric} {self._num(self.value)} {self.operator} threshold "
            f"{self._num(self.threshold)}{reason}"
        )

    def _num(self, value: float) -> str:
        base_metric = (self.metric or "").split(" ")[0]
        if base_metric in MICROSECOND_METRICS:
            return f"{value / 1000.0:.6g} ms"
        return f"{value:.6g}"


def _reason_data(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    if isinstance(raw, str) and raw.strip():
        try:
            parsed = json.loads(raw)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return {}


def _operator(comparison: str | None, reason: str) -> str:
    if comparison in OPERATORS:
        return OPERATORS[comparison]
    text = reason.lower()
    if "greater than or equal" in text:
        return ">="
    if "less than or equal" in text:
        return "<="
    if "less than" in text:
        return "<"
    return ">"


def _value(data: dict[str, Any], operator: str) -> float | None:
    points = [float(p) for p in data.get("recentDatapoints") or [] if p is not None]
    if not points:
        points = [float(p["value"]) for p in data.get("evaluatedDatapoints") or [] if "value" in p]
    if not points:
        return None
    return min(points) if operator.startswith("<") else max(points)


def _threshold(data: dict[str, Any], fallback: Any) -> float | None:
    value = data.get("threshold", fallback)
    return float(value) if value is not None else None


def _event_metric(configuration: dict[str, Any]) -> str | None:
    metrics = configuration.get("metrics") or []
    returned = [m for m in metrics if m.get("returnData", True)] or metrics
    if not returned:
        return None
    chosen = returned[0]
    if "expression" in chosen:
        return str(chosen.get("label") or chosen["expression"])
    stat = chosen.get("metricStat", {})
    name = stat.get("metric", {}).get("name")
    return f"{name} {stat['stat']}" if name and stat.get("stat") else name


def breach_from_event(detail: dict[str, Any]) -> Breach:
    """From the ``detail`` of a "CloudWatch Alarm State Change" event."""
    state = detail.get("state") or {}
    reason = str(state.get("reason") or "")
    data = _reason_data(state.get("reasonData"))
    operator = _operator(None, reason)
    return Breach(
        alarm_name=str(detail.get("alarmName")),
        metric=_event_metric(detail.get("configuration") or {}),
        value=_value(data, operator),
        threshold=_threshold(data, None),
        operator=operator,
        reason=reason,
    )


def _described_metric(alarm: dict[str, Any]) -> str | None:
    if alarm.get("MetricName"):
        stat = alarm.get("ExtendedStatistic") or alarm.get("Statistic")
        return f"{alarm['MetricName']} {stat}" if stat else str(alarm["MetricName"])
    metrics = alarm.get("Metrics") or []
    returned = [m for m in metrics if m.get("ReturnData", True)] or metrics
    if not returned:
        return None
    chosen = returned[0]
    if "Expression" in chosen:
        return str(chosen.get("Label") or chosen["Expression"])
    stat = chosen.get("MetricStat", {})
    name = stat.get("Metric", {}).get("MetricName")
    return f"{name} {stat['Stat']}" if name and stat.get("Stat") else name


def breach_from_alarm(alarm: dict[str, Any]) -> Breach:
    """From a DescribeAlarms ``MetricAlarms``/``CompositeAlarms`` entry in ALARM."""
    reason = str(alarm.get("StateReason") or "")
    data = _reason_data(alarm.get("StateReasonData"))
    operator = _operator(alarm.get("ComparisonOperator"), reason)
    return Breach(
        alarm_name=str(alarm.get("AlarmName")),
        metric=_described_metric(alarm),
        value=_value(data, operator),
        threshold=_threshold(data, alarm.get("Threshold")),
        operator=operator,
        reason=reason,
    )
