"""SageMaker endpoints, and the endpoint configs and models this control plane created.

Throttling becomes ``Throttled`` (retried by the state machine). A rejected mutation (an
endpoint already updating, a config that does not exist, ...) becomes ``DeploymentFailed``
with SageMaker's own message, which names what to fix.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from model_rollout.adapters.aws import (
    LazyClient,
    error_code,
    error_message,
    is_throttling,
    throttling_as,
)
from model_rollout.errors import DeploymentFailed, Throttled

DEPLOYMENT_ID_TAG = "rollout:deployment-id"
ENDPOINT_NAME_TAG = "rollout:endpoint-name"
LINEAGE_TAG_PREFIX = "rollout:"


def _not_found(error: ClientError) -> bool:
    return error_code(error) in {"ValidationException", "ResourceNotFound"} and (
        "could not find" in error_message(error).lower()
        or "does not exist" in error_message(error).lower()
    )


def tag_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]


@dataclass(frozen=True)
class OwnedResource:
    """An endpoint config or model created by this control plane (it carries the
    deployment-id lineage tag)."""

    name: str
    arn: str
    created: datetime
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def deployment_id(self) -> str:
        return self.tags.get(DEPLOYMENT_ID_TAG, "")


class Endpoints(LazyClient):
    service = "sagemaker"

    # ------------------------------------------------------------------ endpoint
    def describe(self, endpoint_name: str) -> dict[str, Any] | None:
        """DescribeEndpoint; ``None`` when the endpoint does not exist."""
        try:
            with throttling_as(f"DescribeEndpoint {endpoint_name}"):
                response: dict[str, Any] = self.client.describe_endpoint(EndpointName=endpoint_name)
        except ClientError as error:
            if _not_found(error):
                return None
            raise
        response.pop("ResponseMetadata", None)
        return response

    def create(self, endpoint_name: str, config_name: str, tags: Mapping[str, str]) -> str:
        with _mutation(f"CreateEndpoint {endpoint_name} with config {config_name}"):
            response = self.client.create_endpoint(
                EndpointName=endpoint_name,
                EndpointConfigName=config_name,
                Tags=tag_list(tags),
            )
        return str(response["EndpointArn"])

    def update(self, endpoint_name: str, config_name: str) -> None:
        with _mutation(f"UpdateEndpoint {endpoint_name} to config {config_name}"):
            self.client.update_endpoint(EndpointName=endpoint_name, EndpointConfigName=config_name)

    def update_weights(self, endpoint_name: str, weights: Mapping[str, float]) -> None:
        shown = ", ".join(f"{name}={weight:g}" for name, weight in weights.items())
        with _mutation(f"UpdateEndpointWeightsAndCapacities {endpoint_name} ({shown})"):
            self.client.update_endpoint_weights_and_capacities(
                EndpointName=endpoint_name,
                DesiredWeightsAndCapacities=[
                    {"VariantName": name, "DesiredWeight": float(weight)}
                    for name, weight in weights.items()
                ],
            )

    def delete(self, endpoint_name: str) -> bool:
        """DeleteEndpoint; ``False`` when it was already gone."""
        try:
            with _mutation(f"DeleteEndpoint {endpoint_name}"):
                self.client.delete_endpoint(EndpointName=endpoint_name)
        except DeploymentFailed as failure:
            cause = failure.__cause__
            if isinstance(cause, ClientError) and _not_found(cause):
                return False
            raise
        return True

    # ------------------------------------------------------------------ tags
    def add_tags(self, resource_arn: str, tags: Mapping[str, str]) -> None:
        if not tags:
            return
        with _mutation(f"AddTags {resource_arn}"):
            self.client.add_tags(ResourceArn=resource_arn, Tags=tag_list(tags))

    def delete_tags(self, resource_arn: str, keys: list[str]) -> None:
        if not keys:
            return
        with _mutation(f"DeleteTags {resource_arn}"):
            self.client.delete_tags(ResourceArn=resource_arn, TagKeys=keys)

    def list_tags(self, resource_arn: str) -> dict[str, str]:
        tags: dict[str, str] = {}
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"ResourceArn": resource_arn}
            if token:
                kwargs["NextToken"] = token
            with throttling_as(f"ListTags {resource_arn}"):
                response = self.client.list_tags(**kwargs)
            tags.update({t["Key"]: t["Value"] for t in response.get("Tags", [])})
            token = response.get("NextToken")
            if not token:
                return tags

    # ------------------------------------------------------------------ configs, models
    def describe_config(self, config_name: str) -> dict[str, Any] | None:
        try:
            with throttling_as(f"DescribeEndpointConfig {config_name}"):
                response: dict[str, Any] = self.client.describe_endpoint_config(
                    EndpointConfigName=config_name
                )
        except ClientError as error:
            if _not_found(error):
                return None
            raise
        response.pop("ResponseMetadata", None)
        return response

    def config_tags(self, config_name: str) -> dict[str, str] | None:
        """The tags of an endpoint config; ``None`` when the config does not exist."""
        described = self.describe_config(config_name)
        if described is None:
            return None
        return self.list_tags(described["EndpointConfigArn"])

    def owned_configs(self, endpoint_name: str, name_prefix: str) -> list[OwnedResource]:
        """Endpoint configs this control plane created for the endpoint, newest first."""
        return self._owned("endpoint_config", endpoint_name, name_prefix)

    def owned_models(self, endpoint_name: str, name_prefix: str) -> list[OwnedResource]:
        """Models this control plane created for the endpoint, newest first."""
        return self._owned("model", endpoint_name, name_prefix)

    def delete_config(self, config_name: str) -> bool:
        return self._delete("EndpointConfig", config_name)

    def delete_model(self, model_name: str) -> bool:
        return self._delete("Model", model_name)

    # ------------------------------------------------------------------ helpers
    def _owned(self, kind: str, endpoint_name: str, name_prefix: str) -> list[OwnedResource]:
        owned = [
            resource
            for resource in self._list(kind, endpoint_name)
            if resource.name.startswith(name_prefix)
        ]
        result = []
        for resource in owned:
            tags = self.list_tags(resource.arn)
            if DEPLOYMENT_ID_TAG not in tags:
                continue  # not created by this control plane
            if tags.get(ENDPOINT_NAME_TAG, endpoint_name) != endpoint_name:
                continue  # another endpoint whose name shares the prefix
            result.append(OwnedResource(resource.name, resource.arn, resource.created, tags))
        return sorted(result, key=lambda r: r.created, reverse=True)

    def _list(self, kind: str, name_contains: str) -> Iterator[OwnedResource]:
        operation = "list_endpoint_configs" if kind == "endpoint_config" else "list_models"
        key = "EndpointConfigs" if kind == "endpoint_config" else "Models"
        prefix = "EndpointConfig" if kind == "endpoint_config" else "Model"
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"NameContains": name_contains, "MaxResults": 100}
            if token:
                kwargs["NextToken"] = token
            with throttling_as(f"{operation} {name_contains}"):
                response = getattr(self.client, operation)(**kwargs)
            for item in response.get(key, []):
                yield OwnedResource(
                    name=item[f"{prefix}Name"],
                    arn=item[f"{prefix}Arn"],
                    created=item["CreationTime"],
                )
            token = response.get("NextToken")
            if not token:
                return

    def _delete(self, kind: str, name: str) -> bool:
        operation = "delete_endpoint_config" if kind == "EndpointConfig" else "delete_model"
        argument = "EndpointConfigName" if kind == "EndpointConfig" else "ModelName"
        try:
            with throttling_as(f"Delete{kind} {name}"):
                getattr(self.client, operation)(**{argument: name})
        except ClientError as error:
            if _not_found(error):
                return False
            raise
        return True


@contextmanager
def _mutation(what: str) -> Iterator[None]:
    """Throttling → ``Throttled``; any other rejection → ``DeploymentFailed`` naming it."""
    try:
        yield
    except ClientError as error:
        if is_throttling(error):
            raise Throttled(
                f"{what}: AWS throttled the call ({error_code(error)}); the step is retried"
            ) from error
        raise DeploymentFailed(
            f"{what} was rejected: {error_code(error)}: {error_message(error)}"
        ) from error
