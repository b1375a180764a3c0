"""Asynchronous inference adapters: the requests table, the runtime and S3, autoscaling.

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

from model_rollout.adapters.aws import LazyClient, default_client, error_code, throttling_as
from model_rollout.config import async_requests_settings


def _attr(value: Any) -> dict[str, Any]:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"N": str(value)}
    return {"S": str(value)}


def _plain(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (v.get("S") if "S" in v else float(v["N"])) for k, v in item.items()}


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
        attributes = {f":{k}": _attr(v) for k, v in values.items()} | {":status": _attr(status)}
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
                ExpressionAttributeValues={f":{k}": _attr(v) for k, v in values.items()},
            )

    def get(self, request_id: str) -> dict[str, Any] | None:
        with throttling_as(f"GetItem {request_id}"):
            item = self.client.get_item(
                TableName=self.table, Key={"request_id": {"S": request_id}}, ConsistentRead=True
            ).get("Item")
        if not item:
            return None
        plain = _plain(item)
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
            if error_code(error) in {"ValidationException", "ResourceNotFound"}:
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


class AsyncScaling(LazyClient):
    """Application Auto Scaling (and CloudWatch for the scale-from-zero alarm)."""

    service = "application-autoscaling"

    def __init__(self, client: Any | None = None, cloudwatch: Any | None = None) -> None:
        super().__init__(client)
        self._cloudwatch = cloudwatch

    @property
    def cloudwatch(self) -> Any:
        return self._cloudwatch or default_client("cloudwatch")

    def apply(self, plan: Mapping[str, Any]) -> dict[str, Any]:
        """Register the target and its policies; the step policy is the alarm's action."""
        with throttling_as(f"RegisterScalableTarget {plan['target']['ResourceId']}"):
            self.client.register_scalable_target(**plan["target"])
            self.client.put_scaling_policy(**plan["backlog_policy"])
            step = self.client.put_scaling_policy(**plan["from_zero_policy"])
            self.cloudwatch.put_metric_alarm(
                **plan["from_zero_alarm"], AlarmActions=[step["PolicyARN"]]
            )
        return {
            "resource_id": plan["target"]["ResourceId"],
            "min_capacity": plan["target"]["MinCapacity"],
            "max_capacity": plan["target"]["MaxCapacity"],
            "policies": [
                plan["backlog_policy"]["PolicyName"],
                plan["from_zero_policy"]["PolicyName"],
            ],
        }
