"""The deployment policy of a model package group (SSM: <prefix><ModelPackageGroupName>).

Unknown fields are an error, never ignored: a misspelt threshold must not silently become
the default.
"""

from __future__ import annotations

import json
from itertools import pairwise
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, ValidationError, model_validator

from model_rollout.domain.model import Strict
from model_rollout.errors import InvalidPolicy


class StrictModel(Strict):
    """A part of a policy: strict, and frozen."""

    model_config = ConfigDict(frozen=True)


class AllAtOnceStrategy(StrictModel):
    """Blue/green: all traffic to green at once; blue stays provisioned at weight 0 until
    the bake passes, so a rollback is a weight shift."""

    type: Literal["all_at_once"] = "all_at_once"
    bake_seconds: int = Field(default=600, ge=1, le=86_400)


class ProgressiveStrategy(StrictModel):
    """Common fields of the strategies that move traffic in steps (canary, linear): the
    low-traffic guard of each step (see ``model_rollout.strategies.progressive``)."""

    # a step passes only when the new variant served at least this many invocations in it
    min_invocations: int = Field(default=0, ge=0)
    # too few: ``hold`` extends the step (up to max_hold_seconds), ``fail`` rolls back
    on_low_traffic: Literal["hold", "fail"] = "hold"
    max_hold_seconds: int = Field(default=600, ge=0, le=86_400)


class CanaryStrategy(ProgressiveStrategy):
    """Traffic to green in steps (``percent``: one step; ``steps``: several), each watched
    for ``bake_seconds``, then all of it (watched again) before blue goes."""

    type: Literal["canary"] = "canary"
    percent: float | None = Field(default=None, gt=0, lt=100)
    steps: list[float] | None = Field(default=None, min_length=1, max_length=20)
    bake_seconds: int = Field(default=600, ge=1, le=86_400)

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


class LinearStrategy(ProgressiveStrategy):
    """``step_percent`` more traffic to green every ``interval_seconds`` until all of it."""

    type: Literal["linear"] = "linear"
    step_percent: float = Field(gt=0, le=50)
    interval_seconds: int = Field(default=600, ge=1, le=86_400)


class ApprovalPolicy(StrictModel):
    """A person's decision before promotion; no decision within the timeout rolls back."""

    timeout_seconds: int = Field(default=3600, ge=1, le=7 * 86_400)


# the strategies that may follow a shadow comparison (ShadowStrategy.then)
FollowUpStrategy = Annotated[
    AllAtOnceStrategy | CanaryStrategy | LinearStrategy, Field(discriminator="type")
]


class ShadowComparison(StrictModel):
    """Thresholds of the shadow comparison (strategies.shadow); ``None`` skips a check."""

    # a score at or above it is the positive class (agreement of the two models' decisions)
    decision_threshold: float = Field(default=0.5, ge=0, le=1)
    # fewer paired requests than this: the comparison cannot judge → rejected
    min_pairs: int = Field(default=30, ge=1)
    # shadow's 5XX error rate minus production's
    max_error_rate_increase: float | None = Field(default=0.01, ge=0, le=1)
    # shadow's p99 ModelLatency minus production's, in milliseconds
    max_p99_latency_increase_ms: float | None = Field(default=None, ge=0)
    # share of paired requests whose decisions (score >= decision_threshold) agree
    min_agreement: float | None = Field(default=0.95, ge=0, le=1)
    # mean |shadow score - production score| over paired requests
    max_mean_abs_diff: float | None = Field(default=0.1, ge=0)
    # population stability index of shadow's scores against production's (fixed bins)
    max_psi: float | None = Field(default=0.2, ge=0)
    psi_bins: int = Field(default=10, ge=2, le=100)
    # two-sample Kolmogorov-Smirnov D between the two score distributions
    max_ks: float | None = Field(default=None, ge=0, le=1)


