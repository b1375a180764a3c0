"""Asynchronous inference adapters: the requests table, the runtime and S3.

Items of the requests table, keyed by ``request_id`` (the InferenceId): ``endpoint_name``,
``status`` (Submitted / Completed / Failed), ``input_location``, ``output_location``,
``failure_location``, ``failure_reason``, ``submitted_at``, ``completed_at``, ``expires_at``
(the table's TTL). A notification may arrive before the submitter wrote its item: results
are written with UpdateItem (an upsert), submissions never overwrite a result.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from model_rollout.adapters.aws import (
    LazyClient,
    default_client,
    error_code,
    is_not_found,
    throttling_as,
)
from model_rollout.adapters.dynamodb import from_item, to_item
from model_rollout.adapters.variant_scaling import VariantScaling
from model_rollout.config import async_requests_settings


class AsyncRequests(LazyClient):
    service = "dynamodb"

    def __init__(self, client: Any | None = None, *, table_name: str | None = None) -> None:
        super().__init__(client)
        self._table_name = table_name

    @property
    def table(self) -> str:
        return self._table_name or async_requests_settings().async_requests_table

    def put_submitted(self, record: Mapping[str, Any], *, ttl_seconds: int) -> None:
        values = {k: v for k, v in record.items() if v is not None and k != "request_id"}
        values["expires_at"] = int(time.time()) + ttl_seconds
        # a result that arrived first keeps its status
        status = values.pop("status")
        names = {f"#{k}": k for k in [*values, "status"]}
        sets = [f"#{k} = :{k}" for k in values] + ["#status = if_not_exists(#status, :status)"]
        attributes = to_item({**{f":{k}": v for k, v in values.items()}, ":status": status})
        with throttling_as(f"UpdateItem {record['request_id']}"):
            self.client.update_item(
                TableName=self.table,
                Key={"request_id": {"S": str(record["request_id"])}},
                UpdateExpression="SET " + ", ".join(sets),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=attributes,
            )

    def record_result(self, record: Mapping[str, Any]) -> None:
        values = {k: v for k, v in record.items() if v not in (None, "") and k != "request_id"}
        names = {f"#{k}": k for k in values}
        with throttling_as(f"UpdateItem {record['request_id']}"):
            self.client.update_item(
                TableName=self.table,
                Key={"request_id": {"S": str(record["request_id"])}},
                UpdateExpression="SET " + ", ".join(f"#{k} = :{k}" for k in values),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=to_item({f":{k}": v for k, v in values.items()}),
            )

    def get(self, request_id: str) -> dict[str, Any] | None:
        with throttling_as(f"GetItem {request_id}"):
            item = self.client.get_item(
                TableName=self.table, Key={"request_id": {"S": request_id}}, ConsistentRead=True
            ).get("Item")
        if not item:
            return None
        plain = from_item(item)
        plain.pop("expires_at", None)
        return plain


class AsyncRuntime:
    """SageMaker (DescribeEndpoint), SageMaker Runtime (InvokeEndpointAsync) and S3
    (HeadObject) clients, each lazily the default one."""

    def __init__(
        self, sagemaker: Any | None = None, runtime: Any | None = None, s3: Any | None = None
    ) -> None:
        self._sagemaker, self._runtime, self._s3 = sagemaker, runtime, s3

    @property
    def sagemaker(self) -> Any:
        return self._sagemaker or default_client("sagemaker")

    @property
    def runtime(self) -> Any:
        return self._runtime or default_client("sagemaker-runtime")

    @property
    def s3(self) -> Any:
        return self._s3 or default_client("s3")

    def object_size(self, uri: str) -> int | None:
        bucket, _, key = uri[5:].partition("/")
        try:
            with throttling_as(f"HeadObject {uri}"):
                return int(self.s3.head_object(Bucket=bucket, Key=key)["ContentLength"])
        except ClientError as error:
            if error_code(error) in {"404", "NoSuchKey", "NotFound", "NoSuchBucket", "403"}:
                return None
            raise

    def is_async_endpoint(self, endpoint_name: str) -> bool:
        try:
            with throttling_as(f"DescribeEndpoint {endpoint_name}"):
                described = self.sagemaker.describe_endpoint(EndpointName=endpoint_name)
        except ClientError as error:
            # absent, or a name SageMaker rejects: either way not an asynchronous endpoint
            if is_not_found(error) or error_code(error) == "ValidationException":
                return False
            raise
        return bool(described.get("AsyncInferenceConfig"))

    def invoke_async(
        self,
        endpoint_name: str,
        input_location: str,
        *,
        content_type: str,
        accept: str | None,
        inference_id: str,
    ) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "EndpointName": endpoint_name,
            "InputLocation": input_location,
            "ContentType": content_type,
            "InferenceId": inference_id,
        }
        if accept:
            kwargs["Accept"] = accept
        with throttling_as(f"InvokeEndpointAsync {endpoint_name}"):
            response: dict[str, Any] = self.runtime.invoke_endpoint_async(**kwargs)
        return response


# Application Auto Scaling has one adapter: model_rollout.adapters.variant_scaling (this
# name stays for the function that imports it from here)
AsyncScaling = VariantScaling
