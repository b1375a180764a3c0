"""The deployment policy of a model package group (SSM: <prefix><ModelPackageGroupName>).

Unknown fields are an error, never ignored: a misspelt threshold must not silently become
the default.
"""

from __future__ import annotations

import json
from abc import abstractmethod
from itertools import pairwise
from typing import Annotated, Any, ClassVar, Literal

from pydantic import ConfigDict, Field, ValidationError, model_validator

from model_rollout.domain.model import Strict, describe_errors
from model_rollout.errors import InvalidPolicy


class StrictModel(Strict):
    """A part of a policy: strict, and frozen."""

    model_config = ConfigDict(frozen=True)


# below this, a share of traffic is the same as the next one (linear plans)
_EPSILON = 1e-9


class StrategyModel(StrictModel):
    """What every strategy answers, whatever its type: the steps ask these, not the type.

    A new strategy is a subclass here (a member of ``Strategy``) that says how its traffic
    moves; what it computes beyond that (a comparison, a test) is its module in
    ``model_rollout.strategies``.
    """

    # walks its traffic plan step by step (NextStep, WatchStep, CheckStep)
    progressive: ClassVar[bool] = False
    # the bake config provisions green at weight 0 beside blue; traffic moves at step one
    green_starts_at_zero: ClassVar[bool] = False

    def traffic_plan(self) -> list[float]:
        """The new variant's share of traffic (percent) at each step, when a model serves
        already; a first deployment takes all traffic at once."""
        return [100.0]

    @abstractmethod
    def step_seconds(self) -> int:
        """How long each step (or the bake) is watched."""

    def bake_strategy(self) -> StrategyModel | None:
        """The strategy whose starting weights the release's bake config follows."""
        return self

    def shadow_share(self) -> float | None:
        """The share of production requests copied to a shadow variant (shadow only)."""
        return None


class AllAtOnceStrategy(StrategyModel):
    """Blue/green: all traffic to green at once; blue stays provisioned at weight 0 until
    the bake passes, so a rollback is a weight shift."""

    type: Literal["all_at_once"] = "all_at_once"
    bake_seconds: int = Field(
        default=600,
        ge=1,
        le=86_400,
        description="How long the new model is watched before blue is removed.",
    )

    def step_seconds(self) -> int:
        return self.bake_seconds


class StepJudge(StrictModel):
    """The sequential canary judge of each step where both variants serve (docs: strategies,
    "The step judge"): the new variant's 5XX error rate against the old one's on the same
    traffic, at every look; alarms stay the hard guard."""

    look_seconds: int = Field(
        default=60,
        ge=1,
        le=86_400,
        description="Time between two looks within a step (at most the step's watch). On AWS, "
        "`AWS/SageMaker` metrics are per minute: 60 s or more.",
    )
    max_error_rate_increase: float = Field(
        default=0.01,
        ge=0,
        lt=1,
        description="The tolerated increase of the error rate (absolute: 0.01 is one point): "
        "the step fails as soon as the new variant is worse by more, with confidence; it "
        "passes when the evidence says it is not.",
    )
    alpha: float = Field(
        default=0.05, gt=0, lt=0.5, description="1 - the confidence of the judge's verdicts."
    )
    tuned_at_invocations: int = Field(
        default=1000,
        ge=10,
        description="The new variant's invocations where the judge is sharpest (its mixture "
        "is tuned there).",
    )


class ProgressiveStrategy(StrategyModel):
    """Common fields of the strategies that move traffic in steps (canary, linear): the
    low-traffic guard and the judge of each step (see ``model_rollout.strategies.progressive``)."""

    min_invocations: int = Field(
        default=0,
        ge=0,
        description="Low-traffic guard: a step passes only when the new variant served at "
        "least this many invocations in it (0: no guard).",
    )
    on_low_traffic: Literal["hold", "fail"] = Field(
        default="hold",
        description="Too few invocations: `hold` watches the step again (for its bake time, "
        "capped by what is left of `max_hold_seconds`); `fail` rolls back.",
    )
    max_hold_seconds: int = Field(
        default=600,
        ge=0,
        le=86_400,
        description="The total time one step may be held for lack of traffic (or, with a "
        "`judge`, of evidence); then it fails.",
    )
    judge: StepJudge | None = Field(
        default=None,
        description="Judge each step with both variants serving sequentially, on the error "
        "rates of both (`null`: the alarms and the low-traffic guard only).",
    )

    @model_validator(mode="after")
    def _judge_looks(self) -> ProgressiveStrategy:
        if self.judge is not None and self.judge.look_seconds > self.step_seconds():
            raise ValueError("'judge.look_seconds' must be at most the step's watch")
        return self


