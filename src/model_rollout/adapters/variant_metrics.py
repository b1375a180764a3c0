"""CloudWatch metrics of one endpoint variant, read back (the low-traffic guard).

SageMaker publishes ``Invocations`` per minute in ``AWS/SageMaker`` with the dimensions
``EndpointName`` and ``VariantName``. One GetMetricStatistics request with a single period
covering the whole window (a multiple of 60 s) returns its sum. On AWS the datapoints are
per minute, so a window is effectively rounded to whole minutes: give steps at least 60 s.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from model_rollout.adapters.aws import LazyClient, throttling_as

NAMESPACE = "AWS/SageMaker"
MAX_PERIOD = 86_400 * 15


class VariantMetrics(LazyClient):
    service = "cloudwatch"

    def sum(
        self, endpoint_name: str, variant_name: str, metric: str, start: float, end: float
    ) -> float:
        """Sum of ``metric`` for the variant over ``[start, end)`` (epoch seconds)."""
        if end <= start:
            return 0.0
        period = min(MAX_PERIOD, max(60, math.ceil((end - start) / 60.0) * 60))
        with throttling_as(f"GetMetricStatistics {metric} {endpoint_name}/{variant_name}"):
            response: dict[str, Any] = self.client.get_metric_statistics(
                Namespace=NAMESPACE,
                MetricName=metric,
                Dimensions=[
                    {"Name": "EndpointName", "Value": endpoint_name},
                    {"Name": "VariantName", "Value": variant_name},
                ],
                StartTime=datetime.fromtimestamp(math.floor(start), UTC),
                EndTime=datetime.fromtimestamp(math.ceil(end) + 1, UTC),
                Period=period,
                Statistics=["Sum"],
            )
        return float(sum(point.get("Sum", 0.0) for point in response.get("Datapoints", [])))

    def invocations(self, endpoint_name: str, variant_name: str, start: float, end: float) -> int:
        """``Invocations`` the variant served over ``[start, end)``."""
        return round(self.sum(endpoint_name, variant_name, "Invocations", start, end))
