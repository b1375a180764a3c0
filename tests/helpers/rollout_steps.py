"""Helpers for the endpoint, bake and closing steps: documents, fakes, the waiters table."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

EVENTS = Path(__file__).resolve().parents[2] / "events"
WAITERS_TABLE = "test-waiters"
ENDPOINT = "churn-prod"
DEPLOYMENT_ID = "churn-v7-0001"
PACKAGE_ARN = "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/7"
RELEASE: dict[str, Any] = {
    "model_name": "mr-churn-prod-v7-aaaa1111",
    "variant_name": "v7-aaaa1111",
    "bake_config_name": "mr-churn-prod-v7-aaaa1111-bake",
    "final_config_name": "mr-churn-prod-v7-aaaa1111-final",
    "tags": {
        "rollout:deployment-id": DEPLOYMENT_ID,
        "rollout:endpoint-name": ENDPOINT,
        "rollout:model-package-arn": PACKAGE_ARN,
        "rollout:git-commit": "0a1b2c3d",
    },
}
PREVIOUS: dict[str, Any] = {
    "endpoint_config_name": "churn-prod-config-old",
    "model_package_arn": "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/6",
    "variants": [{"variant_name": "blue", "model_name": "blue-model", "weight": 1.0}],
}


def event(name: str) -> dict[str, Any]:
    return dict(json.loads((EVENTS / name).read_text()))


def deployment_document(*, first: bool = False, **overrides: Any) -> dict[str, Any]:
    """A deployment document as it reaches Deploy (and later steps, with ``overrides``)."""
    release = copy.deepcopy(RELEASE)
    if first:
        release["bake_config_name"] = release["final_config_name"]
    document: dict[str, Any] = {
        "deployment_id": DEPLOYMENT_ID,
        "execution_arn": f"arn:aws:states:us-east-1:123456789012:execution:deploy:{DEPLOYMENT_ID}",
        "model_package_arn": PACKAGE_ARN,
        "model_package_group": "churn",
        "model_package_version": 7,
        "endpoint_name": ENDPOINT,
        "policy": {"endpoint_name": ENDPOINT},
        "strategy": {"type": "all_at_once", "bake_seconds": 600},
        "limits": {"endpoint_wait_seconds": 900},
        "approval": {"event_id": "e-1", "event_time": "2026-03-01T10:00:01Z"},
        "previous": None if first else copy.deepcopy(PREVIOUS),
        "release": release,
    }
    document.update(overrides)
    return document


def described_endpoint(
    config: str,
    weights: dict[str, float],
    *,
    status: str = "InService",
    name: str = ENDPOINT,
    failure_reason: str | None = None,
    pending_config: str | None = None,
) -> dict[str, Any]:
    described: dict[str, Any] = {
        "EndpointName": name,
        "EndpointArn": f"arn:aws:sagemaker:us-east-1:123456789012:endpoint/{name}",
        "EndpointConfigName": config,
        "EndpointStatus": status,
        "ProductionVariants": [
            {"VariantName": v, "CurrentWeight": w, "DesiredWeight": w, "CurrentInstanceCount": 1}
            for v, w in weights.items()
        ],
    }
    if failure_reason:
        described["FailureReason"] = failure_reason
    if pending_config:
        described["PendingDeploymentSummary"] = {"EndpointConfigName": pending_config}
    return described


class FakeSageMaker:
    """The SageMaker calls the endpoint steps make (moto lacks UpdateEndpoint)."""

    def __init__(
        self,
        endpoint: dict[str, Any] | None = None,
        config_tags: dict[str, dict[str, str]] | None = None,
        endpoint_tags: dict[str, str] | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.config_tags = config_tags or {}
        self.endpoint_tags = dict(endpoint_tags or {})
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def _not_found(self, what: str) -> Exception:
        from botocore.exceptions import ClientError

        return ClientError(
            {"Error": {"Code": "ValidationException", "Message": f"Could not find {what}"}},
            "Describe",
        )

    def describe_endpoint(self, **kwargs: Any) -> dict[str, Any]:
        if self.endpoint is None:
            raise self._not_found(f"endpoint {kwargs['EndpointName']}")
        return copy.deepcopy(self.endpoint)

    def create_endpoint(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("create_endpoint", kwargs))
        return {"EndpointArn": f"arn:endpoint/{kwargs['EndpointName']}"}

    def update_endpoint(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("update_endpoint", kwargs))
        return {}

    def update_endpoint_weights_and_capacities(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("update_endpoint_weights_and_capacities", kwargs))
        return {}

    def delete_endpoint(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("delete_endpoint", kwargs))
        return {}

    def add_tags(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("add_tags", kwargs))
        self.endpoint_tags.update({t["Key"]: t["Value"] for t in kwargs["Tags"]})
        return {}

    def delete_tags(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("delete_tags", kwargs))
        for key in kwargs["TagKeys"]:
            self.endpoint_tags.pop(key, None)
        return {}

    def list_tags(self, **kwargs: Any) -> dict[str, Any]:
        arn = kwargs["ResourceArn"]
        tags = self.config_tags.get(arn.rsplit("/", 1)[-1]) if "endpoint-config" in arn else None
        source = tags if tags is not None else self.endpoint_tags
        return {"Tags": [{"Key": k, "Value": v} for k, v in source.items()]}

    def describe_endpoint_config(self, **kwargs: Any) -> dict[str, Any]:
        name = kwargs["EndpointConfigName"]
        if name not in self.config_tags:
            raise self._not_found(f"endpoint configuration {name}")
        return {
            "EndpointConfigName": name,
            "EndpointConfigArn": f"arn:aws:sagemaker:us-east-1:1:endpoint-config/{name}",
        }

    def mutations(self) -> list[str]:
        return [name for name, _ in self.calls]


class FakeTasks:
    """TaskTokens stand-in that records what was sent."""

    def __init__(self) -> None:
        self.succeeded: list[tuple[str, dict[str, Any]]] = []
        self.failed: list[tuple[str, str, str]] = []

    def succeed(self, task_token: str, output: dict[str, Any]) -> bool:
        self.succeeded.append((task_token, dict(output)))
        return True

    def fail(self, task_token: str, *, error: str, cause: str) -> bool:
        self.failed.append((task_token, error, cause))
        return True


class FakeRecords:
    def __init__(self) -> None:
        self.finished: list[dict[str, Any]] = []

    def finish(
        self,
        deployment_id: str,
        status: str,
        *,
        error: str | None = None,
        cause: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        self.finished.append(
            {
                "deployment_id": deployment_id,
                "status": status,
                "error": error,
                "cause": cause,
                "details": details,
            }
        )


def create_waiters_table(dynamodb: Any) -> None:
    """As template.yaml's WaitersTable."""
    dynamodb.create_table(
        TableName=WAITERS_TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "waiter_key", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "waiter_key", "KeyType": "HASH"}],
    )