class CanaryStrategy(ProgressiveStrategy):
    """Traffic to green in steps (``percent``: one step; ``steps``: several), each watched
    for ``bake_seconds``, then all of it (watched again) before blue goes."""

    type: Literal["canary"] = "canary"
    progressive: ClassVar[bool] = True
    green_starts_at_zero: ClassVar[bool] = True
    percent: float | None = Field(
        default=None,
        gt=0,
        lt=100,
        description="One step: this percentage of traffic to green, then all of it "
        "(give `percent` or `steps`).",
    )
    steps: list[float] | None = Field(
        default=None,
        min_length=1,
        max_length=20,
        description="Several steps: increasing percentages strictly between 0 and 100, then "
        "all of it.",
    )
    bake_seconds: int = Field(
        default=600,
        ge=1,
        le=86_400,
        description="How long each step (and the final 100 % step) is watched.",
    )

    @model_validator(mode="after")
    def _one_plan(self) -> CanaryStrategy:
        if (self.percent is None) == (self.steps is None):
            raise ValueError("give exactly one of 'percent' or 'steps'")
        steps = self.steps or []
        if any(not 0 < s < 100 for s in steps):
            raise ValueError("every step is a percentage of traffic strictly between 0 and 100")
        if any(b <= a for a, b in pairwise(steps)):
            raise ValueError("'steps' must increase")
        return self

    def traffic_plan(self) -> list[float]:
        """``percent: p`` → ``[p, 100]``; ``steps: [a, b]`` → ``[a, b, 100]``."""
        steps = self.steps if self.steps is not None else [self.percent or 0.0]
        return [float(s) for s in steps] + [100.0]

    def step_seconds(self) -> int:
        return self.bake_seconds


class LinearStrategy(ProgressiveStrategy):
    """``step_percent`` more traffic to green every ``interval_seconds`` until all of it."""

    type: Literal["linear"] = "linear"
    progressive: ClassVar[bool] = True
    green_starts_at_zero: ClassVar[bool] = True
    step_percent: float = Field(
        gt=0,
        le=50,
        description="Traffic added to green at each step: `p, 2p, ...` then 100.",
    )
    interval_seconds: int = Field(
        default=600, ge=1, le=86_400, description="How long each step is watched."
    )

    def traffic_plan(self) -> list[float]:
        """``step_percent: s`` → ``[s, 2s, …, 100]``."""
        plan: list[float] = []
        k = 1
        while k * self.step_percent < 100.0 - _EPSILON:
            plan.append(round(k * self.step_percent, 6))
            k += 1
        return [*plan, 100.0]

    def step_seconds(self) -> int:
        return self.interval_seconds


class ApprovalPolicy(StrictModel):
    """A person's decision before promotion; no decision within the timeout rolls back."""

    timeout_seconds: int = Field(
        default=3600,
        ge=1,
        le=7 * 86_400,
        description="How long the deployment waits for `approve`/`promote` or `abort`; "
        "no decision in time: `ApprovalTimedOut`, rolled back.",
    )


# the strategies that may follow a shadow comparison (ShadowStrategy.then)
FollowUpStrategy = Annotated[
    AllAtOnceStrategy | CanaryStrategy | LinearStrategy, Field(discriminator="type")
]


