"""CloudWatch ``GetMetricData`` with percentile statistics (``p99``, ``p50``, ``p99.9``).

AWS: a ``MetricStat`` query's ``Stat`` may be any statistic, extended percentiles included
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricStat.html,
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html);
each period with data gives one value, periods without data give none. moto 5.2 computes
no percentiles there (its value is ``None``, and the response then fails to serialize
with HTTP 500). This module answers percentile ``MetricStat`` queries itself, with the same
nearest-rank percentile the alarm evaluator uses (``cloudwatch_alarms._stat``), and leaves
every other query (Sum, Average, metric math, Metrics Insights) to moto.

Used by the deployment reports (p99 ``ModelLatency`` per variant).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from moto.cloudwatch.models import CloudWatchBackend, Dimension

from rollout_local.extensions._common import STATE_LOCK
from rollout_local.extensions._fence import replace
from rollout_local.extensions.cloudwatch_alarms import _stat

_PERCENTILE = re.compile(r"^p\d{1,2}(\.\d+)?$|^p100$")
_original_get_metric_data = CloudWatchBackend.get_metric_data


def is_percentile(stat: str) -> bool:
    return bool(_PERCENTILE.match(stat))


def _percentile_result(
    backend: CloudWatchBackend, query: dict[str, Any], start: datetime, end: datetime
) -> dict[str, Any]:
    metric_stat = query["MetricStat"]
    metric = metric_stat["Metric"]
    stat = metric_stat["Stat"]
    delta = timedelta(seconds=int(metric_stat["Period"]))
    dimensions = sorted(
        Dimension(name=d["Name"], value=d["Value"]) for d in metric.get("Dimensions", [])
    )
    unit = metric_stat.get("Unit")
    data = [
        d
        for d in backend.get_all_metrics()
        if start <= d.timestamp < end + delta
        and d.namespace == metric["Namespace"]
        and d.name == metric["MetricName"]
        and sorted(d.dimensions) == dimensions
        and (not unit or d.unit == unit)
    ]
    values: list[float] = []
    timestamps: list[datetime] = []
    window = start
    while window <= end:
        in_window = [d for d in data if window <= d.timestamp < window + delta]
        value = _stat(in_window, stat) if in_window else None
        if value is not None:
            values.append(value)
            timestamps.append(window)
        window += delta
    return {
        "id": query["Id"],
        "label": query.get("Label") or f"{metric['MetricName']} {stat}",
        "values": values,
        "timestamps": timestamps,
        "status_code": "Complete",
    }


def get_metric_data(
    self: CloudWatchBackend,
    queries: list[dict[str, Any]],
    start_time: datetime,
    end_time: datetime,
    scan_by: str = "TimestampAscending",
) -> list[dict[str, Any]]:
    mine = [
        q
        for q in queries
        if "MetricStat" in q and is_percentile(str(q["MetricStat"].get("Stat", "")))
    ]
    if not mine:
        return _original_get_metric_data(self, queries, start_time, end_time, scan_by)
    start, end = start_time.replace(microsecond=0), end_time.replace(microsecond=0)
    others = [q for q in queries if q not in mine]
    answered = (
        {r["id"]: r for r in _original_get_metric_data(self, others, start, end, scan_by)}
        if others
        else {}
    )
    with STATE_LOCK:
        for query in mine:
            if query.get("ReturnData", True):
                result = _percentile_result(self, query, start, end)
                if scan_by == "TimestampDescending":
                    result["values"].reverse()
                    result["timestamps"].reverse()
                answered[query["Id"]] = result
    return [answered[q["Id"]] for q in queries if q["Id"] in answered]


def install() -> None:
    replace(
        CloudWatchBackend,
        "get_metric_data",
        get_metric_data,
        ("self", "queries", "start_time", "end_time", "scan_by"),
    )
