"""The deployment document: the state that flows through the deploy-model state machine.

ResolvePolicy creates it from the approval event; each later step adds its part at its
``ResultPath`` (see docs/architecture.md). Handlers parse the whole document at the edge and
return only their part.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from model_rollout.policy import Policy, Strategy


class Part(BaseModel):
    """A part of the document: strict about what it holds."""

    model_config = ConfigDict(extra="forbid")


class VariantRef(Part):
    variant_name: str
    model_name: str
    weight: float = 1.0
    instance_type: str | None = None
    instance_count: int | None = None


class ServingState(Part):
    """What served the endpoint when the deployment started: the rollback target."""

    endpoint_config_name: str
    model_package_arn: str | None = None
    variants: list[VariantRef] = Field(default_factory=list)
    endpoint_status: str | None = None

    def primary_variant(self) -> VariantRef | None:
        """The variant taking the most traffic (the blue side of a blue/green)."""
        return max(self.variants, key=lambda v: v.weight, default=None)


class Limits(Part):
    endpoint_wait_seconds: int = Field(ge=1)


class Approval(Part):
    event_id: str
    event_time: str
    last_modified_time: str | None = None


class GateResult(Part):
    metric: str
    greater_is_better: bool
    candidate_value: float
    baseline_value: float | None = None
    baseline_model_package_arn: str | None = None
    min_value: float | None = None
    max_regression: float | None = None
    passed: bool


class ValidationResult(Part):
    gate: GateResult
    lineage: dict[str, str]


class Release(Part):
    """The SageMaker resources a deployment creates, all tagged with their lineage."""

    model_name: str
    variant_name: str
    bake_config_name: str
    final_config_name: str
    tags: dict[str, str]
    previous_variant_name: str | None = None


class Expectation(Part):
    """What an await state waits for DescribeEndpoint to show."""

    endpoint_config_name: str | None = None
    # traffic shares (0..1) of the named variants, compared against the endpoint's
    # CurrentWeight normalized by the sum of all its variants' weights
    weights: dict[str, float] | None = None
    absent: bool = False
    # met once the endpoint is not changing, whatever its state: nothing was asked of it
    settled: bool = False


class EndpointChange(Part):
    action: str
    expect: Expectation


class AlarmSet(Part):
    alarm_names: list[str]
    created_alarm_names: list[str] = Field(default_factory=list)


class StepFailure(BaseModel):
    """What a ``Catch`` puts at its ResultPath."""

    model_config = ConfigDict(extra="allow")

    Error: str
    Cause: str | None = None


class Outcome(Part):
    status: Literal["PROMOTED", "ROLLED_BACK", "ROLLBACK_FAILED", "FAILED"]
    error: str | None = None
    cause: str | None = None


class Deployment(BaseModel):
    """The whole document; parts are present once their step has run."""

    model_config = ConfigDict(extra="allow")

    deployment_id: str
    execution_arn: str
    model_package_arn: str
    model_package_group: str
    model_package_version: int
    endpoint_name: str
    policy: Policy
    strategy: Strategy
    limits: Limits
    approval: Approval
    previous: ServingState | None = None

    validation: ValidationResult | None = None
    release: Release | None = None
    rollout: EndpointChange | None = None
    alarms: AlarmSet | None = None
    promotion: EndpointChange | None = None
    rollback: EndpointChange | None = None
    restore: EndpointChange | None = None
    failure: StepFailure | None = None
    rollback_failure: StepFailure | None = None
    endpoint: dict[str, Any] | None = None
    bake: dict[str, Any] | None = None