class ShadowComparison(StrictModel):
    """Thresholds of the shadow comparison (strategies.shadow); ``None`` skips a check."""

    decision_threshold: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="A score at or above it is the positive decision (for the agreement "
        "of the two models' decisions).",
    )
    min_pairs: int = Field(
        default=30,
        ge=1,
        description="Fewer paired requests: rejected (too little to judge the outputs).",
    )
    max_error_rate_increase: float | None = Field(
        default=0.01,
        ge=0,
        le=1,
        description="Shadow's 5XX rate minus production's (`Invocation5XXErrors / "
        "Invocations` per variant over the window, CloudWatch).",
    )
    max_p99_latency_increase_ms: float | None = Field(
        default=None,
        ge=0,
        description="Shadow's p99 `ModelLatency` minus production's, in milliseconds (CloudWatch).",
    )
    min_agreement: float | None = Field(
        default=0.95,
        ge=0,
        le=1,
        description="Share of paired scores with the same decision "
        "(score >= `decision_threshold`).",
    )
    max_mean_abs_diff: float | None = Field(
        default=0.1, ge=0, description="Mean absolute difference of paired scores."
    )
    max_psi: float | None = Field(
        default=0.2,
        ge=0,
        description="Population stability index of shadow's scores against production's "
        "(fixed bins).",
    )
    psi_bins: int = Field(
        default=10, ge=2, le=100, description="Equal-width bins of [0, 1] for the PSI."
    )
    max_ks: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Two-sample Kolmogorov-Smirnov D of the two score distributions.",
    )


class ShadowStrategy(StrategyModel):
    """The candidate as a shadow variant (production keeps all traffic) for
    ``duration_seconds``, its outputs compared with production's; then the follow-up
    strategy ``then`` promotes it, or (absent) the deployment stops after the report."""

    type: Literal["shadow"] = "shadow"
    sample_percent: float = Field(
        default=100,
        gt=0,
        le=100,
        description="Share of production requests copied to the candidate (the shadow "
        "variant's weight relative to production's, as SageMaker samples).",
    )
    duration_seconds: int = Field(
        default=3600,
        ge=1,
        le=86_400,
        description="How long the candidate runs as a shadow before the comparison.",
    )
    capture_percent: int = Field(
        default=100,
        ge=1,
        le=100,
        description="`DataCaptureConfig.InitialSamplingPercentage`: share of requests "
        "captured (a request and its shadow copy are captured together).",
    )
    capture_s3_uri: str | None = Field(
        default=None,
        pattern=r"^s3://[^/]+(/.*)?$",
        description="`DataCaptureConfig.DestinationS3Uri` "
        "(default: `s3://<ReportsBucket>/data-capture`).",
    )
    comparison: ShadowComparison = Field(
        default_factory=ShadowComparison,
        description="Thresholds of the comparison; a threshold set to `null` is not checked.",
    )
    then: FollowUpStrategy | None = Field(
        default=None,
        description="The follow-up strategy that promotes an accepted candidate; absent: "
        "stop after the report (`ShadowReported`).",
    )

    def step_seconds(self) -> int:
        return self.duration_seconds

    def bake_strategy(self) -> StrategyModel | None:
        """The follow-up's: the bake config is what ``then`` starts from (none: no bake)."""
        return self.then

    def shadow_share(self) -> float | None:
        return self.sample_percent / 100.0


class ABMetric(StrictModel):
    """The business metric the application reports per variant (docs: strategies, "ab")."""

    name: str = Field(
        min_length=1, max_length=255, description="The CloudWatch metric the application puts."
    )
    namespace: str = Field(
        default="ModelRollout/AB",
        min_length=1,
        max_length=255,
        description="Its CloudWatch namespace.",
    )
    kind: Literal["conversion", "continuous"] = Field(
        default="conversion",
        description="`conversion`: one datapoint per unit, 0 or 1; `continuous`: the unit's "
        "value (e.g. revenue), and its square under `<name>Squared`.",
    )
    greater_is_better: bool = Field(
        default=True, description="The metric's direction (`false` for e.g. complaints)."
    )
    covariate: str | None = Field(
        default=None,
        min_length=1,
        max_length=240,
        description="CUPED: the metric of each unit's pre-period covariate (e.g. the same "
        "outcome in the weeks before the test), reported with the outcome: `<covariate>` "
        "(its value), `<covariate>Squared` and `<covariate>Product` (covariate x outcome), "
        "same namespace and dimensions. Reduces the test's variance by the squared "
        'correlation of the two (docs: strategies, "CUPED").',
    )


