"""SageMaker endpoints, and the endpoint configs and models this control plane created.

Throttling becomes ``Throttled`` (retried by the state machine). A rejected mutation (an
endpoint already updating, a config that does not exist, ...) becomes ``DeploymentFailed``
with SageMaker's own message, which names what to fix.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from model_rollout.adapters.aws import is_not_found, rejection_as, throttling_as
from model_rollout.adapters.sagemaker import SageMakerAdapter
from model_rollout.domain.lineage import TAG_DEPLOYMENT_ID, TAG_ENDPOINT_NAME, as_aws_tags
from model_rollout.errors import DeploymentFailed


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
        return self.tags.get(TAG_DEPLOYMENT_ID, "")


class Endpoints(SageMakerAdapter):
    """Describing, reading tags and deleting configs and models: ``SageMakerAdapter``."""

    # the names the steps call these by (steps.closing's protocol)
    describe = SageMakerAdapter.describe_endpoint
    describe_config = SageMakerAdapter.describe_endpoint_config
    delete_config = SageMakerAdapter.delete_endpoint_config

    # ------------------------------------------------------------------ endpoint
    def create(self, endpoint_name: str, config_name: str, tags: Mapping[str, str]) -> str:
        with rejection_as(f"CreateEndpoint {endpoint_name} with config {config_name}"):
            response = self.client.create_endpoint(
                EndpointName=endpoint_name,
                EndpointConfigName=config_name,
                Tags=as_aws_tags(tags),
            )
        return str(response["EndpointArn"])

    def update(self, endpoint_name: str, config_name: str) -> None:
        with rejection_as(f"UpdateEndpoint {endpoint_name} to config {config_name}"):
            self.client.update_endpoint(EndpointName=endpoint_name, EndpointConfigName=config_name)

    def update_weights(self, endpoint_name: str, weights: Mapping[str, float]) -> None:
        shown = ", ".join(f"{name}={weight:g}" for name, weight in weights.items())
        with rejection_as(f"UpdateEndpointWeightsAndCapacities {endpoint_name} ({shown})"):
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
            with rejection_as(f"DeleteEndpoint {endpoint_name}"):
                self.client.delete_endpoint(EndpointName=endpoint_name)
        except DeploymentFailed as failure:
            cause = failure.__cause__
            if isinstance(cause, ClientError) and is_not_found(cause):
                return False
            raise
        return True

    # ------------------------------------------------------------------ tags
    def add_tags(self, resource_arn: str, tags: Mapping[str, str]) -> None:
        if not tags:
            return
        with rejection_as(f"AddTags {resource_arn}"):
            self.client.add_tags(ResourceArn=resource_arn, Tags=as_aws_tags(tags))

    def delete_tags(self, resource_arn: str, keys: list[str]) -> None:
        if not keys:
            return
        with rejection_as(f"DeleteTags {resource_arn}"):
            self.client.delete_tags(ResourceArn=resource_arn, TagKeys=keys)

    # ------------------------------------------------------------------ configs, models
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
            if TAG_DEPLOYMENT_ID not in tags:
                continue  # not created by this control plane
            if tags.get(TAG_ENDPOINT_NAME, endpoint_name) != endpoint_name:
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
