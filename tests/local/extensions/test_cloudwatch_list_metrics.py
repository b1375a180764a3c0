"""ListMetrics lists each metric (namespace, name, dimension set) once, as CloudWatch does."""

from __future__ import annotations

from typing import Any

import boto3


def put(cloudwatch: Any, name: str, dimensions: list[dict[str, str]], value: float) -> None:
    cloudwatch.put_metric_data(
        Namespace="ModelRollout",
        MetricData=[{"MetricName": name, "Dimensions": dimensions, "Value": value}],
    )


def listed(cloudwatch: Any, **filters: Any) -> list[tuple[str, list[tuple[str, str]]]]:
    metrics = []
    for page in cloudwatch.get_paginator("list_metrics").paginate(**filters):
        for metric in page["Metrics"]:
            dims = sorted((d["Name"], d["Value"]) for d in metric.get("Dimensions", []))
            metrics.append((metric["MetricName"], dims))
    return sorted(metrics)


def test_a_metric_is_listed_once_however_many_datapoints_it_has(aws_manual: boto3.Session) -> None:
    cloudwatch = aws_manual.client("cloudwatch")
    service = [{"Name": "service", "Value": "model-rollout"}]
    for value in (1.0, 2.0, 3.0):
        put(cloudwatch, "RollbacksFailed", service, value)
        put(cloudwatch, "Dimensionless", [], value)
        # the same dimension set in another order is the same metric
        put(
            cloudwatch,
            "EndpointChanges",
            [{"Name": "service", "Value": "model-rollout"}, {"Name": "fn", "Value": "deploy"}],
            value,
        )
        put(
            cloudwatch,
            "EndpointChanges",
            [{"Name": "fn", "Value": "deploy"}, {"Name": "service", "Value": "model-rollout"}],
            value,
        )
    put(cloudwatch, "RollbacksFailed", [{"Name": "service", "Value": "other"}], 1.0)

    assert listed(cloudwatch, Namespace="ModelRollout") == [
        ("Dimensionless", []),
        ("EndpointChanges", [("fn", "deploy"), ("service", "model-rollout")]),
        ("RollbacksFailed", [("service", "model-rollout")]),
        ("RollbacksFailed", [("service", "other")]),
    ]


def test_the_filters_still_apply(aws_manual: boto3.Session) -> None:
    cloudwatch = aws_manual.client("cloudwatch")
    for value in (1.0, 2.0):
        put(cloudwatch, "RollbacksFailed", [{"Name": "service", "Value": "a"}], value)
        put(cloudwatch, "RollbacksFailed", [{"Name": "service", "Value": "b"}], value)
        put(cloudwatch, "Rollbacks", [{"Name": "service", "Value": "a"}], value)

    assert listed(cloudwatch, Namespace="ModelRollout", MetricName="RollbacksFailed") == [
        ("RollbacksFailed", [("service", "a")]),
        ("RollbacksFailed", [("service", "b")]),
    ]
    assert listed(
        cloudwatch, Namespace="ModelRollout", Dimensions=[{"Name": "service", "Value": "a"}]
    ) == [("Rollbacks", [("service", "a")]), ("RollbacksFailed", [("service", "a")])]
    assert listed(cloudwatch, Namespace="Elsewhere") == []
