"""Stages: a version's way from the first stage (e.g. staging) to the last (production).

An approval deploys to the policy's first stage. A deployment that ends promoted on its stage
hands the same package to the next stage with a **promotion event** (source
``model-rollout``, detail-type ``Model Rollout Stage Promotion``), put on the next stage's
bus (in its account, through the role that stage's stack lets the previous one assume).

The **registry is the record**: each stage's start and result are written to the package's
``ModelLifeCycle`` (``Stage``, ``StageStatus``, ``StageDescription``, which names the
deployment), and a promotion is accepted only if the registry says that the stage before
passed, by the deployment the event names, and the package is still ``Approved``. A forged
event (nobody passed that stage) and a stale one (the package has moved on, or was
quarantined) are refused with ``PromotionRefused``; a repeated one is a ``DuplicateDelivery``.

A version that fails a stage is **quarantined**: its approval status becomes ``Rejected``,
with the reason as ``ApprovalDescription``, and its ``ModelLifeCycle`` says ``Quarantined``.
A quarantined version is never promoted, and a later approval of it is refused, unless it is
requalified (``rollout requalify``: an explicit act that names who and why, recorded in the
registry), which approves it again.
"""

from __future__ import annotations

from typing import Any, Literal

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from model_rollout.domain.model import Strict, describe_errors
from model_rollout.domain.policy import StageChecks
from model_rollout.errors import InvalidEvent, LowTraffic, PromotionRefused, StageChecksFailed

PROMOTION_SOURCE = "model-rollout"
PROMOTION_DETAIL_TYPE = "Model Rollout Stage Promotion"

# ModelLifeCycle.StageStatus values this control plane writes
IN_PROGRESS = "InProgress"
SUCCEEDED = "Succeeded"
FAILED = "Failed"
STOPPED = "Stopped"  # an experiment's verdict kept the serving model: not promoted, not failed
QUARANTINED = "Quarantined"
REQUALIFIED = "Requalified"

# what quarantines a version: the errors that are the version's fault (a failed gate, a model
# that does not start, an alarm, the step judge, an operator's abort), and a rejected shadow.
# Not the version's fault: bad input, configuration, throttling, timeouts, too little traffic.
QUARANTINING_ERRORS = {
    "FAILED": frozenset(
        {"ValidationFailed", "InvalidMetricsReport", "DeploymentFailed", "SmokeTestFailed"}
    ),
    "ROLLED_BACK": frozenset(
        {
            "AlarmFired",
            "StepJudgedWorse",
            "StageChecksFailed",
            "DeploymentFailed",
            "SmokeTestFailed",
            "Aborted",
        }
    ),
}
QUARANTINING_VERDICTS = frozenset({"SHADOW_REJECTED"})


class NextStage(Strict):
    """Where a version that passes this stage goes."""

    name: str
    account_id: str | None = None
    role_arn: str | None = None
    promotion: Literal["auto", "manual"] = "auto"
    promotion_timeout_seconds: int = Field(default=86_400, ge=1)


class StageRun(Strict):
    """The stage this deployment is (in the deployment document)."""

    name: str
    index: int = Field(ge=0)
    count: int = Field(ge=1)
    # the deployment of the stage before that promoted the package here
    promoted_from: str | None = None
    promoted_by_deployment: str | None = None
    checks: StageChecks | None = None
    next: NextStage | None = None


class StageRecord(Strict):
    """What RecordStage wrote to the registry at the end of a staged deployment."""

    stage: str
    stage_status: str
    quarantined: bool = False
    description: str
    # the stage to promote to now (auto), or after an operator's approval (manual)
    promote_to: NextStage | None = None
    error: str | None = None  # the registry write failed (recorded, never fatal)


class StagePromotionResult(Strict):
    """PromoteStage: the promotion event sent to the next stage."""

    to_stage: str
    event_id: str | None = None
    bus: str
    account_id: str
    promotion_id: str


class LifeCycle(BaseModel):
    """A package's ``ModelLifeCycle`` (``None`` fields when the package has none)."""

    model_config = ConfigDict(frozen=True)

    stage: str | None = None
    stage_status: str | None = None
    stage_description: str | None = None


def describe_stage(
    *, stage: str, status: str, deployment_id: str, endpoint: str, account: str, what: str
) -> str:
    """A ``StageDescription`` (at most 1,024 characters) that names the deployment."""
    text = (
        f"{stage}: {status} (deployment {deployment_id}, endpoint {endpoint}, "
        f"account {account or 'this'}): {what}"
    )
    return text if len(text) <= 1024 else text[:1023] + "…"


def deployment_in(description: str | None) -> str | None:
    """The deployment id a ``StageDescription`` of ours names."""
    if not description or "(deployment " not in description:
        return None
    return description.split("(deployment ", 1)[1].split(",", 1)[0].strip()