class ABStrategy(StrategyModel):
    """Two production variants at ``weights`` for ``duration_seconds``; a statistical verdict
    on ``metric`` decides whether the challenger (the new model) takes all traffic."""

    type: Literal["ab"] = "ab"
    green_starts_at_zero: ClassVar[bool] = True
    weights: dict[str, float] = Field(
        default_factory=lambda: {"incumbent": 50.0, "challenger": 50.0},
        description="Traffic weights of `incumbent` (the serving model) and `challenger` "
        "(the new one); exactly these two keys, both greater than 0.",
    )
    metric: ABMetric = Field(description="The business metric the application reports.")
    min_samples_per_variant: int = Field(
        default=1000, ge=2, description="Fewer units in a variant: `insufficient_data`."
    )
    alpha: float = Field(
        default=0.05,
        gt=0,
        lt=0.5,
        description="Significance level of the test and 1 - confidence of the intervals.",
    )
    duration_seconds: int = Field(
        default=3600, ge=1, le=7 * 86_400, description="How long the test runs."
    )
    on_insufficient_data: Literal["extend", "keep_incumbent"] = Field(
        default="extend",
        description="Insufficient data: `extend` watches once more, up to "
        "`max_duration_seconds` in all; `keep_incumbent` ends at once.",
    )
    max_duration_seconds: int | None = Field(
        default=None,
        ge=1,
        le=14 * 86_400,
        description="The longest the test may run with its extension "
        "(default: 2 x `duration_seconds`); at least `duration_seconds`.",
    )
    srm_alpha: float = Field(
        default=0.001,
        gt=0,
        lt=0.5,
        description="A sample-ratio-mismatch p-value below it invalidates the test.",
    )
    test: Literal["sequential", "fixed"] = Field(
        default="sequential",
        description="`sequential`: an always-valid test (mixture SPRT) at every look, every "
        "`look_seconds`: the first conclusive look decides, else `inconclusive` at "
        "`duration_seconds`; the false-positive rate stays at `alpha` however often it looks. "
        "`fixed`: one test at `duration_seconds` (and one extension on insufficient data).",
    )
    look_seconds: int | None = Field(
        default=None,
        ge=1,
        le=86_400,
        description="`sequential`: the time between looks (default: a tenth of "
        "`duration_seconds`, at least 1 s); at most `duration_seconds`.",
    )

    @model_validator(mode="after")
    def _weights(self) -> ABStrategy:
        if set(self.weights) != {"incumbent", "challenger"}:
            raise ValueError("'weights' must name exactly 'incumbent' and 'challenger'")
        if any(w <= 0 for w in self.weights.values()):
            raise ValueError("both weights must be greater than 0")
        if self.max_duration_seconds is not None and (
            self.max_duration_seconds < self.duration_seconds
        ):
            raise ValueError("'max_duration_seconds' must be at least 'duration_seconds'")
        if self.look_seconds is not None and self.look_seconds > self.duration_seconds:
            raise ValueError("'look_seconds' must be at most 'duration_seconds'")
        return self

    def look_interval(self) -> int:
        """Seconds between two looks: the whole duration for a fixed test."""
        if self.test == "fixed":
            return self.duration_seconds
        return self.look_seconds or max(1, self.duration_seconds // 10)

    def challenger_share(self) -> float:
        return self.weights["challenger"] / sum(self.weights.values())

    def traffic_plan(self) -> list[float]:
        """One step: the configured split (model_rollout.strategies.ab)."""
        return [round(self.challenger_share() * 100.0, 6)]

    def step_seconds(self) -> int:
        return self.look_interval()


class AutoscalingPolicy(StrictModel):
    """Target tracking on SageMakerVariantInvocationsPerInstance for the new variant."""

    min_capacity: int = Field(default=1, ge=1, le=100, description="Fewest instances.")
    max_capacity: int = Field(
        default=4, ge=1, le=100, description="Most instances (at least `min_capacity`)."
    )
    target_invocations_per_instance: float = Field(
        default=100.0,
        gt=0,
        description="The target of `SageMakerVariantInvocationsPerInstance`.",
    )
    scale_in_cooldown_seconds: int = Field(
        default=300, ge=0, le=3600, description="Cooldown after scaling in."
    )
    scale_out_cooldown_seconds: int = Field(
        default=60, ge=0, le=3600, description="Cooldown after scaling out."
    )

    @model_validator(mode="after")
    def _range(self) -> AutoscalingPolicy:
        if self.max_capacity < self.min_capacity:
            raise ValueError("'max_capacity' must be at least 'min_capacity'")
        return self


Strategy = Annotated[
    AllAtOnceStrategy | CanaryStrategy | LinearStrategy | ShadowStrategy | ABStrategy,
    Field(discriminator="type"),
]


class AlarmPolicy(StrictModel):
    """The alarms the deployment creates on the new variant, and those it also watches."""

    max_error_rate: float = Field(
        default=0.01,
        ge=0,
        le=1,
        description="`Invocation5XXErrors / Invocations` of the new variant (metric math).",
    )
    max_p99_latency_ms: float = Field(
        default=500, gt=0, description="p99 `ModelLatency` of the new variant, in milliseconds."
    )
    period_seconds: int = Field(default=60, ge=10, description="The alarms' period.")
    evaluation_periods: int = Field(
        default=1, ge=1, le=100, description="The periods the alarms evaluate."
    )
    extra_alarm_names: list[str] = Field(
        default_factory=list,
        description="Existing alarms that also stop the bake (watched, never created or deleted).",
    )
    treat_missing_data: Literal["notBreaching", "breaching", "ignore", "missing"] = Field(
        default="notBreaching",
        description="How the created alarms treat a period without data (CloudWatch "
        "`TreatMissingData`).",
    )


class ValidationDataset(StrictModel):
    """The fixed validation set (model_rollout.workflow.fixed_set): the candidate and the serving
    model are run on it by batch transform and the policy's metric computed from the joined
    outputs. CSV: ``label`` is the label's column index (the other columns are the
    features); JSON Lines: ``label`` and ``features`` are keys of each record."""

    s3_uri: str = Field(pattern=r"^s3://[^/]+/.+", description="The data set's S3 object.")
    content_type: Literal["text/csv", "application/jsonlines"] = Field(
        default="text/csv", description="Its format."
    )
    label: int | str = Field(
        default=0,
        description="CSV: the label's column index (the other columns are the features); "
        "JSON Lines: the label's key.",
    )
    features: str = Field(
        default="features", description="JSON Lines: the key of each record's features."
    )
    threshold: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="A classification metric counts a score at or above it as the positive class.",
    )


