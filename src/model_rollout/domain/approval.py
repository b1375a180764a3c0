"""The approval event: a "SageMaker Model Package State Change" into ``Approved``.

Only a transition *into* Approved starts a deployment (the EventBridge rule filters on it;
this parser checks it again, so a direct invocation cannot bypass it). The exactly-once key
of an approval is (ModelPackageArn, LastModifiedTime), falling back to the event's time
when a delivery lacks LastModifiedTime: duplicate deliveries of one change share it, a later
re-approval of the same version (after a rejection) does not.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from model_rollout.domain.deployment import Approval
from model_rollout.domain.model import describe_errors
from model_rollout.errors import InvalidEvent

DETAIL_TYPE = "SageMaker Model Package State Change"
SOURCE = "aws.sagemaker"
APPROVED = "Approved"


class ModelPackageStateChange(BaseModel):
    """The ``detail`` of the event (only the fields the control plane uses are typed)."""

    model_config = ConfigDict(extra="allow")

    ModelPackageArn: str = Field(min_length=1)
    ModelPackageGroupName: str = Field(min_length=1)
    ModelPackageVersion: int = Field(ge=1)
    ModelApprovalStatus: str
    UpdatedModelPackageFields: list[str] | None = None
    LastModifiedTime: str | None = None
    CreationTime: str | None = None

    @field_validator("LastModifiedTime", "CreationTime", mode="before")
    @classmethod
    def _time_as_text(cls, value: Any) -> Any:
        # Kept verbatim (it is part of the exactly-once key); epoch numbers become text.
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        return value


class ModelPackageStateChangeEvent(EventBridgeModel):
    detail: ModelPackageStateChange


class ApprovedPackage(BaseModel):
    """What a valid approval event tells the control plane."""

    model_config = ConfigDict(frozen=True)

    model_package_arn: str
    model_package_group: str
    model_package_version: int
    event_id: str
    event_time: str
    last_modified_time: str | None = None

    @property
    def dedup_key(self) -> str:
        return f"{self.model_package_arn}@{self.last_modified_time or self.event_time}"

    def approval(self) -> Approval:
        return Approval(
            event_id=self.event_id,
            event_time=self.event_time,
            last_modified_time=self.last_modified_time,
        )


def _utc_text(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_approval_event(raw: Any) -> ApprovedPackage:
    """Parse an EventBridge event; anything but a model package approval is ``InvalidEvent``."""
    if not isinstance(raw, dict):
        raise InvalidEvent(
            f"the triggering event is not a JSON object but {type(raw).__name__}; expected an "
            f"EventBridge '{DETAIL_TYPE}' event"
        )
    detail_type = raw.get("detail-type")
    if detail_type != DETAIL_TYPE:
        raise InvalidEvent(
            f"the triggering event has detail-type {detail_type!r}; expected {DETAIL_TYPE!r}"
        )
    source = raw.get("source")
    if source != SOURCE:
        raise InvalidEvent(f"the triggering event has source {source!r}; expected {SOURCE!r}")
    try:
        event = ModelPackageStateChangeEvent.model_validate(raw)
    except ValidationError as error:
        raise InvalidEvent(
            f"the '{DETAIL_TYPE}' event (id {raw.get('id')!r}) is malformed: "
            f"{describe_errors(error)}"
        ) from None
    detail = event.detail
    if detail.ModelApprovalStatus != APPROVED:
        raise InvalidEvent(
            f"model package {detail.ModelPackageArn} has ModelApprovalStatus "
            f"{detail.ModelApprovalStatus!r}; only a transition into {APPROVED!r} starts a "
            "deployment"
        )
    updated = detail.UpdatedModelPackageFields
    if updated is not None and "ModelApprovalStatus" not in updated:
        fields = ", ".join(updated) or "no fields"
        raise InvalidEvent(
            f"model package {detail.ModelPackageArn} was updated ({fields}) without an approval "
            f"change; only a transition into {APPROVED!r} starts a deployment"
        )
    return ApprovedPackage(
        model_package_arn=detail.ModelPackageArn,
        model_package_group=detail.ModelPackageGroupName,
        model_package_version=detail.ModelPackageVersion,
        event_id=event.id,
        event_time=_utc_text(event.time),
        last_modified_time=detail.LastModifiedTime,
    )


def describe_raw_event(raw: Any) -> dict[str, Any]:
    """Best-effort facts about an event that may be malformed (for failure records)."""
    if not isinstance(raw, dict):
        return {}
    facts: dict[str, Any] = {}
    if isinstance(raw.get("id"), str):
        facts["event_id"] = raw["id"]
    detail = raw.get("detail")
    if isinstance(detail, dict):
        for key, name in (
            ("ModelPackageArn", "model_package_arn"),
            ("ModelPackageGroupName", "model_package_group"),
            ("ModelPackageVersion", "model_package_version"),
        ):
            value = detail.get(key)
            if isinstance(value, str | int) and not isinstance(value, bool):
                facts[name] = value
    return facts
