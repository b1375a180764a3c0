"""CloudWatch statistics of an experiment's variants over its window (shadow, A/B).

- ``serving``: per variant, ``AWS/SageMaker`` ``Invocations`` and ``Invocation5XXErrors``
  (Sum) and ``ModelLatency`` p50/p99 (microseconds → milliseconds), by one
  ``GetMetricData`` request whose single period covers the window.
- ``outcomes``: the application's business metric per variant (namespace and name from the
  policy, dimensions ``EndpointName`` + ``VariantName``): ``SampleCount`` and ``Sum`` of the
  metric and, for a continuous metric, ``Sum`` of ``<name>Squared``
  (``GetMetricStatistics``, one period covering the window).

Periods are multiples of 60 s; on AWS a window is rounded to whole minutes.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from model_rollout.adapters.aws import LazyClient, throttling_as

SAGEMAKER = "AWS/SageMaker"
MAX_PERIOD = 86_400 * 15


def _period(start: float, end: float) -> int:
    return min(MAX_PERIOD, max(60, math.ceil((end - start) / 60.0) * 60))


def _dimensions(endpoint_name: str, variant_name: str) -> list[dict[str, str]]:
    return [
        {"Name": "EndpointName", "Value": endpoint_name},
        {"Name": "VariantName", "Value": variant_name},
    ]


@dataclass(frozen=True)
class ServingStats:
    invocations: float
    errors_5xx: float
    latency_p50_ms: float | None
    latency_p99_ms: float | None

    @property
    def error_rate(self) -> float | None:
        return self.errors_5xx / self.invocations if self.invocations else None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "error_rate": self.error_rate}


@dataclass(frozen=True)
class OutcomeStats:
    count: float  # units with a reported outcome (SampleCount)
    total: float  # Sum of the outcomes
    total_squares: float | None = None  # Sum of <name>Squared (continuous metrics)


class ExperimentMetrics(LazyClient):
    service = "cloudwatch"

    def serving(
        self, endpoint_name: str, variant_name: str, start: float, end: float
    ) -> ServingStats:
        period = _period(start, end)
        dims = _dimensions(endpoint_name, variant_name)

        def query(qid: str, metric: str, stat: str) -> dict[str, Any]:
            return {
                "Id": qid,
                "MetricStat": {
                    "Metric": {"Namespace": SAGEMAKER, "MetricName": metric, "Dimensions": dims},
                    "Period": period,
                    "Stat": stat,
                },
                "ReturnData": True,
            }

        queries = [
            query("inv", "Invocations", "Sum"),
            query("err", "Invocation5XXErrors", "Sum"),
            query("p50", "ModelLatency", "p50"),
            query("p99", "ModelLatency", "p99"),
        ]
        with throttling_as(f"GetMetricData {endpoint_name}/{variant_name}"):
            response = self.client.get_metric_data(
                MetricDataQueries=queries,
                StartTime=datetime.fromtimestamp(math.floor(start), UTC),
                EndTime=datetime.fromtimestamp(math.ceil(end) + 1, UTC),
            )
        values = {
            r["Id"]: [float(v) for v in r.get("Values", [])]
            for r in response.get("MetricDataResults", [])
        }

        def latency(qid: str) -> float | None:
            points = values.get(qid) or []
            return max(points) / 1000.0 if points else None  # µs → ms; one period

        return ServingStats(
            invocations=sum(values.get("inv", [])),
            errors_5xx=sum(values.get("err", [])),
            latency_p50_ms=latency("p50"),
            latency_p99_ms=latency("p99"),
        )

    def _statistics(
        self,
        namespace: str,
        metric: str,
        endpoint_name: str,
        variant_name: str,
        start: float,
        end: float,
    ) -> tuple[float, float]:
        with throttling_as(f"GetMetricStatistics {namespace}/{metric} {variant_name}"):
            response: dict[str, Any] = self.client.get_metric_statistics(
                Namespace=namespace,
                MetricName=metric,
                Dimensions=_dimensions(endpoint_name, variant_name),
                StartTime=datetime.fromtimestamp(math.floor(start), UTC),
                EndTime=datetime.fromtimestamp(math.ceil(end) + 1, UTC),
                Period=_period(start, end),
                Statistics=["SampleCount", "Sum"],
            )
        points = response.get("Datapoints", [])
        return (
            float(sum(p.get("SampleCount", 0.0) for p in points)),
            float(sum(p.get("Sum", 0.0) for p in points)),
        )

    def outcomes(
        self,
        namespace: str,
        metric: str,
        endpoint_name: str,
        variant_name: str,
        start: float,
        end: float,
        *,
        squares: bool = False,
    ) -> OutcomeStats:
        count, total = self._statistics(namespace, metric, endpoint_name, variant_name, start, end)
        total_squares = None
        if squares:
            _, total_squares = self._statistics(
                namespace, f"{metric}Squared", endpoint_name, variant_name, start, end
            )
        return OutcomeStats(count=count, total=total, total_squares=total_squares)
