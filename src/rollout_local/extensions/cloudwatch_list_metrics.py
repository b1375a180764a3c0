"""``ListMetrics`` lists each metric once, as CloudWatch does.

AWS: a metric is a namespace, a name and a set of dimensions; ``ListMetrics`` returns each
matching metric once, however many datapoints it has
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_ListMetrics.html).
moto 5.2.1 lists a metric without dimensions once per datapoint (its de-duplication skips
metrics without dimensions) and compares every datum with every metric kept so far. This
patch keeps moto's filters (``Namespace``, ``MetricName``, ``Dimensions``) and its paging,
and keeps one entry per metric: the first datum of each (namespace, name, dimension set;
the order of the dimensions does not matter), in the order the metrics first got data.
"""

from __future__ import annotations

from moto.cloudwatch.models import CloudWatchBackend, MetricDatumBase

from rollout_local.extensions._fence import replace

_PARAMS = ("self", "metric_name", "namespace", "dimensions")


def metric_key(datum: MetricDatumBase) -> tuple[str, str, frozenset[tuple[str, str]]]:
    """What makes a metric one metric: namespace, name and dimension set."""
    dimensions = frozenset((d.name or "", d.value or "") for d in datum.dimensions)
    return datum.namespace, datum.name, dimensions


def get_filtered_metrics(
    self: CloudWatchBackend,
    metric_name: str,
    namespace: str,
    dimensions: list[dict[str, str]],
) -> list[MetricDatumBase]:
    found: dict[tuple[str, str, frozenset[tuple[str, str]]], MetricDatumBase] = {}
    for datum in self.get_all_metrics():
        key = metric_key(datum)
        if key not in found and datum.filter(namespace, metric_name, dimensions or []):
            found[key] = datum
    return list(found.values())


def install() -> None:
    replace(CloudWatchBackend, "get_filtered_metrics", get_filtered_metrics, _PARAMS)