class StagePromotionDetail(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ModelPackageArn: str = Field(min_length=1)
    ModelPackageGroupName: str = Field(min_length=1)
    ModelPackageVersion: int = Field(ge=1)
    FromStage: str = Field(min_length=1)
    ToStage: str = Field(min_length=1)
    FromDeploymentId: str = Field(min_length=1)
    PromotionId: str = Field(min_length=1)


class StagePromotionEvent(EventBridgeModel):
    detail: StagePromotionDetail


class StagePromotion(BaseModel):
    """What a valid promotion event says."""

    model_config = ConfigDict(frozen=True)

    model_package_arn: str
    model_package_group: str
    model_package_version: int
    from_stage: str
    to_stage: str
    from_deployment_id: str
    promotion_id: str
    event_id: str
    event_time: str

    @property
    def dedup_key(self) -> str:
        return f"promotion:{self.model_package_arn}@{self.to_stage}"


def is_promotion_event(raw: Any) -> bool:
    return isinstance(raw, dict) and raw.get("detail-type") == PROMOTION_DETAIL_TYPE


def promotion_detail(
    *,
    model_package_arn: str,
    group: str,
    version: int,
    from_stage: str,
    to_stage: str,
    from_deployment_id: str,
) -> dict[str, Any]:
    return {
        "ModelPackageArn": model_package_arn,
        "ModelPackageGroupName": group,
        "ModelPackageVersion": version,
        "FromStage": from_stage,
        "ToStage": to_stage,
        "FromDeploymentId": from_deployment_id,
        "PromotionId": f"{from_deployment_id}:{to_stage}",
    }


def parse_promotion_event(raw: Any) -> StagePromotion:
    """A ``Model Rollout Stage Promotion`` event; anything malformed is ``InvalidEvent``."""
    if not isinstance(raw, dict) or raw.get("source") != PROMOTION_SOURCE:
        source = raw.get("source") if isinstance(raw, dict) else None
        raise InvalidEvent(
            f"the promotion event has source {source!r}; expected {PROMOTION_SOURCE!r}"
        )
    try:
        event = StagePromotionEvent.model_validate(raw)
    except ValidationError as error:
        raise InvalidEvent(
            f"the '{PROMOTION_DETAIL_TYPE}' event (id {raw.get('id')!r}) is malformed: "
            f"{describe_errors(error)}"
        ) from None
    d = event.detail
    if d.PromotionId != f"{d.FromDeploymentId}:{d.ToStage}":
        raise InvalidEvent(
            f"the promotion event (id {event.id}) has PromotionId {d.PromotionId!r}, which is "
            f"not '<FromDeploymentId>:<ToStage>'"
        )
    return StagePromotion(
        model_package_arn=d.ModelPackageArn,
        model_package_group=d.ModelPackageGroupName,
        model_package_version=d.ModelPackageVersion,
        from_stage=d.FromStage,
        to_stage=d.ToStage,
        from_deployment_id=d.FromDeploymentId,
        promotion_id=d.PromotionId,
        event_id=event.id,
        event_time=event.time.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


def check_promotion(
    promotion: StagePromotion,
    *,
    stage_names: list[str],
    approval_status: str | None,
    life_cycle: LifeCycle,
) -> None:
    """Refuse (``PromotionRefused``) a promotion the registry does not back."""
    arn = promotion.model_package_arn
    if promotion.to_stage not in stage_names:
        raise PromotionRefused(
            f"promotion of {arn} to stage {promotion.to_stage!r}: the policy has no such stage "
            f"(stages: {', '.join(stage_names)})"
        )
    index = stage_names.index(promotion.to_stage)
    if index == 0 or stage_names[index - 1] != promotion.from_stage:
        expected = stage_names[index - 1] if index else "(none: it is the first stage)"
        raise PromotionRefused(
            f"promotion of {arn} to stage {promotion.to_stage!r} comes from stage "
            f"{promotion.from_stage!r}, but the stage before it is {expected}"
        )
    if approval_status != "Approved":
        raise PromotionRefused(
            f"promotion of {arn} to stage {promotion.to_stage!r} refused: the package is "
            f"{approval_status!r} in the registry, not 'Approved'"
            + (
                f" ({life_cycle.stage_description})"
                if life_cycle.stage_status == QUARANTINED
                else ""
            )
        )
    recorded = deployment_in(life_cycle.stage_description)
    if (
        life_cycle.stage != promotion.from_stage
        or life_cycle.stage_status != SUCCEEDED
        or recorded != promotion.from_deployment_id
    ):
        raise PromotionRefused(
            f"promotion of {arn} to stage {promotion.to_stage!r} refused: the registry does "
            f"not record that deployment {promotion.from_deployment_id} passed stage "
            f"{promotion.from_stage!r} (its ModelLifeCycle is stage {life_cycle.stage!r}, "
            f"status {life_cycle.stage_status!r}, deployment {recorded!r})"
        )


def is_quarantined(life_cycle: LifeCycle) -> bool:
    return life_cycle.stage_status == QUARANTINED


def quarantines(status: str, error: str | None) -> bool:
    """Whether a deployment that ended ``status`` (``error``: the failure that ended it, for
    a rollback the error that caused it) quarantines its version."""
    if status in QUARANTINING_VERDICTS:
        return True
    return (error or "") in QUARANTINING_ERRORS.get(status, frozenset())


def check_stage(
    stage: str, checks: StageChecks, *, variant: str, invocations: float, errors: float
) -> None:
    """What the stage saw the new variant serve against its checks: ``LowTraffic`` (too
    little to judge) or ``StageChecksFailed`` (worse than allowed)."""
    if checks.min_invocations is not None and invocations < checks.min_invocations:
        raise LowTraffic(
            f"stage {stage!r}: the new variant {variant} served {invocations:.0f} requests, "
            f"fewer than the stage's checks.min_invocations {checks.min_invocations}; not "
            "promoted (not enough evidence either way)"
        )
    if checks.max_error_rate is not None and invocations > 0:
        rate = errors / invocations
        if rate > checks.max_error_rate:
            raise StageChecksFailed(
                f"stage {stage!r}: the new variant {variant} answered {errors:.0f} of "
                f"{invocations:.0f} requests with 5XX errors ({rate:.2%}), above the stage's "
                f"checks.max_error_rate {checks.max_error_rate:.2%}"
            )
