"""The deployment document: the state that flows through the deploy-model state machine.

ResolvePolicy creates it from the approval event; each later step adds its part at its
``ResultPath`` (see docs/architecture.md). Handlers parse the whole document at the edge and
return only their part.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import (
    Field,
    ModelWrapValidatorHandler,
    computed_field,
    model_validator,
)

from model_rollout.domain.lineage import TAG_PREFIX
from model_rollout.domain.model import Strict
from model_rollout.domain.policy import Policy, Strategy
from model_rollout.domain.stages import StagePromotionResult, StageRecord, StageRun

MULTI_MODEL_POINTER_PREFIX = f"{TAG_PREFIX}mme-target:"


class Part(Strict):
    """A part of the document: strict about what it holds.

    Unknown fields are an error. A derived value is a ``computed_field``: it is in the JSON
    (the state machine's JSONPaths read some of them), and when the JSON is read back it must
    equal the value computed from the other fields; it is never stored.
    """

    @model_validator(mode="wrap")
    @classmethod
    def _derived_values_agree(cls, data: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
        given: dict[str, Any] = {}
        if isinstance(data, dict):
            derived = cls.model_computed_fields.keys() & data.keys()
            given = {name: data[name] for name in derived}
            data = {k: v for k, v in data.items() if k not in derived}
        model = handler(data)
        for name, value in given.items():
            computed = getattr(model, name)
            as_json = model.model_dump(mode="json", include={name}).get(name)
            if value != computed and value != as_json:
                raise ValueError(
                    f"{name} is derived from the other fields ({as_json!r}), not {value!r}"
                )
        return model


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
    # the longest the deployment may hold the endpoint's lock (model_rollout.steps.endpoint_lock)
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
    """The gate on the fixed validation set (model_rollout.steps.fixed_set): the policy's metric
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
    previous_target: str | None = None  # what the pointer named when the deployment started

    @computed_field  # type: ignore[prop-decorator]
    @property
    def artifact_uri(self) -> str:
        return self.artifact_prefix + self.target_model

    @computed_field  # type: ignore[prop-decorator]
    @property
    def pointer_tag(self) -> str:
        """The endpoint tag naming the version the endpoint serves for the logical model."""
        return f"{MULTI_MODEL_POINTER_PREFIX}{self.model_name}"


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


class StepLook(Part):
    """The step judge's latest look in a step (``$.step.judge``; strategies.progressive)."""

    look: int  # 1 for the step's first
    watched_seconds: int  # the step's watches so far, this one included
    new_invocations: float
    new_errors: float
    old_invocations: float
    old_errors: float
    error_rate_increase: float  # new minus old (each with one error and one success added)
    confidence_sequence: list[float]  # of the increase, valid at every look
    verdict: Literal["worse", "not_worse", "lacking"]


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
    invocations: int | None = None  # of the new variant in the step, once checked
    min_invocations: int = 0
    judge: StepLook | None = None  # the step judge's latest look (policy ``judge``)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def last(self) -> bool:
        """The last step (the state machine's Choice reads ``$.step.last``)."""
        return self.index == self.count - 1


class AlarmSet(Part):
    alarm_names: list[str]
    created_alarm_names: list[str] = Field(default_factory=list)


class StepFailure(Part):
    """What a ``Catch`` puts at its ResultPath (exactly ``Error`` and ``Cause``), and what the
    state machine's Pass states put at ``$.failure`` in the same shape."""

    Error: str
    Cause: str | None = None


class EndpointVariantSummary(Part):
    variant_name: str
    current_weight: float | None = None
    desired_weight: float | None = None
    instance_count: int | None = None


class EndpointSummary(Part):
    """``$.endpoint``: what DescribeEndpoint showed when an await state was released
    (``model_rollout.domain.expectation.summarize``)."""

    endpoint_name: str | None = None  # None: the endpoint does not exist
    endpoint_config_name: str | None = None
    status: str | None = None
    variants: list[EndpointVariantSummary] = Field(default_factory=list)
    failure_reason: str | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def exists(self) -> bool:
        return self.endpoint_name is not None


class OperatorDecision(Part):
    """What an operator's promote or approve sends to the waiting state (``$.bake`` of a
    watch, ``$.operator_decision`` of an approval; model_rollout.steps.decisions)."""

    decision: Literal["promote", "approve"]
    reason: str
    point: Literal["watch", "approval"]


# ``$.bake``: a watch ends by its deadline (the ``States.Timeout`` Catch: Error and Cause) or
# by an operator's promote; an alarm or an abort fails it instead (``$.failure``)
BakeEnd = OperatorDecision | StepFailure


class LockGrant(Part):
    """``$.lock``: the endpoint's lock, granted (model_rollout.steps.endpoint_lock)."""

    holder: str
    acquired_at: str
    lease_expires_at: int  # epoch seconds
    replaced: str | None = None  # the stale holder the grant replaced


class BatchOutcome(Part):
    """The batch transform execution's output (its ``$.outcome``; steps.batch)."""

    status: Literal["Completed", "Failed"]
    error: str | None = None
    cause: str | None = None
    job_name: str | None = None
    job_arn: str | None = None
    model_package_arn: str | None = None
    endpoint_name: str | None = None
    input_s3_uri: str | None = None
    output_s3_uri: str | None = None
    content_type: str | None = None
    outputs: list[str] = Field(default_factory=list)
    model_deleted: bool = False


class FixedSetRun(Part):
    """One branch of FixedSetTransforms (``$.fixed_set_runs[]``): the batch transform of the
    candidate or of the serving model on the fixed validation set."""

    role: Literal["candidate", "baseline"]
    status: Literal["SUCCEEDED", "FAILED", "SKIPPED"]
    execution_arn: str | None = None  # SUCCEEDED
    outcome: BatchOutcome | None = None  # SUCCEEDED
    failure: StepFailure | None = None  # FAILED


class ShadowWindow(Part):
    """``$.shadow`` while the shadow runs: when its window started (the ShadowWindow state)."""

    started_at: str


class ShadowCheck(Part):
    name: str
    value: float | None
    threshold: float
    passed: bool


class ShadowResult(Part):
    """``$.shadow`` once CompareShadow ran (model_rollout.strategies.shadow)."""

    started_at: str
    ended_at: str
    cause: str
    then: str | None  # the follow-up strategy's type
    pairs: int  # paired requests compared
    checks: list[ShadowCheck]
    report_url: str | None
    summary_url: str | None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def verdict(self) -> Literal["accepted", "rejected"]:
        return "accepted" if all(check.passed for check in self.checks) else "rejected"


class ABArm(Part):
    variant: str
    count: float
    mean: float
    std: float
    interval: list[float]


class ABArms(Part):
    incumbent: ABArm
    challenger: ABArm


class SampleRatioCheck(Part):
    observed: list[float]
    expected_shares: list[float]
    chi2: float
    p_value: float


class ABTest(Part):
    name: str
    statistic: float
    df: float | None = None  # Welch t only


class ABLift(Part):
    absolute: float
    absolute_ci: list[float]
    relative: float | None
    relative_ci: list[float] | None


class CupedAdjustment(Part):
    """CUPED applied to an A/B evaluation (``$.ab.cuped``; strategies.ab.cuped)."""

    covariate: str | None
    applied: bool
    note: str | None = None  # why it was not applied
    theta: float | None = None
    correlation: float | None = None
    variance_reduction: float | None = None  # 1 - the adjusted lift's variance / unadjusted
    unadjusted_means: dict[str, float] | None = None


class StalenessPoint(Part):
    """One A/B test of the endpoint: the incumbent's age and the challenger's lift."""

    started_at: str | None
    incumbent_age_days: float | None
    relative_lift: float | None
    verdict: str | None


class SequentialLook(Part):
    """A look of the sequential A/B test (``ab.test: sequential``): the mixture SPRT."""

    look: int  # 1 for the first evaluation of the test
    log_likelihood_ratio: float | None  # None while a variant has fewer than two units
    p_value: float  # always valid: the smallest 1/Λ over the looks so far
    mixing_variance: float | None  # τ² (model_rollout.domain.stats.normal_mixture_test)
    confidence_sequence: list[float] | None  # of the absolute lift, valid at every look


class ABResult(Part):
    """``$.ab``: the A/B evaluation (model_rollout.strategies.ab): the statistics, and the
    verdict, or the next look (``extend``: watch again for ``extend_seconds``)."""

    metric: str
    namespace: str
    kind: Literal["conversion", "continuous"]
    alpha: float
    weights: dict[str, float]
    started_at: str
    ended_at: str
    result_key: str  # <started_at>#<deployment id>: the key in the A/B results table
    variants: ABArms
    srm: SampleRatioCheck | None = None  # None when no unit was counted
    test: ABTest | None = None  # None with fewer than two units in a variant
    lift: ABLift | None
    p_value: float | None
    elapsed_seconds: float
    verdict: Literal[
        "extend",
        "invalid_srm",
        "insufficient_data",
        "challenger_wins",
        "incumbent_wins",
        "inconclusive",
    ]
    extended: bool
    extend_seconds: int | None = None  # verdict "extend"
    test_kind: Literal["sequential", "fixed"] = "fixed"
    sequential: SequentialLook | None = None  # test_kind sequential
    cuped: CupedAdjustment | None = None  # metric.covariate set
    incumbent_created_at: str | None = None  # the incumbent package's CreationTime
    # a verdict: every test of the endpoint so far (the last 50), for the report's chart
    staleness: list[StalenessPoint] | None = None
    cause: str
    # a verdict (not an extension) is kept in the results table with these
    deployment_id: str | None = None
    challenger_package_arn: str | None = None
    incumbent_package_arn: str | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def srm_p_value(self) -> float | None:
        return self.srm.p_value if self.srm is not None else None


class ExperimentEnd(Part):
    """How an experiment that keeps the serving model ended: a verdict, not a failure. The
    state machine puts it at ``$.experiment_end`` (RejectShadow, EndShadow, KeepIncumbent) and
    restores the serving model on a path of its own (``model_rollout.domain.experiments``)."""

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


ABORTED = "ABORTED"  # RecoverEndpoint: a deployment that died on the endpoint, undone
# a deployment record with one of these statuses is final: no step changes it again
FINAL_RECORD_STATUSES = frozenset(get_args(Outcome.model_fields["status"].annotation)) | {ABORTED}


class Deployment(Part):
    """The whole document; parts are present once their step has run. Every ResultPath of
    the deploy-model state machine is a field here (tests/unit/test_document_paths.py)."""

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
    # a staged policy: the stage this deployment is (model_rollout.domain.stages)
    stage: StageRun | None = None

    lock: LockGrant | None = None
    recovery: EndpointChange | None = None
    # the FixedSetTransforms runs (candidate, baseline) read by Validate
    fixed_set_runs: list[FixedSetRun] | None = None
    validation: ValidationResult | None = None
    release: Release | None = None
    rollout: EndpointChange | None = None
    # the last await state's view of the endpoint
    endpoint: EndpointSummary | None = None
    alarms: AlarmSet | None = None
    bake: BakeEnd | None = None
    step: TrafficStep | None = None
    operator_decision: OperatorDecision | None = None
    approval_timeout: StepFailure | None = None
    # the shadow's window, then its comparison (CompareShadow)
    shadow: ShadowResult | ShadowWindow | None = None
    # the A/B evaluation (EvaluateAB)
    ab: ABResult | None = None
    promotion: EndpointChange | None = None
    rollback: EndpointChange | None = None
    restore: EndpointChange | None = None
    failure: StepFailure | None = None  # failures only (what a Catch caught)
    experiment_end: ExperimentEnd | None = None
    rollback_failure: StepFailure | None = None
    outcome: Outcome | None = None
    # RecordStage: the stage's result in the registry; PromoteStage: the promotion sent
    stage_record: StageRecord | None = None
    stage_promotion: StagePromotionResult | None = None
