"""CloudWatch alarms: create the deployment's alarms, read their state, delete them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from model_rollout.adapters.aws import LazyClient, throttling_as

_BATCH = 100  # DescribeAlarms and DeleteAlarms take at most 100 names


def _batches(names: Iterable[str]) -> Iterable[list[str]]:
    unique = list(dict.fromkeys(names))
    for start in range(0, len(unique), _BATCH):
        yield unique[start : start + _BATCH]


class Alarms(LazyClient):
    service = "cloudwatch"

    def put(self, spec: Mapping[str, Any]) -> None:
        """PutMetricAlarm with a spec built by ``model_rollout.domain.alarm_specs`` (idempotent)."""
        with throttling_as(f"PutMetricAlarm {spec.get('AlarmName')}"):
            self.client.put_metric_alarm(**spec)

    def describe(self, names: Iterable[str]) -> list[dict[str, Any]]:
        """Metric and composite alarms among ``names`` that exist (missing ones are absent)."""
        found: list[dict[str, Any]] = []
        for batch in _batches(names):
            token: str | None = None
            while True:
                kwargs: dict[str, Any] = {
                    "AlarmNames": batch,
                    "AlarmTypes": ["MetricAlarm", "CompositeAlarm"],
                }
                if token:
                    kwargs["NextToken"] = token
                with throttling_as("DescribeAlarms"):
                    response = self.client.describe_alarms(**kwargs)
                found.extend(response.get("MetricAlarms", []))
                found.extend(response.get("CompositeAlarms", []))
                token = response.get("NextToken")
                if not token:
                    break
        return found

    def delete(self, names: Iterable[str]) -> list[str]:
        """Delete those of ``names`` that exist; returns the names deleted."""
        existing = [alarm["AlarmName"] for alarm in self.describe(names)]
        for batch in _batches(existing):
            with throttling_as("DeleteAlarms"):
                self.client.delete_alarms(AlarmNames=batch)
        return existing
