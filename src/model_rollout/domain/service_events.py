"""The AWS service events the control plane reacts to, as EventBridge delivers them."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import BaseModel, ConfigDict, Field


class EndpointStateDetail(BaseModel):
    """``detail`` of "SageMaker Endpoint State Change" (status like ``IN_SERVICE``)."""

    model_config = ConfigDict(extra="allow")

    EndpointName: str
    EndpointStatus: str
    EndpointConfigName: str | None = None
    FailureReason: str | None = None


class EndpointStateChange(EventBridgeModel):
    detail: EndpointStateDetail


class AlarmState(BaseModel):
    model_config = ConfigDict(extra="allow")

    value: str
    reason: str = ""
    reasonData: str | None = None
    timestamp: str | None = None


class AlarmStateDetail(BaseModel):
    """``detail`` of "CloudWatch Alarm State Change"."""

    model_config = ConfigDict(extra="allow")

    alarmName: str
    state: AlarmState
    previousState: AlarmState | None = None
    configuration: dict[str, Any] = Field(default_factory=dict)


class AlarmStateChange(EventBridgeModel):
    detail: AlarmStateDetail
