"""AWS side of multi-model endpoints (model_rollout.modes.multi_model).

- ``ModelArtifacts``: copies a model package's ``model.tar.gz`` to its versioned name under
  the endpoint's artifact prefix (S3 ``CopyObject``), its lineage in the object's metadata.
- ``MultiModelRuntime``: ``InvokeEndpoint`` with ``TargetModel`` (the smoke test).

Throttling becomes ``Throttled`` (the state machine retries with backoff and jitter).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from model_rollout.adapters.aws import (
    LazyClient,
    error_code,
    error_message,
    s3_location,
    throttling_as,
)
from model_rollout.errors import DeploymentFailed


def split_s3_uri(uri: str) -> tuple[str, str]:
    location = s3_location(uri)
    if location is None or not location[1]:
        raise DeploymentFailed(f"{uri!r} is not an s3://bucket/key URI")
    return location


class ModelArtifacts(LazyClient):
    """An S3 client (lazily the default one)."""

    service = "s3"

    def copy(self, source_uri: str, target_uri: str, metadata: Mapping[str, str]) -> None:
        """Copy ``source_uri`` to ``target_uri`` (idempotent: a retry copies it again)."""
        source_bucket, source_key = split_s3_uri(source_uri)
        bucket, key = split_s3_uri(target_uri)
        try:
            with throttling_as(f"CopyObject {source_uri} → {target_uri}"):
                self.client.copy_object(
                    Bucket=bucket,
                    Key=key,
                    CopySource={"Bucket": source_bucket, "Key": source_key},
                    MetadataDirective="REPLACE",
                    Metadata=dict(metadata),
                )
        except ClientError as error:
            raise DeploymentFailed(
                f"copying the model artifact {source_uri} to {target_uri} failed: "
                f"{error_code(error)}: {error_message(error)}"
            ) from error


@dataclass(frozen=True)
class Answer:
    """What an InvokeEndpoint answered: 200 and a body, or SageMaker's error."""

    ok: bool
    body: bytes = b""
    error_code: str = ""
    error_message: str = ""
    original_status: int | None = None


class MultiModelRuntime(LazyClient):
    """A SageMaker Runtime client (lazily the default one)."""

    service = "sagemaker-runtime"

    def invoke(self, endpoint_name: str, target_model: str, body: str, content_type: str) -> Answer:
        try:
            with throttling_as(f"InvokeEndpoint {endpoint_name} TargetModel={target_model}"):
                response: dict[str, Any] = self.client.invoke_endpoint(
                    EndpointName=endpoint_name,
                    TargetModel=target_model,
                    ContentType=content_type,
                    Body=body.encode(),
                )
        except ClientError as error:
            status = error.response.get("OriginalStatusCode")
            return Answer(
                ok=False,
                error_code=error_code(error),
                error_message=error_message(error),
                original_status=int(status) if status is not None else None,
            )
        return Answer(ok=True, body=response["Body"].read())