class AsyncInferencePolicy(StrictModel):
    """``mode: async``: the endpoint config's AsyncInferenceConfig and backlog autoscaling.
    Unset locations and topics default to the stack's (model_rollout.modes.asynchronous)."""

    output_s3_uri: str | None = Field(
        default=None,
        pattern=r"^s3://[^/]+(/.*)?$",
        description="Where outputs go (default: the stack's InferenceBucket).",
    )
    failure_s3_uri: str | None = Field(
        default=None,
        pattern=r"^s3://[^/]+(/.*)?$",
        description="Where failures go (default: the stack's InferenceBucket).",
    )
    success_topic_arn: str | None = Field(
        default=None, description="SNS topic notified of a success (default: the stack's)."
    )
    error_topic_arn: str | None = Field(
        default=None, description="SNS topic notified of an error (default: the stack's)."
    )
    max_concurrent_invocations_per_instance: int = Field(
        default=4, ge=1, le=1000, description="Concurrent requests per instance."
    )
    min_capacity: int = Field(
        default=0, ge=0, description="Fewest instances (0: scales to zero when idle)."
    )
    max_capacity: int = Field(default=2, ge=1, description="Most instances.")
    target_backlog_per_instance: float = Field(
        default=5.0,
        gt=0,
        description="The target of `ApproximateBacklogSizePerInstance`.",
    )


