"""CloudWatch metric alarms that are evaluated, and their EventBridge events.

moto stores alarms but never evaluates them. This module adds, after the CloudWatch user
guide ("Using Amazon CloudWatch alarms", "Configuring how CloudWatch alarms treat missing
data", "Alarm events and EventBridge") and the ``PutMetricAlarm`` API reference:

- A background evaluator (``start``/``stop``; every ``ROLLOUT_LOCAL_ALARM_TICK`` seconds,
  default 0.25, and at once when metric data arrives) over every metric alarm in moto's
  CloudWatch backends. An alarm looks at its last ``EvaluationPeriods`` windows of
  ``Period`` seconds ending now (sliding, so a breach is seen within one tick):
  - simple alarms: ``Namespace``/``MetricName``/``Dimensions`` (the exact dimension set)
    with ``Statistic`` (Average, Sum, Minimum, Maximum, SampleCount) or
    ``ExtendedStatistic`` (``pNN``), ``Unit`` when given;
  - metric-math alarms: ``Metrics`` with ``MetricStat`` and ``Expression`` entries (see
    ``_metric_math``); the entry with ``ReturnData`` true is the alarm's series.
  ``DatapointsToAlarm`` (M, default ``EvaluationPeriods`` N) of the N datapoints must
  breach to go to ``ALARM``. Every ``ComparisonOperator`` of the API is supported; the
  anomaly-band ones take the band from the ``ThresholdMetricId`` expression, which may be
  ``ANOMALY_DETECTION_BAND(m, k)`` (approximated locally as mean ± k·stddev of the
  metric over the evaluated windows).
  ``TreatMissingData``: ``missing`` (default: all missing → ``INSUFFICIENT_DATA``; with
  fewer present datapoints than M the alarm fires only if all present ones breach),
  ``notBreaching``/``breaching`` (missing datapoints count as good/bad), ``ignore`` (the
  state is kept when the present datapoints cannot decide it).
- On a state change the alarm is updated in moto (``StateValue``, ``StateReason`` in
  AWS's wording, ``StateReasonData`` JSON with ``recentDatapoints`` and ``threshold``,
  ``StateUpdatedTimestamp``) and ``CloudWatch Alarm State Change`` (source
  ``aws.cloudwatch``) is emitted with ``alarmName``, ``state``, ``previousState`` and
  ``configuration`` (``metrics``, ``description``), resources ``[alarm ARN]``.
- ``SetAlarmState`` emits the same event when it changes the state.
- New alarms start in ``INSUFFICIENT_DATA`` ("Unchecked: Initial alarm creation");
  ``PutMetricAlarm`` on an existing alarm keeps its state (the API reference: "When you
  update an existing alarm, its state is left unchanged").

Composite alarms are stored by moto but not evaluated.
"""

from __future__ import annotations

import hashlib
import json
import math
import statistics
import threading
import time
import uuid
import weakref
from bisect import bisect_right, insort
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from moto.cloudwatch.models import (
    Alarm,
    CloudWatchBackend,
    MetricAggregatedDatum,
    MetricDatum,
    MetricDatumBase,
    cloudwatch_backends,
)

from rollout_local.extensions import _metric_math, bus
from rollout_local.extensions._common import STATE_LOCK, env_seconds, log
from rollout_local.extensions._fence import replace

TICK_ENV = "ROLLOUT_LOCAL_ALARM_TICK"
DETAIL_TYPE = "CloudWatch Alarm State Change"
_MIN_GAP = 0.02  # seconds between two evaluations when data keeps arriving

_OPERATORS = {
    "GreaterThanThreshold": "greater than",
    "GreaterThanOrEqualToThreshold": "greater than or equal to",
    "LessThanThreshold": "less than",
    "LessThanOrEqualToThreshold": "less than or equal to",
    "LessThanLowerOrGreaterThanUpperThreshold": "outside the band",
    "LessThanLowerThreshold": "less than the lower band",
    "GreaterThanUpperThreshold": "greater than the upper band",
}

_wake = threading.Event()


# --- metric data, indexed once per backend -------------------------------------------------

SeriesKey = tuple[str, str, frozenset[tuple[str, str]]]


@dataclass
class _Index:
    source: list[MetricDatumBase]
    cursor: int = 0
    series: dict[SeriesKey, list[tuple[float, int, MetricDatumBase]]] = field(default_factory=dict)


_indexes: weakref.WeakKeyDictionary[CloudWatchBackend, _Index] = weakref.WeakKeyDictionary()


def _epoch(value: datetime) -> float:
    return (value.replace(tzinfo=UTC) if value.tzinfo is None else value).timestamp()


