"""What the two SageMaker adapters share: the client, and reading and deleting the endpoints,
endpoint configs and models they both handle.

``Endpoints`` (model_rollout.adapters.endpoints) changes a live endpoint and cleans up what
this control plane created for it; ``Releases`` (model_rollout.adapters.releases) builds a
release's models and configs and reads what serves an endpoint now. A resource that does
not exist is ``None`` (describe) or ``False`` (delete), as ``aws.is_not_found`` decides.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from model_rollout.adapters.aws import LazyClient, is_not_found, throttling_as


class SageMakerAdapter(LazyClient):
    """A SageMaker client given to the constructor, or the lazy default."""

    service = "sagemaker"

    def describe_endpoint(self, endpoint_name: str) -> dict[str, Any] | None:
        """DescribeEndpoint; ``None`` when the endpoint does not exist."""
        return self._describe("describe_endpoint", EndpointName=endpoint_name)

    def describe_endpoint_config(self, config_name: str) -> dict[str, Any] | None:
        """DescribeEndpointConfig; ``None`` when the config does not exist."""
        return self._describe("describe_endpoint_config", EndpointConfigName=config_name)

    def list_tags(self, resource_arn: str) -> dict[str, str]:
        tags: dict[str, str] = {}
        kwargs: dict[str, Any] = {"ResourceArn": resource_arn}
        while True:
            with throttling_as(f"ListTags {resource_arn}"):
                response = self.client.list_tags(**kwargs)
            tags.update({t["Key"]: t["Value"] for t in response.get("Tags", [])})
            token = response.get("NextToken")
            if not token:
                return tags
            kwargs["NextToken"] = token

    def delete_endpoint_config(self, config_name: str) -> bool:
        """DeleteEndpointConfig; ``False`` when it was already gone."""
        return self._delete("delete_endpoint_config", EndpointConfigName=config_name)

    def delete_model(self, model_name: str) -> bool:
        """DeleteModel; ``False`` when it was already gone."""
        return self._delete("delete_model", ModelName=model_name)

    def _describe(self, operation: str, **name: str) -> dict[str, Any] | None:
        try:
            with throttling_as(f"{api_name(operation)} {next(iter(name.values()))}"):
                response: dict[str, Any] = getattr(self.client, operation)(**name)
        except ClientError as error:
            if is_not_found(error):
                return None
            raise
        response.pop("ResponseMetadata", None)
        return response

    def _delete(self, operation: str, **name: str) -> bool:
        try:
            with throttling_as(f"{api_name(operation)} {next(iter(name.values()))}"):
                getattr(self.client, operation)(**name)
        except ClientError as error:
            if is_not_found(error):
                return False
            raise
        return True


def api_name(operation: str) -> str:
    """``describe_endpoint_config`` → ``DescribeEndpointConfig`` (the API's own name)."""
    return "".join(word.capitalize() for word in operation.split("_"))