class MultiModelPolicy(StrictModel):
    """``mode: multi_model``: the endpoint's container serves many models from one S3 prefix
    (``Mode: MultiModel``); a version is an artifact ``<model_name>-v<version>.tar.gz`` under
    ``artifact_prefix`` and the logical model's pointer names the one that serves
    (model_rollout.modes.multi_model)."""

    model_name: str = Field(
        pattern=r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$",
        description="The logical model: versions are `<model_name>-v<version>.tar.gz` under "
        "the prefix, its pointer the endpoint tag `rollout:mme-target:<model_name>`.",
    )
    artifact_prefix: str | None = Field(
        default=None,
        pattern=r"^s3://[^/]+(/.*)?$",
        description="The container's `ModelDataUrl`, where versions are copied (default: "
        "`s3://<InferenceBucket>/multi-model/<endpoint>/`; the stack's roles may write and "
        "read only the default prefix, so another one needs those grants added).",
    )
    smoke_test_body: str = Field(
        min_length=1,
        max_length=65_536,
        description="The request body the smoke test sends with `TargetModel` = the new "
        "version's artifact.",
    )
    smoke_test_content_type: str = Field(
        default="text/csv", min_length=1, max_length=256, description="Its `ContentType`."
    )


class ValidationPolicy(StrictModel):
    """The quality gate: the candidate against a minimum and against the serving model."""

    metric: str = Field(
        default="accuracy",
        description="A metric of the SageMaker model-quality report (any section, e.g. "
        "`binary_classification_metrics.accuracy`, `regression_metrics.mse`).",
    )
    greater_is_better: bool = Field(default=True, description="The metric's direction.")
    min_value: float | None = Field(default=None, description="The candidate must reach it.")
    max_regression: float | None = Field(
        default=None,
        ge=0,
        description="How much worse than the serving model the candidate may be.",
    )
    dataset: ValidationDataset | None = Field(
        default=None,
        description="A fixed validation set: the gate also runs on metrics computed on it.",
    )


ENDPOINT_NAME_PATTERN = r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"


class StageChecks(StrictModel):
    """What a stage must have seen the new model serve before it is promoted on that stage
    (and so before it may go on): counted over the new variant's whole time in the stage."""

    min_invocations: int | None = Field(
        default=None,
        ge=1,
        description="The new variant must have served at least this many requests; fewer: "
        "`LowTraffic`, rolled back, not quarantined (not enough evidence either way).",
    )
    max_error_rate: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Its 5XX errors over its invocations must not exceed this; more: "
        "`StageChecksFailed`, rolled back and quarantined.",
    )


class StagePolicy(StrictModel):
    """One stage of a version's way to production: its endpoint, account, strategy and alarms
    (each defaults to the policy's own), and how a version that passed it goes on."""

    name: str = Field(
        pattern=r"^[a-z][a-z0-9-]{0,31}$",
        description="The stage's name (e.g. `staging`, `prod`), as the registry records it "
        "(`ModelLifeCycle.Stage`).",
    )
    endpoint_name: str | None = Field(
        default=None,
        pattern=ENDPOINT_NAME_PATTERN,
        description="The stage's endpoint (default: the policy's `endpoint_name`).",
    )
    account_id: str | None = Field(
        default=None,
        pattern=r"^\d{12}$",
        description="The account whose stack deploys this stage (default: the account of "
        "the stack that deploys the stage before it).",
    )
    role_arn: str | None = Field(
        default=None,
        pattern=r"^arn:aws[a-z-]*:iam::\d{12}:role/[A-Za-z0-9+=,.@_/-]+$",
        max_length=2048,
        description="The role the previous stage assumes to hand a version to this stage's "
        "account (default: `arn:aws:iam::<account_id>:role/<ResourcePrefix>-stage-promotion`, "
        "which this stage's stack creates).",
    )
    strategy: Strategy | None = Field(
        default=None, description="The stage's strategy (default: the policy's)."
    )
    alarms: AlarmPolicy | None = Field(
        default=None, description="The stage's alarms (default: the policy's)."
    )
    checks: StageChecks | None = Field(
        default=None,
        description="What the stage must have seen the new model serve before promoting it "
        "(`mode: real_time`).",
    )
    promotion: Literal["auto", "manual"] = Field(
        default="auto",
        description="How a version that passed this stage goes on to the next: at once "
        "(`auto`), or once an operator approves it (`manual`: `rollout approve`); ignored on "
        "the last stage.",
    )
    promotion_timeout_seconds: int = Field(
        default=86_400,
        ge=1,
        le=7 * 86_400,
        description="`promotion: manual`: how long the version waits for the decision; no "
        "decision in time: not promoted (it keeps serving this stage).",
    )


