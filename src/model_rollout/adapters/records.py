"""The deployments table (DynamoDB): one item per deployment, plus approval claims.

Items: ``deployment_id`` (key), ``status`` (RUNNING, PROMOTED, ROLLED_BACK, ROLLBACK_FAILED,
FAILED), ``endpoint_name`` + ``started_at`` (GSI ``by-endpoint``), model package arn/version,
strategy, execution arn, and on finish ``finished_at``, ``error``, ``cause``, ``details``.

An approval claim is an item ``deployment_id = "approval#<dedup key>"`` written with a
condition: the first execution of an approval claims it; duplicates find it taken. The claim
records which deployment holds it, so a retry of the same execution's step is not a duplicate.
Claims carry no ``endpoint_name``, so they stay out of the ``by-endpoint`` index.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from model_rollout.adapters.aws import LazyClient, error_code, throttling_as
from model_rollout.adapters.dynamodb import from_item, to_attribute, to_item
from model_rollout.config import settings
from model_rollout.domain.deployment import Deployment

APPROVAL_PREFIX = "approval#"
BY_ENDPOINT_INDEX = "by-endpoint"

RUNNING = "RUNNING"


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class DeploymentRecords(LazyClient):
    """The deployments table through a DynamoDB client (lazily the default one)."""

    service = "dynamodb"

    def __init__(self, client: Any | None = None, *, table_name: str | None = None) -> None:
        super().__init__(client)
        self._table_name = table_name

    @property
    def table_name(self) -> str:
        return self._table_name if self._table_name is not None else settings().deployments_table

    @staticmethod
    def _serialize(item: dict[str, Any]) -> dict[str, Any]:
        """An item without its ``None`` attributes."""
        return to_item({k: v for k, v in item.items() if v is not None})

    def claim_approval(self, dedup_key: str, deployment_id: str) -> bool:
        """Claim an approval for a deployment; False if another deployment already holds it."""
        item = {
            "deployment_id": f"{APPROVAL_PREFIX}{dedup_key}",
            "kind": "approval",
            "claimed_by": deployment_id,
            "claimed_at": utc_now(),
        }
        try:
            with throttling_as(f"claiming approval {dedup_key}"):
                self.client.put_item(
                    TableName=self.table_name,
                    Item=self._serialize(item),
                    ConditionExpression=("attribute_not_exists(deployment_id) OR claimed_by = :me"),
                    ExpressionAttributeValues={":me": {"S": deployment_id}},
                )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def claim_holder(self, dedup_key: str) -> str | None:
        """The deployment that claimed an approval, if any."""
        item = self.get(f"{APPROVAL_PREFIX}{dedup_key}")
        return str(item["claimed_by"]) if item and "claimed_by" in item else None

    def start(self, deployment: Deployment) -> None:
        """Record a deployment as RUNNING (idempotent: a retried step writes the same item)."""
        item = {
            "deployment_id": deployment.deployment_id,
            "kind": "deployment",
            "status": RUNNING,
            "endpoint_name": deployment.endpoint_name,
            "started_at": utc_now(),
            "model_package_arn": deployment.model_package_arn,
            "model_package_group": deployment.model_package_group,
            "model_package_version": deployment.model_package_version,
            "strategy": deployment.strategy.model_dump(mode="json"),
            "execution_arn": deployment.execution_arn,
            "approval": deployment.approval.model_dump(mode="json"),
            "previous_endpoint_config": (
                deployment.previous.endpoint_config_name if deployment.previous else None
            ),
            "previous_model_package_arn": (
                deployment.previous.model_package_arn if deployment.previous else None
            ),
        }
        with throttling_as(f"recording the start of deployment {deployment.deployment_id}"):
            self.client.put_item(TableName=self.table_name, Item=self._serialize(item))

    def finish(
        self,
        deployment_id: str,
        status: str,
        *,
        error: str | None = None,
        cause: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Record a deployment's outcome (creates the item if the deployment never started)."""
        values: dict[str, Any] = {
            ":status": status,
            ":finished_at": utc_now(),
            ":error": error,
            ":cause": cause,
            ":details": details or {},
        }
        names = {"#status": "status", "#error": "error", "#cause": "cause"}
        sets = [
            "#status = :status",
            "finished_at = :finished_at",
            "#error = :error",
            "#cause = :cause",
            "details = :details",
        ]
        with throttling_as(f"recording the outcome of deployment {deployment_id}"):
            self.client.update_item(
                TableName=self.table_name,
                Key={"deployment_id": {"S": deployment_id}},
                UpdateExpression="SET " + ", ".join(sets),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=to_item(values),
            )

    def remember(self, deployment_id: str, fields: dict[str, Any]) -> None:
        """Add ``fields`` to a deployment's record (what a later recovery needs to know)."""
        names = {f"#f{i}": key for i, key in enumerate(fields)}
        values = {f":v{i}": to_attribute(value) for i, value in enumerate(fields.values())}
        with throttling_as(f"updating the record of deployment {deployment_id}"):
            self.client.update_item(
                TableName=self.table_name,
                Key={"deployment_id": {"S": deployment_id}},
                UpdateExpression="SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(fields))),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )

    def get(self, deployment_id: str) -> dict[str, Any] | None:
        with throttling_as(f"reading deployment {deployment_id}"):
            response = self.client.get_item(
                TableName=self.table_name,
                Key={"deployment_id": {"S": deployment_id}},
                ConsistentRead=True,
            )
        item = response.get("Item")
        return from_item(item) if item else None

    def list_for_endpoint(self, endpoint_name: str, *, limit: int = 100) -> list[dict[str, Any]]:
        """Deployments of an endpoint, newest first."""
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": BY_ENDPOINT_INDEX,
            "KeyConditionExpression": "endpoint_name = :endpoint",
            "ExpressionAttributeValues": {":endpoint": {"S": endpoint_name}},
            "ScanIndexForward": False,
        }
        while len(items) < limit:
            with throttling_as(f"listing deployments of endpoint {endpoint_name}"):
                response = self.client.query(**kwargs, Limit=limit - len(items))
            items.extend(from_item(item) for item in response.get("Items", []))
            last = response.get("LastEvaluatedKey")
            if not last:
                break
            kwargs["ExclusiveStartKey"] = last
        return items
