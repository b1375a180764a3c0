"""What an application does during an experiment, in plain boto3 (demo and tests).

``publish_outcomes`` is the A/B contract of ``model_rollout.strategies.ab`` from the
application's side: the outcomes of the units each variant served, as a CloudWatch custom
metric with the
dimensions ``EndpointName`` and ``VariantName``. It sends a statistic set per call
(``StatisticValues``: SampleCount, Sum, Minimum, Maximum), which CloudWatch aggregates exactly
as it would the individual datapoints; a continuous metric also gets ``<name>Squared``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rollout_local.workbench import Workbench


def _statistic_set(values: Sequence[float]) -> dict[str, float]:
    return {
        "SampleCount": float(len(values)),
        "Sum": float(sum(values)),
        "Minimum": float(min(values)),
        "Maximum": float(max(values)),
    }


def publish_outcomes(
    bench: Workbench,
    endpoint_name: str,
    variant_name: str,
    *,
    namespace: str,
    metric: str,
    values: Sequence[float],
    continuous: bool = False,
) -> None:
    """Report one outcome per unit served by ``variant_name`` (1/0 for a conversion)."""
    if not values:
        return
    dimensions = [
        {"Name": "EndpointName", "Value": endpoint_name},
        {"Name": "VariantName", "Value": variant_name},
    ]
    data: list[dict[str, Any]] = [
        {"MetricName": metric, "Dimensions": dimensions, "StatisticValues": _statistic_set(values)}
    ]
    if continuous:
        squares = [v * v for v in values]
        data.append(
            {
                "MetricName": f"{metric}Squared",
                "Dimensions": dimensions,
                "StatisticValues": _statistic_set(squares),
            }
        )
    bench.client("cloudwatch").put_metric_data(Namespace=namespace, MetricData=data)


def conversions(units: int, converted: int) -> list[float]:
    """``units`` outcomes of which ``converted`` are 1."""
    return [1.0] * converted + [0.0] * (units - converted)