class ShadowStrategy(StrictModel):
    """The candidate as a shadow variant (production keeps all traffic) for
    ``duration_seconds``, its outputs compared with production's; then the follow-up
    strategy ``then`` promotes it, or (absent) the deployment stops after the report."""

    type: Literal["shadow"] = "shadow"
    sample_percent: float = Field(default=100, gt=0, le=100)
    duration_seconds: int = Field(default=3600, ge=1, le=86_400)
    # percentage of requests data capture records (DataCaptureConfig.InitialSamplingPercentage)
    capture_percent: int = Field(default=100, ge=1, le=100)
    # where captures go (default: s3://<ReportsBucket>/data-capture)
    capture_s3_uri: str | None = Field(default=None, pattern=r"^s3://[^/]+(/.*)?$")
    comparison: ShadowComparison = Field(default_factory=ShadowComparison)
    then: FollowUpStrategy | None = None


class ABMetric(StrictModel):
    """The business metric the application reports per variant (README: "A/B tests")."""

    name: str = Field(min_length=1, max_length=255)
    namespace: str = Field(default="ModelRollout/AB", min_length=1, max_length=255)
    # conversion: one datapoint per unit, 0 or 1; continuous: the unit's value (and its
    # square under ``<name>Squared``)
    kind: Literal["conversion", "continuous"] = "conversion"
    greater_is_better: bool = True


class ABStrategy(StrictModel):
    """Two production variants at ``weights`` for ``duration_seconds``; a statistical verdict
    on ``metric`` decides whether the challenger (the new model) takes all traffic."""

    type: Literal["ab"] = "ab"
    weights: dict[str, float] = Field(
        default_factory=lambda: {"incumbent": 50.0, "challenger": 50.0}
    )
    metric: ABMetric
    min_samples_per_variant: int = Field(default=1000, ge=2)
    alpha: float = Field(default=0.05, gt=0, lt=0.5)
    duration_seconds: int = Field(default=3600, ge=1, le=7 * 86_400)
    # insufficient data: "extend" watches once more, up to max_duration_seconds in all;
    # "keep_incumbent" ends at once
    on_insufficient_data: Literal["extend", "keep_incumbent"] = "extend"
    max_duration_seconds: int | None = Field(default=None, ge=1, le=14 * 86_400)
    # the sample-ratio-mismatch test invalidates the experiment below this p-value
    srm_alpha: float = Field(default=0.001, gt=0, lt=0.5)

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
        return self

    def challenger_share(self) -> float:
        return self.weights["challenger"] / sum(self.weights.values())


class AutoscalingPolicy(StrictModel):
    """Target tracking on SageMakerVariantInvocationsPerInstance for the new variant."""

    min_capacity: int = Field(default=1, ge=1, le=100)
    max_capacity: int = Field(default=4, ge=1, le=100)
    target_invocations_per_instance: float = Field(default=100.0, gt=0)
    scale_in_cooldown_seconds: int = Field(default=300, ge=0, le=3600)
    scale_out_cooldown_seconds: int = Field(default=60, ge=0, le=3600)

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
    max_error_rate: float = Field(default=0.01, ge=0, le=1)
    max_p99_latency_ms: float = Field(default=500, gt=0)
    period_seconds: int = Field(default=60, ge=10)
    evaluation_periods: int = Field(default=1, ge=1, le=100)
    extra_alarm_names: list[str] = Field(default_factory=list)
    # how the created alarms treat periods without data (CloudWatch TreatMissingData)
    treat_missing_data: Literal["notBreaching", "breaching", "ignore", "missing"] = "notBreaching"


class ValidationDataset(StrictModel):
    """The fixed validation set (model_rollout.steps.fixed_set): the candidate and the serving
    model are run on it by batch transform and the policy's metric computed from the joined
    outputs. CSV: ``label`` is the label's column index (the other columns are the
    features); JSON Lines: ``label`` and ``features`` are keys of each record."""

    s3_uri: str = Field(pattern=r"^s3://[^/]+/.+")
    content_type: Literal["text/csv", "application/jsonlines"] = "text/csv"
    label: int | str = 0
    features: str = "features"
    # a classification metric counts a score at or above it as the positive class
    threshold: float = Field(default=0.5, ge=0, le=1)


