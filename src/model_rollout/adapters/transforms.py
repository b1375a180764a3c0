"""SageMaker transform jobs and their S3 outputs.

- ``create_job``: ``CreateTransformJob``; ``False`` when a job of that name exists already
  (a retried step finds its own job).
- ``describe_job``: ``DescribeTransformJob``, or ``None`` when there is no such job.
- ``list_outputs``: the ``.out`` objects under a job's output prefix.
- ``read_text``: an S3 object as text (the joined outputs the fixed-set gate scores).

Throttling becomes ``Throttled`` (the state machine retries with backoff and jitter).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from model_rollout.adapters.aws import (
    default_client,
    error_code,
    error_message,
    s3_location,
    throttling_as,
)
from model_rollout.errors import InvalidBatchRequest, TransformFailed

MAX_OUTPUT_BYTES = 512 * 1024 * 1024


def split_s3_uri(uri: str) -> tuple[str, str]:
    location = s3_location(uri)
    if location is None:
        raise InvalidBatchRequest(f"{uri!r} is not an s3://bucket/key URI")
    return location


class Transforms:
    """A SageMaker and an S3 client (each lazily the default one)."""

    def __init__(self, sagemaker: Any | None = None, s3: Any | None = None) -> None:
        self._sagemaker = sagemaker
        self._s3 = s3

    @property
    def sagemaker(self) -> Any:
        return self._sagemaker if self._sagemaker is not None else default_client("sagemaker")

    @property
    def s3(self) -> Any:
        return self._s3 if self._s3 is not None else default_client("s3")

    def create_job(self, request: dict[str, Any]) -> bool:
        name = request["TransformJobName"]
        try:
            with throttling_as(f"CreateTransformJob {name}"):
                self.sagemaker.create_transform_job(**request)
        except ClientError as error:
            message = error_message(error).lower()
            if error_code(error) in {"ValidationException", "ResourceInUse"} and (
                "already exist" in message or "must be unique" in message
            ):
                return False
            if error_code(error) == "ValidationException":
                raise TransformFailed(
                    f"CreateTransformJob {name} was rejected: {error_message(error)}"
                ) from None
            raise
        return True

    def describe_job(self, job_name: str) -> dict[str, Any] | None:
        try:
            with throttling_as(f"DescribeTransformJob {job_name}"):
                response: dict[str, Any] = self.sagemaker.describe_transform_job(
                    TransformJobName=job_name
                )
        except ClientError as error:
            if "could not find" in error_message(error).lower():
                return None
            raise
        return response

    def list_outputs(self, output_uri: str) -> list[str]:
        bucket, prefix = split_s3_uri(output_uri)
        prefix = prefix.rstrip("/") + "/" if prefix else ""
        found: list[str] = []
        kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
        while True:
            with throttling_as(f"ListObjectsV2 {output_uri}"):
                page = self.s3.list_objects_v2(**kwargs)
            found += [
                f"s3://{bucket}/{o['Key']}"
                for o in page.get("Contents", [])
                if o["Key"].endswith(".out")
            ]
            if not page.get("IsTruncated"):
                return sorted(found)
            kwargs["ContinuationToken"] = page["NextContinuationToken"]

    def read_text(self, uri: str) -> str:
        bucket, key = split_s3_uri(uri)
        with throttling_as(f"GetObject {uri}"):
            body = self.s3.get_object(Bucket=bucket, Key=key)["Body"].read(MAX_OUTPUT_BYTES + 1)
        if len(body) > MAX_OUTPUT_BYTES:
            raise InvalidBatchRequest(f"{uri} is larger than {MAX_OUTPUT_BYTES} bytes")
        return str(body.decode("utf-8"))
