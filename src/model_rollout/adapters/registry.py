"""The SageMaker Model Registry: model packages and their model-quality reports (in S3)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from model_rollout.adapters.aws import (
    default_client,
    error_code,
    error_message,
    s3_location,
    throttling_as,
)
from model_rollout.errors import InvalidMetricsReport, ModelPackageNotFound

MAX_REPORT_BYTES = 10 * 1024 * 1024
STRATEGY_OVERRIDE_KEY = "rollout:strategy"


@dataclass(frozen=True)
class ModelPackage:
    """What the control plane reads from ``DescribeModelPackage``."""

    arn: str
    group: str | None
    version: int | None
    approval_status: str | None
    status: str | None
    customer_metadata: dict[str, str] = field(default_factory=dict)
    model_quality_uri: str | None = None
    created_at: float | None = None  # CreationTime, epoch seconds

    @property
    def strategy_override(self) -> str | None:
        return self.customer_metadata.get(STRATEGY_OVERRIDE_KEY)


class ModelRegistry:
    """DescribeModelPackage (SageMaker client) and report reads (S3 client); both lazy."""

    def __init__(self, sagemaker: Any | None = None, s3: Any | None = None) -> None:
        self._sagemaker = sagemaker
        self._s3 = s3

    @property
    def sagemaker(self) -> Any:
        return self._sagemaker if self._sagemaker is not None else default_client("sagemaker")

    @property
    def s3(self) -> Any:
        return self._s3 if self._s3 is not None else default_client("s3")

    def describe(self, model_package_arn: str) -> ModelPackage:
        try:
            with throttling_as(f"describing model package {model_package_arn}"):
                raw = self.sagemaker.describe_model_package(ModelPackageName=model_package_arn)
        except ClientError as error:
            if error_code(error) in {"ValidationException", "ResourceNotFound"}:
                raise ModelPackageNotFound(
                    f"model package {model_package_arn} cannot be described: {error_message(error)}"
                ) from None
            raise
        statistics = raw.get("ModelMetrics", {}).get("ModelQuality", {}).get("Statistics", {})
        version = raw.get("ModelPackageVersion")
        return ModelPackage(
            arn=str(raw.get("ModelPackageArn") or model_package_arn),
            group=raw.get("ModelPackageGroupName"),
            version=int(version) if version is not None else None,
            approval_status=raw.get("ModelApprovalStatus"),
            status=raw.get("ModelPackageStatus"),
            customer_metadata={
                str(k): str(v) for k, v in (raw.get("CustomerMetadataProperties") or {}).items()
            },
            model_quality_uri=statistics.get("S3Uri") or None,
            created_at=raw["CreationTime"].timestamp()
            if hasattr(raw.get("CreationTime"), "timestamp")
            else None,
        )

    def created_at(self, model_package_arn: str) -> float | None:
        """The package's CreationTime (epoch seconds); ``None`` when it cannot be read (e.g.
        a registry in another account that does not share it): an age is informative only."""
        try:
            return self.describe(model_package_arn).created_at
        except (ModelPackageNotFound, ClientError):
            return None

    def quality_report(self, package: ModelPackage) -> dict[str, Any]:
        """The package's model-quality report (JSON object); ``InvalidMetricsReport`` if it is
        missing, unreadable or not a JSON object."""
        uri = package.model_quality_uri
        if not uri:
            raise InvalidMetricsReport(
                f"model package {package.arn} has no model quality report "
                "(ModelMetrics.ModelQuality.Statistics.S3Uri); register it with one"
            )
        location = s3_location(uri)
        if location is None or not location[1].strip("/"):
            raise InvalidMetricsReport(
                f"the model quality report of {package.arn} is not an s3:// object URI: {uri}"
            )
        bucket, key = location
        try:
            with throttling_as(f"reading model quality report {uri}"):
                response = self.s3.get_object(Bucket=bucket, Key=key)
                body = response["Body"].read(MAX_REPORT_BYTES + 1)
        except ClientError as error:
            raise InvalidMetricsReport(
                f"the model quality report {uri} of {package.arn} cannot be read: "
                f"{error_code(error) or 'error'}: {error_message(error)}"
            ) from None
        if len(body) > MAX_REPORT_BYTES:
            raise InvalidMetricsReport(
                f"the model quality report {uri} of {package.arn} is larger than "
                f"{MAX_REPORT_BYTES} bytes"
            )
        try:
            report = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise InvalidMetricsReport(
                f"the model quality report {uri} of {package.arn} is not JSON: {error}"
            ) from None
        if not isinstance(report, dict):
            raise InvalidMetricsReport(
                f"the model quality report {uri} of {package.arn} is not a JSON object "
                f"but {type(report).__name__}"
            )
        return report
