"""The endpoint locks table (DynamoDB) and the liveness of the executions that use it.

Per endpoint (partition key ``endpoint_name``, sort key ``entry``):

- ``entry = "lock"``: the deployment holding the endpoint (``holder``, ``execution_arn``,
  ``acquired_at``, ``lease_expires_at`` in epoch seconds).
- ``entry = "queue#<order>"``: a deployment waiting for it (``deployment_id``,
  ``execution_arn``, ``task_token``, ``expires_at`` = TTL). ``<order>`` sorts in approval order.

Every write that decides who holds the lock is conditional, so concurrent grants cannot both
win.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from model_rollout.adapters.aws import LazyClient, default_client, error_code, throttling_as
from model_rollout.adapters.dynamodb import from_item, to_attribute, to_item
from model_rollout.config import settings

LOCK_ENTRY = "lock"
QUEUE_PREFIX = "queue#"


class LockTable(LazyClient):
    """The locks table through a DynamoDB client, and DescribeExecution (Step Functions)."""

    service = "dynamodb"

    def __init__(
        self,
        client: Any | None = None,
        *,
        stepfunctions: Any | None = None,
        table_name: str | None = None,
    ) -> None:
        super().__init__(client)
        self._stepfunctions = stepfunctions
        self._table_name = table_name

    @property
    def table_name(self) -> str:
        return self._table_name if self._table_name is not None else settings().locks_table

    @property
    def stepfunctions(self) -> Any:
        if self._stepfunctions is not None:
            return self._stepfunctions
        return default_client("stepfunctions")

    def _key(self, endpoint: str, entry: str) -> dict[str, Any]:
        return to_item({"endpoint_name": endpoint, "entry": entry})

    def get_lock(self, endpoint: str) -> dict[str, Any] | None:
        with throttling_as(f"reading the lock of endpoint {endpoint}"):
            response = self.client.get_item(
                TableName=self.table_name, Key=self._key(endpoint, LOCK_ENTRY), ConsistentRead=True
            )
        item = response.get("Item")
        return from_item(item) if item else None

    def take_lock(self, endpoint: str, holder: dict[str, Any], *, replacing: str | None) -> bool:
        """Write the lock for ``holder``: only if nobody holds it, or (``replacing``) if the
        holder is still the one found stale. False if another grant won."""
        item = {**self._key(endpoint, LOCK_ENTRY), **to_item(holder)}
        condition = "attribute_not_exists(entry)"
        values: dict[str, Any] = {}
        if replacing is not None:
            condition += " OR holder = :stale"
            values[":stale"] = to_attribute(replacing)
        try:
            with throttling_as(f"taking the lock of endpoint {endpoint}"):
                self.client.put_item(
                    TableName=self.table_name,
                    Item=item,
                    ConditionExpression=condition,
                    **({"ExpressionAttributeValues": values} if values else {}),
                )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def release_lock(self, endpoint: str, holder: str) -> bool:
        """Delete the lock if ``holder`` holds it; False if it does not."""
        try:
            with throttling_as(f"releasing the lock of endpoint {endpoint}"):
                self.client.delete_item(
                    TableName=self.table_name,
                    Key=self._key(endpoint, LOCK_ENTRY),
                    ConditionExpression="holder = :me",
                    ExpressionAttributeValues={":me": to_attribute(holder)},
                )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def enqueue(self, endpoint: str, entry: str, fields: dict[str, Any]) -> None:
        item = {**self._key(endpoint, entry), **to_item(fields)}
        with throttling_as(f"queueing for endpoint {endpoint}"):
            self.client.put_item(TableName=self.table_name, Item=item)

    def queue(self, endpoint: str) -> list[dict[str, Any]]:
        """Waiting deployments, in approval order."""
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "endpoint_name = :e AND begins_with(entry, :q)",
            "ExpressionAttributeValues": {
                ":e": to_attribute(endpoint),
                ":q": to_attribute(QUEUE_PREFIX),
            },
            "ConsistentRead": True,
        }
        while True:
            with throttling_as(f"reading the queue of endpoint {endpoint}"):
                response = self.client.query(**kwargs)
            items.extend(from_item(item) for item in response.get("Items", []))
            last = response.get("LastEvaluatedKey")
            if not last:
                return items
            kwargs["ExclusiveStartKey"] = last

    def remove(self, endpoint: str, entry: str) -> None:
        with throttling_as(f"removing {entry} of endpoint {endpoint}"):
            self.client.delete_item(TableName=self.table_name, Key=self._key(endpoint, entry))

    def entries_of(self, endpoint: str, deployment_id: str) -> list[str]:
        return [e["entry"] for e in self.queue(endpoint) if e.get("deployment_id") == deployment_id]

    def execution_status(self, execution_arn: str) -> str | None:
        """RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED; None if it does not exist."""
        if not execution_arn:
            return None
        try:
            with throttling_as(f"describing execution {execution_arn}"):
                response = self.stepfunctions.describe_execution(executionArn=execution_arn)
        except ClientError as error:
            if error_code(error) in {"ExecutionDoesNotExist", "InvalidArn"}:
                return None
            raise
        return str(response.get("status"))
