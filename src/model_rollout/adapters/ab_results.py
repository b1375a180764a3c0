"""DynamoDB: every A/B test result, per endpoint, in time order (``ABResultsTable``).

Key: ``endpoint_name`` (hash) + ``result_key`` (range) = ``<test start, ISO 8601 UTC>#<deployment
id>``, so one ``Query`` on an endpoint returns its tests oldest first, which is the
staleness curve (a model's lift over the incumbent, test after test). A separate table, not
the deployments table: that one is keyed by deployment id alone (its by-endpoint index
orders deployments, not experiments), and a key schema cannot change in place.

The whole evaluation is kept as JSON (``result``); the fields a reader filters or plots are
also top-level attributes (numbers as DynamoDB numbers).
"""

from __future__ import annotations

import json
from typing import Any

from model_rollout.adapters.aws import LazyClient, throttling_as
from model_rollout.adapters.dynamodb import to_attribute
from model_rollout.config import ab_results_settings


class ABResults(LazyClient):
    service = "dynamodb"

    def __init__(self, client: Any | None = None, *, table_name: str | None = None) -> None:
        super().__init__(client)
        self._table_name = table_name

    @property
    def table(self) -> str:
        # read at each call: only EvaluateABFunction has AB_RESULTS_TABLE in its environment
        # (and the local stack runs every function in one process)
        return self._table_name or ab_results_settings().ab_results_table

    def put(self, endpoint_name: str, result_key: str, result: dict[str, Any]) -> None:
        """Write (or, on a retried step, overwrite) one test's result."""
        lift = result.get("lift") or {}
        item: dict[str, Any] = {
            "endpoint_name": {"S": endpoint_name},
            "result_key": {"S": result_key},
            "deployment_id": {"S": str(result.get("deployment_id", ""))},
            "verdict": {"S": str(result.get("verdict", ""))},
            "metric": {"S": str(result.get("metric", ""))},
            "started_at": {"S": str(result.get("started_at", ""))},
            "ended_at": {"S": str(result.get("ended_at", ""))},
            "challenger_package_arn": {"S": str(result.get("challenger_package_arn") or "")},
            "incumbent_package_arn": {"S": str(result.get("incumbent_package_arn") or "")},
            "absolute_lift": to_attribute(lift.get("absolute")),
            "relative_lift": to_attribute(lift.get("relative")),
            "p_value": to_attribute(result.get("p_value")),
            "srm_p_value": to_attribute(result.get("srm_p_value")),
            "result": {"S": json.dumps(result, sort_keys=True)},
        }
        with throttling_as(f"PutItem {self.table} {endpoint_name}/{result_key}"):
            self.client.put_item(TableName=self.table, Item=item)

    def query(self, endpoint_name: str) -> list[dict[str, Any]]:
        """Every result of the endpoint, oldest first (the whole evaluation of each)."""
        results: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "endpoint_name = :e",
            "ExpressionAttributeValues": {":e": {"S": endpoint_name}},
            "ScanIndexForward": True,
        }
        while True:
            with throttling_as(f"Query {self.table} {endpoint_name}"):
                page = self.client.query(**kwargs)
            results.extend(json.loads(item["result"]["S"]) for item in page.get("Items", []))
            if not page.get("LastEvaluatedKey"):
                return results
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