def _index(backend: CloudWatchBackend) -> _Index:
    idx = _indexes.get(backend)
    data = backend.metric_data
    if idx is None or idx.source is not data or len(data) < idx.cursor:
        idx = _Index(source=data)
        _indexes[backend] = idx
    end = len(data)
    for position in range(idx.cursor, end):
        datum = data[position]
        key = (
            datum.namespace,
            datum.name,
            frozenset((d.name or "", d.value or "") for d in datum.dimensions),
        )
        insort(idx.series.setdefault(key, []), (_epoch(datum.timestamp), position, datum))
    idx.cursor = end
    return idx


def _stat(data: list[MetricDatumBase], stat: str) -> float | None:
    singles = [d.value for d in data if isinstance(d, MetricDatum)]
    aggs = [d for d in data if isinstance(d, MetricAggregatedDatum)]
    count = len(singles) + sum(a.sample_count for a in aggs)
    if count == 0:
        return None
    if stat == "SampleCount":
        return float(count)
    total = sum(singles) + sum(a.sum for a in aggs)
    if stat == "Sum":
        return float(total)
    if stat == "Average":
        return float(total / count)
    if stat == "Minimum":
        return float(min(singles + [a.min for a in aggs]))
    if stat == "Maximum":
        return float(max(singles + [a.max for a in aggs]))
    if stat.lower().startswith("p"):
        values = sorted(singles) or sorted(a.max for a in aggs)
        pct = float(stat[1:])
        rank = max(1, math.ceil(pct / 100.0 * len(values)))
        return float(values[min(rank, len(values)) - 1])
    raise ValueError(f"unsupported statistic {stat!r}")


def _windows(now: float, period: int, count: int) -> list[tuple[float, float]]:
    return [(now - (count - i) * period, now - (count - i - 1) * period) for i in range(count)]


def _series(
    idx: _Index,
    namespace: str,
    name: str,
    dimensions: list[tuple[str, str]],
    stat: str,
    unit: str | None,
    windows: list[tuple[float, float]],
) -> _metric_math.Series:
    points = idx.series.get((namespace, name, frozenset(dimensions)), [])
    out: _metric_math.Series = []
    for start, end in windows:
        lo = bisect_right(points, start, key=lambda p: p[0])
        hi = bisect_right(points, end, key=lambda p: p[0])
        selected = [d for _, _, d in points[lo:hi] if unit is None or d.unit == unit]
        out.append(_stat(selected, stat))
    return out


# --- evaluation --------------------------------------------------------------------------


@dataclass
class Outcome:
    state: str
    reason: str
    reason_data: dict[str, Any]


def _breaches(op: str, value: float, threshold: float, band: tuple[float, float] | None) -> bool:
    if op == "GreaterThanThreshold":
        return value > threshold
    if op == "GreaterThanOrEqualToThreshold":
        return value >= threshold
    if op == "LessThanThreshold":
        return value < threshold
    if op == "LessThanOrEqualToThreshold":
        return value <= threshold
    if band is None:
        raise ValueError(f"{op} needs ThresholdMetricId")
    lower, upper = band
    if op == "LessThanLowerOrGreaterThanUpperThreshold":
        return value < lower or value > upper
    if op == "LessThanLowerThreshold":
        return value < lower
    if op == "GreaterThanUpperThreshold":
        return value > upper
    raise ValueError(f"unsupported ComparisonOperator {op!r}")


