"""CloudWatch Embedded Metric Format (EMF): the metrics a log line carries.

On AWS, CloudWatch Logs extracts metrics from every log event of a Lambda function's log
group that is an EMF document
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html);
Powertools ``Metrics`` prints such documents. This module follows that specification:

- the log event is one JSON object whose root has the ``_aws`` metadata object, with
  ``Timestamp`` (milliseconds since the epoch, a number) and ``CloudWatchMetrics`` (an array
  of metric directives);
- a directive has ``Namespace`` (a string), ``Dimensions`` (an array of dimension sets,
  each an array of at most 30 dimension keys naming root members whose values are strings)
  and ``Metrics`` (at most 100 definitions: ``Name``, naming a root member whose value is a
  number or an array of at most 100 numbers; optional ``Unit`` and ``StorageResolution``,
  1 or 60, by default 60);
- each dimension set makes a metric of its own (an empty set: a metric without dimensions).

``parse`` gives the datums of one log line (PutMetricData's ``MetricDatum``, one per metric
and dimension set) or ``None`` when the line is no EMF document (plain text, or a JSON log
line without ``_aws``). A document with ``_aws`` that breaks the specification is dropped
with a warning, as CloudWatch drops it (and counts it in ``AWS/Logs``
``EMFValidationErrors``): it never fails the invocation that printed it.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger(__name__)

MAX_DIMENSIONS = 30
MAX_METRICS = 100
MAX_VALUES = 100
MAX_NAMESPACE = 1024
MAX_DIMENSION_VALUE = 1024
RESOLUTIONS = (1, 60)
#: the units of PutMetricData's ``MetricDatum.Unit``
UNITS = frozenset(
    {
        "Seconds",
        "Microseconds",
        "Milliseconds",
        "Bytes",
        "Kilobytes",
        "Megabytes",
        "Gigabytes",
        "Terabytes",
        "Bits",
        "Kilobits",
        "Megabits",
        "Gigabits",
        "Terabits",
        "Percent",
        "Count",
        "Bytes/Second",
        "Kilobytes/Second",
        "Megabytes/Second",
        "Gigabytes/Second",
        "Terabytes/Second",
        "Bits/Second",
        "Kilobits/Second",
        "Megabits/Second",
        "Gigabits/Second",
        "Terabits/Second",
        "Count/Second",
        "None",
    }
)


class InvalidDocument(ValueError):
    """An EMF document (it has ``_aws``) that breaks the specification."""


@dataclass(frozen=True)
class Datum:
    """One metric of one dimension set: what PutMetricData's ``MetricDatum`` carries."""

    namespace: str
    name: str
    dimensions: tuple[tuple[str, str], ...]
    values: tuple[float, ...]
    timestamp: datetime
    unit: str | None = None
    storage_resolution: int = 60

    def metric_datum(self) -> dict[str, Any]:
        """The datum as PutMetricData's ``MetricData`` member (``Value`` or ``Values``)."""
        datum: dict[str, Any] = {
            "MetricName": self.name,
            "Dimensions": [{"Name": n, "Value": v} for n, v in self.dimensions],
            "Timestamp": self.timestamp,
            "StorageResolution": self.storage_resolution,
        }
        if len(self.values) == 1:
            datum["Value"] = self.values[0]
        else:
            datum["Values"] = list(self.values)
        if self.unit is not None:
            datum["Unit"] = self.unit
        return datum


def _number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def _values(root: dict[str, Any], name: str) -> tuple[float, ...]:
    if name not in root:
        raise InvalidDocument(f"metric {name!r} has no member of that name")
    value = root[name]
    if _number(value):
        return (float(value),)
    if isinstance(value, list) and value and all(_number(v) for v in value):
        if len(value) > MAX_VALUES:
            raise InvalidDocument(f"metric {name!r} has more than {MAX_VALUES} values")
        return tuple(float(v) for v in value)
    raise InvalidDocument(f"metric {name!r} is {value!r}, not a number or array of numbers")


