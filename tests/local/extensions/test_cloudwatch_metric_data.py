"""GetMetricData with percentile statistics (moto computes none), per AWS's MetricStat."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

DIMS = [{"Name": "EndpointName", "Value": "ep"}, {"Name": "VariantName", "Value": "v0"}]


def query(stat: str, query_id: str = "q", period: int = 60) -> dict[str, Any]:
    return {
        "Id": query_id,
        "MetricStat": {
            "Metric": {
                "Namespace": "AWS/SageMaker",
                "MetricName": "ModelLatency",
                "Dimensions": DIMS,
            },
            "Period": period,
            "Stat": stat,
        },
    }


def test_percentiles_per_period_and_other_stats_left_to_moto(aws_manual: boto3.Session) -> None:
    cloudwatch = aws_manual.client("cloudwatch")
    start = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    first = [float(v) for v in range(1, 101)]  # 1..100 in the first minute
    second = [500.0, 1000.0]
    for offset, values in ((0, first), (60, second)):
        for index, value in enumerate(values):
            cloudwatch.put_metric_data(
                Namespace="AWS/SageMaker",
                MetricData=[
                    {
                        "MetricName": "ModelLatency",
                        "Dimensions": DIMS,
                        "Value": value,
                        "Timestamp": start + timedelta(seconds=offset + index * 0.5),
                    }
                ],
            )

    answer = cloudwatch.get_metric_data(
        MetricDataQueries=[query("p99", "p99"), query("p50", "p50"), query("Maximum", "max")],
        StartTime=start,
        EndTime=start + timedelta(minutes=5),
        ScanBy="TimestampAscending",
    )

    results = {r["Id"]: r for r in answer["MetricDataResults"]}
    assert [r["Id"] for r in answer["MetricDataResults"]] == ["p99", "p50", "max"]
    assert results["p99"]["Values"] == [99.0, 1000.0]  # nearest rank, one value per period
    assert results["p50"]["Values"] == [50.0, 500.0]
    assert results["max"]["Values"] == [100.0, 1000.0]  # moto's own statistic
    assert [t.replace(tzinfo=UTC) for t in results["p99"]["Timestamps"]] == [
        start,
        start + timedelta(minutes=1),
    ]
    assert results["p99"]["Label"] == "ModelLatency p99"
    assert results["p99"]["StatusCode"] == "Complete"
    # AWS's default order is TimestampDescending, for percentiles as for the rest
    default = cloudwatch.get_metric_data(
        MetricDataQueries=[query("p99", "p99"), query("Maximum", "max")],
        StartTime=start,
        EndTime=start + timedelta(minutes=5),
    )["MetricDataResults"]
    assert [r["Values"] for r in default] == [[1000.0, 99.0], [1000.0, 100.0]]


def test_a_period_without_data_has_no_value(aws_manual: boto3.Session) -> None:
    cloudwatch = aws_manual.client("cloudwatch")
    start = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    answer = cloudwatch.get_metric_data(
        MetricDataQueries=[query("p99.9")], StartTime=start, EndTime=start + timedelta(minutes=2)
    )
    assert answer["MetricDataResults"][0]["Values"] == []