def _fmt_time(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%d/%m/%y %H:%M:%S")


def _iso_millis(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _alarm_inputs(
    alarm: Alarm, idx: _Index, now: float
) -> tuple[_metric_math.Series, list[tuple[float, float]], int, tuple[float, float] | None]:
    """The alarm's datapoints (oldest first), its windows, its period, and a band if any."""
    n = int(alarm.evaluation_periods or 1)
    if not alarm.metric_data_queries:
        period = int(alarm.period or 60)
        windows = _windows(now, period, n)
        stat = alarm.extended_statistic or alarm.statistic or "Average"
        dims = [(d.name or "", d.value or "") for d in alarm.dimensions]
        values = _series(idx, alarm.namespace, alarm.metric_name, dims, stat, alarm.unit, windows)
        return values, windows, period, None
    queries = alarm.metric_data_queries
    period = next(
        (int(q.metric_stat.period) for q in queries if q.metric_stat and q.metric_stat.period),
        int(alarm.period or 60),
    )
    windows = _windows(now, period, n)
    series: dict[str, _metric_math.Series] = {}
    for q in queries:
        if q.metric_stat is not None:
            metric = q.metric_stat.metric
            dims = [(d.name or "", d.value or "") for d in metric.dimensions]
            series[q.id] = _series(
                idx,
                metric.namespace,
                metric.metric_name,
                dims,
                q.metric_stat.stat,
                q.metric_stat.unit,
                windows,
            )
    band: tuple[float, float] | None = None
    pending = [q for q in queries if q.metric_stat is None and q.expression]
    for _ in range(len(pending) + 1):  # expressions may refer to each other, in any order
        for q in list(pending):
            expr = q.expression or ""
            if q.id == alarm.threshold_metric_id and expr.upper().startswith(
                "ANOMALY_DETECTION_BAND"
            ):
                band = _band(expr, series, n)
                pending.remove(q)
                continue
            try:
                series[q.id] = _metric_math.evaluate(expr, series, n)
                pending.remove(q)
            except _metric_math.MathError:
                continue
    if pending:
        raise _metric_math.MathError(
            f"cannot evaluate metric math of alarm {alarm.name}: "
            + ", ".join(q.expression or "" for q in pending)
        )
    returned = [q for q in queries if q.return_data in (True, "true", "True")]
    chosen = returned[0] if returned else queries[-1]
    if chosen.id not in series:
        raise _metric_math.MathError(f"alarm {alarm.name} returns no series")
    return series[chosen.id], windows, period, band


def _band(expr: str, series: dict[str, _metric_math.Series], n: int) -> tuple[float, float] | None:
    inner = expr[expr.index("(") + 1 : expr.rindex(")")]
    parts = [p.strip() for p in inner.split(",")]
    values = [v for v in _metric_math.evaluate(parts[0], series, n) if v is not None]
    width = float(parts[1]) if len(parts) > 1 else 2.0
    if not values:
        return None
    mean = statistics.fmean(values)
    spread = statistics.pstdev(values) if len(values) > 1 else 0.0
    return mean - width * spread, mean + width * spread


def evaluate_alarm(alarm: Alarm, idx: _Index, now: float) -> Outcome | None:
    """The state the alarm should be in now (None: keep the current one)."""
    values, windows, period, band = _alarm_inputs(alarm, idx, now)
    n = len(values)
    m = int(alarm.datapoints_to_alarm or n)
    op = alarm.comparison_operator
    threshold = float(alarm.threshold if alarm.threshold is not None else 0.0)
    treat = alarm.treat_missing_data or "missing"
    present = [(w, v) for w, v in zip(windows, values, strict=True) if v is not None]
    breaching = [(w, v) for w, v in present if _breaches(op, v, threshold, band)]
    good = [(w, v) for w, v in present if not _breaches(op, v, threshold, band)]
    missing = n - len(present)

    data: dict[str, Any] = {
        "version": "1.0",
        "queryDate": _iso_millis(now),
        "startDate": _iso_millis(windows[0][0]),
    }
    if not alarm.metric_data_queries:
        data["statistic"] = alarm.statistic or alarm.extended_statistic
        if alarm.unit:
            data["unit"] = alarm.unit
    data["period"] = period
    data["recentDatapoints"] = [v for _, v in reversed(present)]
    data["threshold"] = threshold
    data["evaluatedDatapoints"] = [
        {"timestamp": _iso_millis(w[0]), "value": v} for w, v in reversed(present)
    ]

    if treat == "breaching":
        bad_count = len(breaching) + missing
        state = "ALARM" if bad_count >= m else "OK"
    elif treat == "notBreaching":
        state = "ALARM" if len(breaching) >= m else "OK"
    else:  # missing / ignore
        if not present:
            if treat == "ignore":
                return None
            reason = (
                f"Insufficient Data: {_plural(n, 'datapoint')} "
                f"{'was' if n == 1 else 'were'} unknown."
            )
            return Outcome("INSUFFICIENT_DATA", reason, data)
        need = min(m, len(present))
        if len(breaching) >= need:
            state = "ALARM"
        elif treat == "ignore" and len(present) < m and breaching:
            return None
        else:
            state = "OK"

    if not present:
        label = "Breaching" if state == "ALARM" else "NonBreaching"
        reason = (
            f"Threshold Crossed: no datapoints were received for {_plural(n, 'period')} and "
            f"{_plural(missing, 'missing datapoint')} {'was' if missing == 1 else 'were'} "
            f"treated as [{label}]."
        )
        return Outcome(state, reason, data)
    previous = alarm.state_value
    listed = breaching if state == "ALARM" else good
    listed = list(reversed(listed))  # newest first, as AWS lists them
    points = ", ".join(f"{v!r} ({_fmt_time(w[0])})" for w, v in listed)
    verb = "was" if len(listed) == 1 else "were"
    negation = "" if state == "ALARM" else "not "
    minimum = m if state == "ALARM" else max(1, n - m + 1)
    if band is not None:
        bound = f"the band ({band[0]!r}, {band[1]!r})"
        relation = "outside" if state == "ALARM" else "not outside"
        crossing = f"{verb} {relation} {bound}"
    else:
        crossing = f"{verb} {negation}{_OPERATORS.get(op, op)} the threshold ({threshold!r})"
    reason = (
        f"Threshold Crossed: {len(listed)} out of the last {n} datapoints [{points}] "
        f"{crossing} (minimum {_plural(minimum, 'datapoint')} for {previous} -> {state} "
        "transition)."
    )
    return Outcome(state, reason, data)


# --- events ------------------------------------------------------------------------------


def _metric_config(alarm: Alarm) -> list[dict[str, Any]]:
    if not alarm.metric_data_queries:
        stable_id = str(uuid.UUID(hashlib.md5(alarm.alarm_arn.encode()).hexdigest()))
        stat: dict[str, Any] = {
            "metric": {
                "dimensions": {d.name: d.value for d in alarm.dimensions},
                "name": alarm.metric_name,
                "namespace": alarm.namespace,
            },
            "period": int(alarm.period or 60),
            "stat": alarm.statistic or alarm.extended_statistic,
        }
        if alarm.unit:
            stat["unit"] = alarm.unit
        return [{"id": stable_id, "metricStat": stat, "returnData": True}]
    out = []
    for q in alarm.metric_data_queries:
        entry: dict[str, Any] = {"id": q.id}
        if q.expression:
            entry["expression"] = q.expression
        if q.label:
            entry["label"] = q.label
        if q.metric_stat is not None:
            metric = q.metric_stat.metric
            entry["metricStat"] = {
                "metric": {
                    "dimensions": {d.name: d.value for d in metric.dimensions},
                    "name": metric.metric_name,
                    "namespace": metric.namespace,
                },
                "period": int(q.metric_stat.period or 60),
                "stat": q.metric_stat.stat,
            }
            if q.metric_stat.unit:
                entry["metricStat"]["unit"] = q.metric_stat.unit
        entry["returnData"] = q.return_data in (True, "true", "True")
        out.append(entry)
    return out


def _state_dict(value: str, reason: str, reason_data: str, when: datetime) -> dict[str, Any]:
    out = {
        "value": value,
        "reason": reason,
        "timestamp": _iso_millis(_epoch(when)),
    }
    if reason_data and reason_data != "{}":
        out["reasonData"] = reason_data
    return out


def _change(alarm: Alarm, state: str, reason: str, reason_data: str) -> dict[str, Any] | None:
    """Apply a state change to the moto alarm; return the event to emit (or None)."""
    if state == alarm.state_value:
        return None
    previous = _state_dict(
        alarm.state_value,
        alarm.state_reason,
        alarm.state_reason_data,
        alarm.state_updated_timestamp,
    )
    alarm.update_state(reason, reason_data, state)
    detail: dict[str, Any] = {
        "alarmName": alarm.name,
        "state": _state_dict(state, reason, reason_data, alarm.state_updated_timestamp),
        "previousState": previous,
        "configuration": {"metrics": _metric_config(alarm)},
    }
    if alarm.description:
        detail["configuration"]["description"] = alarm.description
    return {"detail": detail, "resources": [alarm.alarm_arn]}


def _emit(account_id: str, region: str, event: dict[str, Any]) -> None:
    bus.put_event(
        source="aws.cloudwatch",
        detail_type=DETAIL_TYPE,
        detail=event["detail"],
        resources=event["resources"],
        account_id=account_id,
        region=region,
    )


def evaluate_backend(backend: CloudWatchBackend, now: float | None = None) -> int:
    """Evaluate every metric alarm of one backend; returns the number of state changes."""
    now = time.time() if now is None else now
    events = []
    with STATE_LOCK:
        idx = _index(backend)
        for alarm in list(backend.alarms.values()):
            if alarm.rule is not None:
                continue  # composite alarm
            try:
                outcome = evaluate_alarm(alarm, idx, now)
            except Exception as exc:
                log.warning("cannot evaluate alarm %s: %s", alarm.name, exc)
                continue
            if outcome is None:
                continue
            event = _change(alarm, outcome.state, outcome.reason, json.dumps(outcome.reason_data))
            if event is not None:
                events.append(event)
    for event in events:
        _emit(backend.account_id, backend.region_name, event)
    return len(events)


def evaluate_all(now: float | None = None) -> int:
    """Evaluate the alarms of every account and region once."""
    changes = 0
    for account_id in list(cloudwatch_backends.keys()):
        regions = cloudwatch_backends[account_id]
        for region in list(regions.keys()):
            changes += evaluate_backend(regions[region], now)
    return changes


# --- the evaluator thread ------------------------------------------------------------------


class Evaluator:
    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="alarm-evaluator", daemon=True)

    def start(self) -> Evaluator:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            _wake.wait(env_seconds(TICK_ENV, 0.25))
            _wake.clear()
            if self._stop.is_set():
                break
            try:
                evaluate_all()
            except Exception:
                log.exception("alarm evaluation failed")
            self._stop.wait(_MIN_GAP)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        _wake.set()
        self._thread.join(timeout)


def wake() -> None:
    """Ask the evaluator to run now (new data or a new alarm)."""
    _wake.set()


# --- the patched backend operations --------------------------------------------------------

_moto_put_metric_alarm = CloudWatchBackend.put_metric_alarm
_moto_put_metric_data = CloudWatchBackend.put_metric_data
_moto_set_alarm_state = CloudWatchBackend.set_alarm_state


def put_metric_alarm(self: CloudWatchBackend, *args: Any, **kwargs: Any) -> Alarm:
    with STATE_LOCK:
        name = kwargs.get("name", args[0] if args else None)
        before = self.alarms.get(name) if name is not None else None
        alarm = _moto_put_metric_alarm(self, *args, **kwargs)
        if before is not None:
            alarm.state_value = before.state_value
            alarm.state_reason = before.state_reason
            alarm.state_reason_data = before.state_reason_data
            alarm.state_updated_timestamp = before.state_updated_timestamp
            alarm.history = before.history
        else:
            alarm.state_value = "INSUFFICIENT_DATA"
            alarm.state_reason = "Unchecked: Initial alarm creation"
    wake()
    return alarm


def put_metric_data(self: CloudWatchBackend, *args: Any, **kwargs: Any) -> None:
    _moto_put_metric_data(self, *args, **kwargs)
    wake()


def set_alarm_state(
    self: CloudWatchBackend, alarm_name: str, reason: str, reason_data: str, state_value: str
) -> None:
    with STATE_LOCK:
        alarm = self.alarms.get(alarm_name)
        before = None
        if alarm is not None:
            before = (
                alarm.state_value,
                alarm.state_reason,
                alarm.state_reason_data,
                alarm.state_updated_timestamp,
            )
        _moto_set_alarm_state(self, alarm_name, reason, reason_data, state_value)
        event: dict[str, Any] | None = None
        if alarm is not None and before is not None and before[0] != state_value:
            event = {
                "detail": {
                    "alarmName": alarm.name,
                    "state": _state_dict(
                        state_value, reason, reason_data or "", alarm.state_updated_timestamp
                    ),
                    "previousState": _state_dict(*before),
                    "configuration": {"metrics": _metric_config(alarm)},
                },
                "resources": [alarm.alarm_arn],
            }
            if alarm.description:
                event["detail"]["configuration"]["description"] = alarm.description
    if event is not None:
        _emit(self.account_id, self.region_name, event)


#: the parameters of moto's CloudWatchBackend.put_metric_alarm that the patch expects
_PUT_METRIC_ALARM_PARAMS = (
    "self",
    "name",
    "namespace",
    "metric_name",
    "comparison_operator",
    "evaluation_periods",
    "period",
    "threshold",
    "statistic",
    "description",
    "dimensions",
    "alarm_actions",
    "metric_data_queries",
    "datapoints_to_alarm",
    "extended_statistic",
    "ok_actions",
    "insufficient_data_actions",
    "unit",
    "actions_enabled",
    "treat_missing_data",
    "evaluate_low_sample_count_percentile",
    "threshold_metric_id",
    "rule",
    "tags",
)


def install() -> None:
    replace(CloudWatchBackend, "put_metric_alarm", put_metric_alarm, _PUT_METRIC_ALARM_PARAMS)
    replace(
        CloudWatchBackend, "put_metric_data", put_metric_data, ("self", "namespace", "metric_data")
    )
    replace(
        CloudWatchBackend,
        "set_alarm_state",
        set_alarm_state,
        ("self", "alarm_name", "reason", "reason_data", "state_value"),
    )


def start() -> Evaluator:
    return Evaluator().start()
