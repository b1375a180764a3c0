"""The SageMaker Model Registry: model packages and their model-quality reports (in S3)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from model_rollout.adapters.accounts import AssumedRoles, account_of, role_arn
from model_rollout.adapters.aws import (
    default_client,
    error_code,
    error_message,
    s3_location,
    throttling_as,
)
from model_rollout.domain.stages import QUARANTINED, LifeCycle
from model_rollout.errors import InvalidMetricsReport, ModelPackageNotFound

MAX_REPORT_BYTES = 10 * 1024 * 1024
STRATEGY_OVERRIDE_KEY = "rollout:strategy"
REGISTRY_ROLE_SUFFIX = "registry-access"


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
    approval_description: str | None = None
    life_cycle: LifeCycle = field(default_factory=LifeCycle)

    @property
    def strategy_override(self) -> str | None:
        return self.customer_metadata.get(STRATEGY_OVERRIDE_KEY)


class ModelRegistry:
    """DescribeModelPackage and UpdateModelPackage (SageMaker client), report reads (S3
    client); both lazy. A package of another account (a shared registry) is reached through
    that account's ``<ResourcePrefix>-registry-access`` role."""

    def __init__(
        self,
        sagemaker: Any | None = None,
        s3: Any | None = None,
        *,
        roles: AssumedRoles | None = None,
        own_account: str | None = None,
        resource_prefix: str | None = None,
    ) -> None:
        self._sagemaker = sagemaker
        self._s3 = s3
        self._roles = roles
        self._own_account = own_account
        self._resource_prefix = resource_prefix

    @property
    def sagemaker(self) -> Any:
        return self._sagemaker if self._sagemaker is not None else default_client("sagemaker")

    @property
    def s3(self) -> Any:
        return self._s3 if self._s3 is not None else default_client("s3")

    def _registry_role(self, arn: str) -> str | None:
        """The role to reach ``arn``'s registry with; ``None`` when it is this account's."""
        account = account_of(arn)
        if not account:
            return None
        from model_rollout.config import settings

        own = self._own_account or settings().stack_account
        if account == own:
            return None
        prefix = self._resource_prefix or settings().resource_prefix
        return role_arn(account, f"{prefix}-{REGISTRY_ROLE_SUFFIX}", arn.split(":")[1])

    def _client(self, service: str, arn: str) -> Any:
        given = self._sagemaker if service == "sagemaker" else self._s3
        if given is not None:
            return given
        role = self._registry_role(arn)
        if role is None:
            return default_client(service)
        if self._roles is None:
            self._roles = AssumedRoles()
        return self._roles.client(service, role)

    def describe(self, model_package_arn: str) -> ModelPackage:
        try:
            with throttling_as(f"describing model package {model_package_arn}"):
                raw = self._client("sagemaker", model_package_arn).describe_model_package(
                    ModelPackageName=model_package_arn
                )
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
            approval_description=raw.get("ApprovalDescription"),
            life_cycle=LifeCycle(
                stage=(raw.get("ModelLifeCycle") or {}).get("Stage"),
                stage_status=(raw.get("ModelLifeCycle") or {}).get("StageStatus"),
                stage_description=(raw.get("ModelLifeCycle") or {}).get("StageDescription"),
            ),
        )

    def _update(self, model_package_arn: str, what: str, **fields: Any) -> None:
        try:
            with throttling_as(f"{what} of model package {model_package_arn}"):
                self._client("sagemaker", model_package_arn).update_model_package(
                    ModelPackageArn=model_package_arn, **fields
                )
        except ClientError as error:
            if error_code(error) in {"ValidationException", "ResourceNotFound"}:
                raise ModelPackageNotFound(
                    f"model package {model_package_arn} cannot be updated ({what}): "
                    f"{error_message(error)}"
                ) from None
            raise

    def record_stage(
        self, model_package_arn: str, *, stage: str, status: str, description: str
    ) -> None:
        """Write a stage's result to the package's ``ModelLifeCycle`` (idempotent)."""
        self._update(
            model_package_arn,
            "recording the stage",
            ModelLifeCycle={"Stage": stage, "StageStatus": status, "StageDescription": description},
        )

    def quarantine(self, model_package_arn: str, *, stage: str, reason: str) -> None:
        """``Rejected`` with the reason as ``ApprovalDescription``; ``ModelLifeCycle`` says
        ``Quarantined`` (idempotent)."""
        self._update(
            model_package_arn,
            "quarantining",
            ModelApprovalStatus="Rejected",
            ApprovalDescription=_clip(f"quarantined: {reason}", 1024),
            ModelLifeCycle={
                "Stage": stage,
                "StageStatus": QUARANTINED,
                "StageDescription": _clip(reason, 1024),
            },
        )

    def approve(
        self, model_package_arn: str, *, description: str, life_cycle: dict[str, str] | None
    ) -> None:
        """Approve the package (a requalification: ``life_cycle`` says who and why)."""
        fields: dict[str, Any] = {
            "ModelApprovalStatus": "Approved",
            "ApprovalDescription": _clip(description, 1024),
        }
        if life_cycle is not None:
            fields["ModelLifeCycle"] = life_cycle
        self._update(model_package_arn, "approving", **fields)

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
                response = self._client("s3", package.arn).get_object(Bucket=bucket, Key=key)
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


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
