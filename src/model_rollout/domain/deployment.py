"""The deployment document: the state that flows through the deploy-model state machine.

ResolvePolicy creates it from the approval event; each later step adds its part at its
``ResultPath`` (see docs/architecture.md). Handlers parse the whole document at the edge and
return only their part.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from model_rollout.domain.policy import Policy, Strategy


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
    # the endpoint's ``rollout:*`` tags (lineage, and the multi-model pointers): what a
    # multi-model rollback restores (model_rollout.modes.multi_model)
    endpoint_tags: dict[str, str] = Field(default_factory=dict)

    def primary_variant(self) -> VariantRef | None:
        """The variant taking the most traffic (the blue side of a blue/green)."""
        return max(self.variants, key=lambda v: v.weight, default=None)


class Limits(Part):
    endpoint_wait_seconds: int = Field(ge=1)
    # how long AcquireEndpointLock waits before it checks a holder's liveness again
    lock_poll_seconds: int = Field(default=300, ge=1)
    # the longest the deployment may hold the endpoint's lock (model_rollout.workflow.locks)
    lock_lease_seconds: int = Field(default=172_800, ge=1)


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


class FixedSetResult(Part):
    """The gate on the fixed validation set (model_rollout.workflow.fixed_set): the policy's metric
    computed from batch transforms of the candidate and of the serving model."""

    dataset: str
    metric: str
    records: int
    candidate_value: float
    baseline_value: float | None = None
    candidate_job: str | None = None
    baseline_job: str | None = None
    passed: bool


class ValidationResult(Part):
    gate: GateResult
    lineage: dict[str, str]
    fixed_set: FixedSetResult | None = None


class MultiModelRelease(Part):
    """A version of a logical model on a multi-model endpoint (model_rollout.modes.multi_model)."""

    model_name: str  # the logical model
    artifact_prefix: str  # s3://bucket/prefix/ (the container's ModelDataUrl)
    target_model: str  # <model_name>-v<version>.tar.gz, relative to the prefix
    artifact_uri: str  # artifact_prefix + target_model
    pointer_tag: str  # rollout:mme-target:<model_name>
    previous_target: str | None = None  # what the pointer named when the deployment started


class Release(Part):
    """The SageMaker resources a deployment creates, all tagged with their lineage."""

    model_name: str
    variant_name: str
    bake_config_name: str
    final_config_name: str
    tags: dict[str, str]
    previous_variant_name: str | None = None
    # shadow strategy: production (blue) plus the candidate as a shadow variant, with data
    # capture on both (model_rollout.strategies.shadow)
    shadow_config_name: str | None = None
    # mode multi_model: the version's artifact and the pointer it moves
    multi_model: MultiModelRelease | None = None


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


class TrafficStep(Part):
    """One traffic step of a progressive strategy (``$.step``; strategies.progressive)."""

    index: int = Field(ge=0)  # 0-based
    count: int = Field(ge=1)
    percent: float  # the new variant's share of traffic, in percent
    weights: dict[str, float]  # the traffic shares asked of the endpoint
    expect: Expectation
    bake_seconds: int = Field(ge=1)  # the step's watch
    watch_seconds: int = Field(ge=1)  # the next watch: the bake, or a low-traffic hold
    started_at: float  # epoch seconds: when the shift was asked for (the step's window)
    held_seconds: int = 0
    verdict: Literal["watching", "hold", "pass"] = "watching"
    last: bool
    invocations: int | None = None  # of the new variant in the step, once checked
    min_invocations: int = 0


class AlarmSet(Part):
    alarm_names: list[str]
    created_alarm_names: list[str] = Field(default_factory=list)


class StepFailure(BaseModel):
    """What a ``Catch`` puts at its ResultPath."""

    model_config = ConfigDict(extra="allow")

    Error: str
    Cause: str | None = None


class ExperimentEnd(BaseModel):
    """How an experiment that keeps the serving model ended: a verdict, not a failure. The
    state machine puts it at ``$.experiment_end`` (RejectShadow, EndShadow, KeepIncumbent) and
    restores the serving model on a path of its own (``model_rollout.domain.experiments``)."""

    model_config = ConfigDict(extra="allow")

    status: Literal["SHADOW_REJECTED", "SHADOW_COMPLETED", "INCUMBENT_KEPT"]
    cause: str | None = None


class Outcome(Part):
    status: Literal[
        "PROMOTED",
        "ROLLED_BACK",
        "ROLLBACK_FAILED",
        "FAILED",
        # experiment verdicts that keep the serving model (model_rollout.domain.experiments)
        "SHADOW_REJECTED",
        "SHADOW_COMPLETED",
        "INCUMBENT_KEPT",
    ]
    error: str | None = None
    cause: str | None = None
    # where the deployment report was written, and approval-to-end seconds (reporting.reports)
    report_url: str | None = None
    duration_seconds: float | None = None


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
    failure: StepFailure | None = None  # failures only (what a Catch caught)
    experiment_end: ExperimentEnd | None = None
    rollback_failure: StepFailure | None = None
    endpoint: dict[str, Any] | None = None
    bake: dict[str, Any] | None = None
    # the FixedSetTransforms runs (candidate, baseline) read by Validate
    fixed_set_runs: list[dict[str, Any]] | None = None
    step: TrafficStep | None = None
    operator_decision: dict[str, Any] | None = None
    # the shadow comparison (CompareShadow) and the A/B evaluation (EvaluateAB)
    shadow: dict[str, Any] | None = None
    ab: dict[str, Any] | None = None
    # autoscaling registrations of the new and the previous variant (steps.variant_scaling)
    scaling: dict[str, Any] | None = None