class Policy(StrictModel):
    """The deployment policy of one model package group."""

    endpoint_name: str = Field(
        pattern=ENDPOINT_NAME_PATTERN,
        description="The SageMaker endpoint this group deploys to.",
    )
    instance_type: str = Field(
        default="ml.m5.large", description="The new variant's instance type."
    )
    instance_count: int = Field(
        default=1, ge=1, le=100, description="The new variant's instance count."
    )
    strategy: Strategy = Field(
        default_factory=AllAtOnceStrategy, description="How traffic moves to the new model."
    )
    alarms: AlarmPolicy = Field(
        default_factory=AlarmPolicy, description="The alarms that stop the bake."
    )
    validation: ValidationPolicy = Field(
        default_factory=ValidationPolicy, description="The quality gate."
    )
    required_metadata: list[str] = Field(
        default_factory=lambda: ["git_commit", "data_version", "build_id"],
        description="`CustomerMetadataProperties` keys a package must carry.",
    )
    allow_strategy_override: bool = Field(
        default=False,
        description="Whether a package's `rollout:strategy` metadata (strategy JSON) may "
        "override `strategy`.",
    )
    require_approval: ApprovalPolicy | None = Field(
        default=None,
        description="Before promotion, wait for an operator's decision; none in time rolls back.",
    )
    mode: Literal["real_time", "async", "multi_model"] = Field(
        default="real_time",
        description="How the endpoint serves: real-time; `async` (`AsyncInferenceConfig`, "
        "backlog autoscaling down to zero); `multi_model` (many models behind one container, "
        "a version moves the logical model's pointer). `async` and `multi_model` allow "
        "`all_at_once` only (a package's `rollout:strategy` override included).",
    )
    async_inference: AsyncInferencePolicy | None = Field(
        default=None, description="`mode: async` only: its settings (default: the stack's)."
    )
    multi_model: MultiModelPolicy | None = Field(
        default=None, description="Required with `mode: multi_model`, and only there."
    )
    autoscaling: AutoscalingPolicy | None = Field(
        default=None,
        description="`mode: real_time` only: target-tracking autoscaling of the new variant, "
        "moved with the traffic.",
    )

    stages: list[StagePolicy] | None = Field(
        default=None,
        min_length=1,
        description="The stages a version goes through, in order (e.g. staging, then prod): "
        "an approval deploys to the first; passing a stage promotes the same package to the "
        "next; failing one quarantines the package (`Rejected`). Each stage's result is "
        "written back to the package's `ModelLifeCycle`.",
    )

    def stage(self, name: str) -> StagePolicy | None:
        """The stage called ``name``, if the policy has stages and one is so called."""
        return next((s for s in self.stages or () if s.name == name), None)

    def next_stage(self, name: str) -> StagePolicy | None:
        """The stage after ``name`` (``None`` after the last)."""
        names = [s.name for s in self.stages or ()]
        if name not in names or names.index(name) + 1 >= len(names):
            return None
        return (self.stages or [])[names.index(name) + 1]

    def for_stage(self, name: str) -> Policy:
        """This policy as the stage ``name`` deploys with: its endpoint, strategy and alarms."""
        stage = self.stage(name)
        if stage is None:
            raise ValueError(f"the policy has no stage {name!r}")
        return self.model_copy(
            update={
                "endpoint_name": stage.endpoint_name or self.endpoint_name,
                "strategy": stage.strategy or self.strategy,
                "alarms": stage.alarms or self.alarms,
            }
        )

    def allows_strategy(self, strategy_type: str) -> bool:
        """Whether this policy's mode can deploy with a strategy of ``strategy_type``: only
        real-time endpoints shift traffic between variants (async and multi-model endpoints
        take blue/green all at once)."""
        return self.mode == "real_time" or strategy_type == "all_at_once"

    @model_validator(mode="after")
    def _async_strategies(self) -> Policy:
        # SageMaker shifts traffic between variants of asynchronous endpoints only by
        # replacing the endpoint config: blue/green all at once is the strategy they allow
        if self.mode == "async" and not self.allows_strategy(self.strategy.type):
            raise ValueError(
                f"mode 'async' allows strategy 'all_at_once' only, not {self.strategy.type!r}"
            )
        if self.async_inference is not None and self.mode != "async":
            raise ValueError("'async_inference' applies to mode 'async' only")
        if self.mode == "multi_model":
            # a version is a pointer move inside one variant: there is no second variant to
            # shift traffic to, shadow or test against
            if not self.allows_strategy(self.strategy.type):
                raise ValueError(
                    "mode 'multi_model' allows strategy 'all_at_once' only (a version is a "
                    f"pointer move, not a traffic shift), not {self.strategy.type!r}"
                )
            if self.multi_model is None:
                raise ValueError(
                    "mode 'multi_model' needs 'multi_model': {\"model_name\": <logical model>}"
                )
        elif self.multi_model is not None:
            raise ValueError("'multi_model' applies to mode 'multi_model' only")
        names = [stage.name for stage in self.stages or ()]
        if len(set(names)) != len(names):
            raise ValueError(f"stage names must be unique: {names}")
        for stage in self.stages or ():
            if stage.strategy is not None and not self.allows_strategy(stage.strategy.type):
                raise ValueError(
                    f"stage {stage.name!r}: mode {self.mode!r} allows strategy 'all_at_once' "
                    f"only, not {stage.strategy.type!r}"
                )
            if stage.checks is not None and self.mode != "real_time":
                raise ValueError(f"stage {stage.name!r}: 'checks' applies to mode 'real_time'")
            if stage.role_arn is not None and stage.account_id is None:
                raise ValueError(f"stage {stage.name!r}: 'role_arn' needs 'account_id'")
            if stage.role_arn is not None and stage.role_arn.split(":")[4] != stage.account_id:
                raise ValueError(
                    f"stage {stage.name!r}: 'role_arn' is a role of account "
                    f"{stage.role_arn.split(':')[4]}, not of the stage's {stage.account_id}"
                )
        if self.autoscaling is not None and self.mode != "real_time":
            raise ValueError(
                "'autoscaling' applies to mode 'real_time' (async endpoints scale on their "
                "backlog: 'async_inference')"
            )
        return self


def default_policy(endpoint_name: str, **fields: Any) -> dict[str, Any]:
    """The policy document (the JSON a group's SSM parameter holds) of an endpoint: every
    default of ``Policy``, with ``fields`` in their place (a nested dict fills the rest of
    its part with defaults too). Validated: a misspelt field fails here, where it is written.
    """
    document: dict[str, Any] = Policy.model_validate(
        {"endpoint_name": endpoint_name, **fields}
    ).model_dump(mode="json")
    return document


def parse_policy(raw: str, *, source: str) -> Policy:
    """Parse a policy document; every problem is named, with where it came from."""
    try:
        return Policy.model_validate_json(raw)
    except ValidationError as error:
        raise InvalidPolicy(f"policy {source} is invalid: {describe_errors(error)}") from None


def parse_strategy_override(raw: str, *, source: str) -> Strategy:
    """A package's `rollout:strategy` override (JSON of one strategy)."""
    try:
        return Policy.model_validate({"endpoint_name": "x", "strategy": json.loads(raw)}).strategy
    except (ValueError, ValidationError) as error:
        detail = describe_errors(error) if isinstance(error, ValidationError) else str(error)
        raise InvalidPolicy(f"strategy override in {source} is invalid: {detail}") from None