class AsyncInferencePolicy(StrictModel):
    """``mode: async``: the endpoint config's AsyncInferenceConfig and backlog autoscaling.
    Unset locations and topics default to the stack's (model_rollout.modes.asynchronous)."""

    output_s3_uri: str | None = Field(default=None, pattern=r"^s3://[^/]+(/.*)?$")
    failure_s3_uri: str | None = Field(default=None, pattern=r"^s3://[^/]+(/.*)?$")
    success_topic_arn: str | None = None
    error_topic_arn: str | None = None
    max_concurrent_invocations_per_instance: int = Field(default=4, ge=1, le=1000)
    min_capacity: int = Field(default=0, ge=0)
    max_capacity: int = Field(default=2, ge=1)
    target_backlog_per_instance: float = Field(default=5.0, gt=0)


class MultiModelPolicy(StrictModel):
    """``mode: multi_model``: the endpoint's container serves many models from one S3 prefix
    (``Mode: MultiModel``); a version is an artifact ``<model_name>-v<version>.tar.gz`` under
    ``artifact_prefix`` and the logical model's pointer names the one that serves
    (model_rollout.modes.multi_model)."""

    # the logical model: the pointer's name, and the artifact names' stem
    model_name: str = Field(pattern=r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
    # where the container loads models from (default: s3://<InferenceBucket>/multi-model/<endpoint>/)
    artifact_prefix: str | None = Field(default=None, pattern=r"^s3://[^/]+(/.*)?$")
    # the request the smoke test sends with TargetModel = the new version's artifact
    smoke_test_body: str = Field(min_length=1, max_length=65_536)
    smoke_test_content_type: str = Field(default="text/csv", min_length=1, max_length=256)


class ValidationPolicy(StrictModel):
    metric: str = "accuracy"
    greater_is_better: bool = True
    min_value: float | None = None
    max_regression: float | None = Field(default=None, ge=0)
    dataset: ValidationDataset | None = None


class Policy(StrictModel):
    endpoint_name: str = Field(pattern=r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
    instance_type: str = "ml.m5.large"
    instance_count: int = Field(default=1, ge=1, le=100)
    strategy: Strategy = Field(default_factory=AllAtOnceStrategy)
    alarms: AlarmPolicy = Field(default_factory=AlarmPolicy)
    validation: ValidationPolicy = Field(default_factory=ValidationPolicy)
    required_metadata: list[str] = Field(
        default_factory=lambda: ["git_commit", "data_version", "build_id"]
    )
    allow_strategy_override: bool = False
    require_approval: ApprovalPolicy | None = None
    # how the endpoint serves: real-time, asynchronous (AsyncInferenceConfig), or many models
    # behind one container (multi_model: a version moves the logical model's pointer)
    mode: Literal["real_time", "async", "multi_model"] = "real_time"
    async_inference: AsyncInferencePolicy | None = None
    multi_model: MultiModelPolicy | None = None
    # target-tracking autoscaling of the new variant (model_rollout.steps.variant_scaling)
    autoscaling: AutoscalingPolicy | None = None

    @model_validator(mode="after")
    def _async_strategies(self) -> Policy:
        # SageMaker shifts traffic between variants of asynchronous endpoints only by
        # replacing the endpoint config: blue/green all at once is the strategy they allow
        if self.mode == "async" and self.strategy.type != "all_at_once":
            raise ValueError(
                f"mode 'async' allows strategy 'all_at_once' only, not {self.strategy.type!r}"
            )
        if self.async_inference is not None and self.mode != "async":
            raise ValueError("'async_inference' applies to mode 'async' only")
        if self.mode == "multi_model":
            # a version is a pointer move inside one variant: there is no second variant to
            # shift traffic to, shadow or test against
            if self.strategy.type != "all_at_once":
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


def _describe(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in error.errors()
    )


def parse_policy(raw: str, *, source: str) -> Policy:
    """Parse a policy document; every problem is named, with where it came from."""
    try:
        return Policy.model_validate_json(raw)
    except ValidationError as error:
        raise InvalidPolicy(f"policy {source} is invalid: {_describe(error)}") from None


def parse_strategy_override(raw: str, *, source: str) -> Strategy:
    """A package's `rollout:strategy` override (JSON of one strategy)."""
    try:
        return Policy.model_validate({"endpoint_name": "x", "strategy": json.loads(raw)}).strategy
    except (ValueError, ValidationError) as error:
        detail = _describe(error) if isinstance(error, ValidationError) else str(error)
        raise InvalidPolicy(f"strategy override in {source} is invalid: {detail}") from None
