"""The waiters table: task tokens parked until an event releases them.

Items, keyed by ``waiter_key``:

- ``endpoint#<EndpointName>`` / ``alarm#<AlarmName>``: ``task_token``, ``deployment_id``,
  ``expect`` (JSON), ``expires_at`` (epoch seconds; the table's TTL attribute).
- ``deployment#<deployment_id>``: the index of that deployment's waiters (``waiter_keys``),
  so that a deployment's waiters (and the bake's task token, for an operator's promote or
  abort) are found without a scan.

Removal is conditional on the owner: removing a waiter never removes a newer one that
another step (or another deployment) parked under the same key since.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from model_rollout.adapters.aws import LazyClient, error_code, throttling_as
from model_rollout.adapters.dynamodb import from_item, to_item
from model_rollout.config import settings

ENDPOINT_PREFIX = "endpoint#"
ALARM_PREFIX = "alarm#"
DEPLOYMENT_PREFIX = "deployment#"


def endpoint_key(endpoint_name: str) -> str:
    return f"{ENDPOINT_PREFIX}{endpoint_name}"


def alarm_key(alarm_name: str) -> str:
    return f"{ALARM_PREFIX}{alarm_name}"


def deployment_key(deployment_id: str) -> str:
    return f"{DEPLOYMENT_PREFIX}{deployment_id}"


@dataclass(frozen=True)
class Waiter:
    key: str
    task_token: str
    deployment_id: str
    expect: dict[str, Any] | None
    expires_at: int


class Waiters(LazyClient):
    service = "dynamodb"

    def __init__(
        self,
        client: Any | None = None,
        *,
        table_name: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(client)
        self._table_name = table_name
        self._clock = clock

    @property
    def table(self) -> str:
        return self._table_name or settings().waiters_table

    def park(
        self,
        key: str,
        task_token: str,
        deployment_id: str,
        expect: dict[str, Any] | None,
        ttl: int,
    ) -> Waiter:
        """Park a task token under ``key`` (replacing a stale one) for ``ttl`` seconds."""
        expires_at = int(self._clock()) + int(ttl)
        fields: dict[str, Any] = {
            "waiter_key": key,
            "task_token": task_token,
            "deployment_id": deployment_id,
            "expires_at": expires_at,
            "parked_at": int(self._clock()),
        }
        if expect is not None:
            fields["expect"] = json.dumps(expect, sort_keys=True)
        with throttling_as(f"PutItem {key}"):
            self.client.put_item(TableName=self.table, Item=to_item(fields))
            self.client.update_item(
                TableName=self.table,
                Key={"waiter_key": {"S": deployment_key(deployment_id)}},
                UpdateExpression="ADD waiter_keys :k SET deployment_id = :d, "
                "expires_at = :e, task_token = :t",
                ExpressionAttributeValues=to_item(
                    {":k": {key}, ":d": deployment_id, ":e": expires_at, ":t": task_token}
                ),
            )
        return Waiter(key, task_token, deployment_id, expect, expires_at)

    def get(self, key: str) -> Waiter | None:
        """The waiter parked under ``key``; ``None`` if none (or it expired)."""
        with throttling_as(f"GetItem {key}"):
            response = self.client.get_item(
                TableName=self.table, Key={"waiter_key": {"S": key}}, ConsistentRead=True
            )
        item = from_item(response.get("Item") or {})
        if not item or "task_token" not in item or key.startswith(DEPLOYMENT_PREFIX):
            return None
        waiter = Waiter(
            key=key,
            task_token=item["task_token"],
            deployment_id=item.get("deployment_id", ""),
            expect=json.loads(item["expect"]) if "expect" in item else None,
            expires_at=int(item.get("expires_at", 0)),
        )
        if waiter.expires_at and waiter.expires_at < self._clock():
            return None  # TTL deletion is lazy; an expired waiter waits for nothing
        return waiter

    def remove(self, key: str, *, task_token: str | None = None) -> bool:
        """Remove the waiter under ``key`` (only if it holds ``task_token``, when given)."""
        kwargs: dict[str, Any] = {"TableName": self.table, "Key": {"waiter_key": {"S": key}}}
        if task_token is not None:
            kwargs["ConditionExpression"] = "task_token = :t"
            kwargs["ExpressionAttributeValues"] = {":t": {"S": task_token}}
        return self._delete(kwargs)

    def keys_for_deployment(self, deployment_id: str) -> list[str]:
        with throttling_as(f"GetItem {deployment_key(deployment_id)}"):
            response = self.client.get_item(
                TableName=self.table,
                Key={"waiter_key": {"S": deployment_key(deployment_id)}},
                ConsistentRead=True,
            )
        keys: list[str] = from_item(response.get("Item") or {}).get("waiter_keys", [])
        return keys  # a string set comes back sorted

    def find_for_deployment(self, deployment_id: str, *, prefix: str = "") -> list[Waiter]:
        """The deployment's live waiters (e.g. the bake's, for an operator's promote/abort)."""
        found = []
        for key in self.keys_for_deployment(deployment_id):
            if not key.startswith(prefix):
                continue
            waiter = self.get(key)
            if waiter is not None and waiter.deployment_id == deployment_id:
                found.append(waiter)
        return found

    def remove_for_deployment(self, deployment_id: str, *, prefix: str = "") -> list[str]:
        """Remove the deployment's waiters (those whose key starts with ``prefix``).

        Only items still owned by the deployment are removed. Returns the keys removed.
        """
        keys = [k for k in self.keys_for_deployment(deployment_id) if k.startswith(prefix)]
        removed = []
        for key in keys:
            deleted = self._delete(
                {
                    "TableName": self.table,
                    "Key": {"waiter_key": {"S": key}},
                    "ConditionExpression": "deployment_id = :d",
                    "ExpressionAttributeValues": {":d": {"S": deployment_id}},
                }
            )
            if deleted:
                removed.append(key)
        index = {"waiter_key": {"S": deployment_key(deployment_id)}}
        with throttling_as(f"UpdateItem {deployment_key(deployment_id)}"):
            if prefix and keys:
                self.client.update_item(
                    TableName=self.table,
                    Key=index,
                    UpdateExpression="DELETE waiter_keys :k",
                    ExpressionAttributeValues={":k": {"SS": keys}},
                )
            elif not prefix:
                self.client.delete_item(TableName=self.table, Key=index)
        return removed

    def _delete(self, kwargs: dict[str, Any]) -> bool:
        key = kwargs["Key"]["waiter_key"]["S"]
        kwargs = {**kwargs, "ReturnValues": "ALL_OLD"}
        try:
            with throttling_as(f"DeleteItem {key}"):
                response = self.client.delete_item(**kwargs)
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return bool(response.get("Attributes"))