def _dimension_set(root: dict[str, Any], keys: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise InvalidDocument(f"dimension set {keys!r} is not an array of strings")
    if len(keys) > MAX_DIMENSIONS:
        raise InvalidDocument(f"dimension set {keys!r} has more than {MAX_DIMENSIONS} keys")
    dimensions = []
    for key in keys:
        value = root.get(key)
        if not isinstance(value, str) or not value or len(value) > MAX_DIMENSION_VALUE:
            raise InvalidDocument(f"dimension {key!r} is {value!r}, not a non-empty string")
        dimensions.append((key, value))
    return tuple(dimensions)


def _directive(root: dict[str, Any], directive: Any, timestamp: datetime) -> list[Datum]:
    if not isinstance(directive, dict):
        raise InvalidDocument(f"metric directive {directive!r} is not an object")
    namespace = directive.get("Namespace")
    if not isinstance(namespace, str) or not 0 < len(namespace) <= MAX_NAMESPACE:
        raise InvalidDocument(f"Namespace {namespace!r} is not a string of 1 to 1024 characters")
    dimension_sets = directive.get("Dimensions")
    if not isinstance(dimension_sets, list):
        raise InvalidDocument(f"Dimensions {dimension_sets!r} is not an array of dimension sets")
    definitions = directive.get("Metrics")
    if not isinstance(definitions, list) or len(definitions) > MAX_METRICS:
        raise InvalidDocument(f"Metrics is not an array of at most {MAX_METRICS} definitions")
    sets = [_dimension_set(root, keys) for keys in dimension_sets] or [()]
    data = []
    for definition in definitions:
        if not isinstance(definition, dict) or not isinstance(definition.get("Name"), str):
            raise InvalidDocument(f"metric definition {definition!r} has no Name")
        name = definition["Name"]
        unit = definition.get("Unit")
        if unit is not None and unit not in UNITS:
            raise InvalidDocument(f"metric {name!r} has Unit {unit!r}, not a CloudWatch unit")
        resolution = definition.get("StorageResolution", 60)
        if resolution not in RESOLUTIONS or isinstance(resolution, bool):
            raise InvalidDocument(f"metric {name!r} has StorageResolution {resolution!r}")
        values = _values(root, name)
        data += [
            Datum(namespace, name, dimensions, values, timestamp, unit, int(resolution))
            for dimensions in sets
        ]
    return data


def document(root: Any) -> list[Datum]:
    """The datums of a parsed EMF document; ``InvalidDocument`` when it breaks the spec."""
    if not isinstance(root, dict) or not isinstance(root.get("_aws"), dict):
        raise InvalidDocument("no _aws metadata object")
    metadata = root["_aws"]
    stamp = metadata.get("Timestamp")
    if not _number(stamp) or stamp < 0:
        raise InvalidDocument(f"Timestamp {stamp!r} is not milliseconds since the epoch")
    directives = metadata.get("CloudWatchMetrics")
    if not isinstance(directives, list):
        raise InvalidDocument("CloudWatchMetrics is not an array of metric directives")
    timestamp = datetime.fromtimestamp(stamp / 1000, tz=UTC)
    return [datum for d in directives for datum in _directive(root, d, timestamp)]


def parse(line: str) -> list[Datum] | None:
    """The datums of one log line; ``None`` if it is no EMF document; ``[]`` if dropped."""
    text = line.strip()
    if not (text.startswith("{") and '"_aws"' in text):
        return None
    try:
        root = json.loads(text)
    except ValueError:
        return None  # not JSON: a text log line that happens to mention _aws
    if not isinstance(root, dict) or "_aws" not in root:
        return None
    try:
        return document(root)
    except InvalidDocument as problem:
        log.warning("EMF document dropped (%s): %.200s", problem, text)
        return []


def extract(lines: Iterable[str]) -> list[Datum]:
    """The datums of every EMF document among ``lines`` (a function's log), in order."""
    return [datum for line in lines for datum in parse(line) or ()]


def by_namespace(data: Iterable[Datum]) -> dict[str, list[dict[str, Any]]]:
    """PutMetricData requests: each namespace's ``MetricData``."""
    requests: dict[str, list[dict[str, Any]]] = {}
    for datum in data:
        requests.setdefault(datum.namespace, []).append(datum.metric_datum())
    return requests
