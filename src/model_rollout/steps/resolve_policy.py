"""ResolvePolicy: an approval (or a stage promotion) event becomes the deployment document.

Parse the event, check where it comes from, load the group's policy, apply a permitted
strategy override, claim the approval (exactly once; only valid input writes anything), find
what serves the endpoint now, record the start. A staged policy deploys an approval to its
first stage, and a promotion event to the stage it names once the registry backs it
(``model_rollout.domain.stages``); the stage's start is written to the registry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from model_rollout.adapters.policies import PolicyStore
from model_rollout.adapters.records import DeploymentRecords
from model_rollout.adapters.registry import STRATEGY_OVERRIDE_KEY, ModelPackage, ModelRegistry
from model_rollout.adapters.releases import Releases
from model_rollout.config import Settings, settings
from model_rollout.domain.approval import APPROVED, parse_approval_event
from model_rollout.domain.deployment import Approval, Deployment, Limits
from model_rollout.domain.event_origin import check_origin
from model_rollout.domain.policy import Policy, StagePolicy, Strategy, parse_strategy_override
from model_rollout.domain.stages import (
    IN_PROGRESS,
    NextStage,
    StageRun,
    check_promotion,
    describe_stage,
    is_promotion_event,
    is_quarantined,
    parse_promotion_event,
)
from model_rollout.errors import (
    DuplicateDelivery,
    InvalidEvent,
    InvalidPolicy,
    PromotionRefused,
    Quarantined,
    StageNotServed,
)


class ResolveRequest(BaseModel):
    """The state's Parameters: the raw event, the execution name and id."""

    model_config = ConfigDict(extra="ignore")

    event: Any = None
    deployment_id: str = Field(min_length=1)
    execution_arn: str = Field(min_length=1)


@dataclass
class ResolveServices:
    policies: PolicyStore = field(default_factory=PolicyStore)
    registry: ModelRegistry = field(default_factory=ModelRegistry)
    records: DeploymentRecords = field(default_factory=DeploymentRecords)
    releases: Releases = field(default_factory=Releases)


def effective_strategy(policy: Policy, package: ModelPackage, *, group: str) -> Strategy:
    """The policy's strategy, or the package's ``rollout:strategy`` if the policy allows it."""
    override = package.strategy_override
    if override is None:
        return policy.strategy
    if not policy.allow_strategy_override:
        raise InvalidPolicy(
            f"model package {package.arn} sets {STRATEGY_OVERRIDE_KEY} in its "
            f"CustomerMetadataProperties, but the policy of group {group!r} does not allow "
            "strategy overrides (allow_strategy_override is false); remove the override or "
            "allow it in the policy"
        )
    strategy = parse_strategy_override(override, source=f"{STRATEGY_OVERRIDE_KEY} of {package.arn}")
    if not policy.allows_strategy(strategy.type):
        raise InvalidPolicy(
            f"model package {package.arn} overrides the strategy with {strategy.type!r}, but "
            f"the policy of group {group!r} is mode {policy.mode!r}, which allows strategy "
            "'all_at_once' only"
        )
    return strategy


def _check_origin(event: dict[str, Any], config: Settings) -> None:
    check_origin(
        event,
        allowed_accounts=config.allowed_event_accounts,
        stack_account=config.stack_account,
        stack_region=config.stack_region,
    )


def _claim(services: ResolveServices, key: str, deployment_id: str, what: str) -> None:
    """Claim ``key`` for this deployment (exactly once); ``DuplicateDelivery`` if another
    deployment holds it."""
    if not services.records.claim_approval(key, deployment_id):
        holder = services.records.claim_holder(key) or "another deployment"
        raise DuplicateDelivery(
            f"{what} already started deployment {holder}; this delivery is ignored"
        )


def _served_here(stage: StagePolicy, config: Settings, *, what: str) -> None:
    if stage.account_id and stage.account_id != config.stack_account:
        raise StageNotServed(
            f"{what}: stage {stage.name!r} is deployed by the stack of account "
            f"{stage.account_id}; this stack is account {config.stack_account}"
        )


def _stage_run(
    policy: Policy, stage: StagePolicy, *, promoted_from: str | None, by: str | None
) -> StageRun:
    stages = policy.stages or []
    after = policy.next_stage(stage.name)
    return StageRun(
        name=stage.name,
        index=[s.name for s in stages].index(stage.name),
        count=len(stages),
        promoted_from=promoted_from,
        promoted_by_deployment=by,
        checks=stage.checks,
        next=None
        if after is None
        else NextStage(
            name=after.name,
            account_id=after.account_id,
            role_arn=after.role_arn,
            promotion=stage.promotion,
            promotion_timeout_seconds=stage.promotion_timeout_seconds,
        ),
    )


def _refuse_quarantined(package: ModelPackage, services: ResolveServices, event_id: str) -> None:
    """A quarantined version approved again without ``rollout requalify``: refused, and put
    back to ``Rejected`` (the registry keeps saying what is true)."""
    reason = package.life_cycle.stage_description or "a failed stage"
    stage = package.life_cycle.stage or "quarantined"
    services.registry.quarantine(package.arn, stage=stage, reason=reason)
    raise Quarantined(
        f"model package {package.arn} is quarantined ({reason}); its approval (event "
        f"{event_id}) is refused and it is Rejected again. Approve it again only with "
        "`rollout requalify <package-arn> --reason ...`"
    )


def _start(
    request: ResolveRequest,
    services: ResolveServices,
    *,
    package_arn: str,
    group: str,
    version: int,
    policy: Policy,
    strategy: Strategy,
    approval: Approval,
    stage: StageRun | None,
) -> Deployment:
    config = settings()
    previous = services.releases.serving_state(policy.endpoint_name)
    deployment = Deployment(
        deployment_id=request.deployment_id,
        execution_arn=request.execution_arn,
        model_package_arn=package_arn,
        model_package_group=group,
        model_package_version=version,
        endpoint_name=policy.endpoint_name,
        policy=policy,
        strategy=strategy,
        limits=Limits(
            endpoint_wait_seconds=config.endpoint_wait_seconds,
            lock_poll_seconds=config.lock_poll_seconds,
            lock_lease_seconds=config.lock_lease_seconds,
        ),
        approval=approval,
        previous=previous,
        stage=stage,
    )
    if stage is not None:
        services.registry.record_stage(
            package_arn,
            stage=stage.name,
            status=IN_PROGRESS,
            description=describe_stage(
                stage=stage.name,
                status=IN_PROGRESS,
                deployment_id=request.deployment_id,
                endpoint=policy.endpoint_name,
                account=config.stack_account,
                what="deploying"
                + (f", promoted from {stage.promoted_from}" if stage.promoted_from else ""),
            ),
        )
    services.records.start(deployment)
    return deployment


def resolve_promotion(request: ResolveRequest, services: ResolveServices) -> Deployment:
    """A promotion event from the stage before: deploy the stage it names, if the registry
    backs it (``PromotionRefused`` otherwise; a repeated one is ``DuplicateDelivery``)."""
    promotion = parse_promotion_event(request.event)
    config = settings()
    _check_origin(request.event, config)
    group = promotion.model_package_group
    policy = services.policies.load(group)
    if not policy.stages:
        raise PromotionRefused(
            f"promotion of {promotion.model_package_arn} to stage {promotion.to_stage!r}: the "
            f"policy of group {group!r} has no stages"
        )
    key = f"{promotion.dedup_key}#{promotion.from_deployment_id}"
    holder = services.records.claim_holder(key)
    if holder is not None and holder != request.deployment_id:
        raise DuplicateDelivery(
            f"the promotion {promotion.promotion_id} of {promotion.model_package_arn} already "
            f"started deployment {holder}; this delivery (event {promotion.event_id}) is ignored"
        )
    package = services.registry.describe(promotion.model_package_arn)
    check_promotion(
        promotion,
        stage_names=[s.name for s in policy.stages],
        approval_status=package.approval_status,
        life_cycle=package.life_cycle,
    )
    stage = policy.stage(promotion.to_stage)
    assert stage is not None  # check_promotion refused any other
    _served_here(stage, config, what=f"promotion {promotion.promotion_id}")
    staged = policy.for_stage(stage.name)
    strategy = effective_strategy(staged, package, group=group)
    _claim(
        services,
        key,
        request.deployment_id,
        f"the promotion {promotion.promotion_id} of {promotion.model_package_arn} (event "
        f"{promotion.event_id})",
    )
    return _start(
        request,
        services,
        package_arn=promotion.model_package_arn,
        group=group,
        version=promotion.model_package_version,
        policy=staged,
        strategy=strategy,
        approval=Approval(event_id=promotion.event_id, event_time=promotion.event_time),
        stage=_stage_run(
            policy,
            stage,
            promoted_from=promotion.from_stage,
            by=promotion.from_deployment_id,
        ),
    )


def resolve_policy(request: ResolveRequest, services: ResolveServices) -> Deployment:
    if is_promotion_event(request.event):
        return resolve_promotion(request, services)
    approved = parse_approval_event(request.event)
    config = settings()
    _check_origin(request.event, config)
    group = approved.model_package_group
    policy = services.policies.load(group)
    package = services.registry.describe(approved.model_package_arn)
    if package.approval_status != APPROVED:
        raise InvalidEvent(
            f"model package {package.arn} is {package.approval_status!r} now, no longer "
            f"{APPROVED!r}; the approval (event {approved.event_id}) was withdrawn before "
            "the deployment started"
        )
    if is_quarantined(package.life_cycle):
        _refuse_quarantined(package, services, approved.event_id)
    stage: StageRun | None = None
    if policy.stages:
        first = policy.stages[0]
        _served_here(first, config, what=f"the approval of {package.arn}")
        stage = _stage_run(policy, first, promoted_from=None, by=None)
        policy = policy.for_stage(first.name)
    strategy = effective_strategy(policy, package, group=group)
    # Claimed only once the input proved valid: bad input writes nothing.
    _claim(
        services,
        approved.dedup_key,
        request.deployment_id,
        f"the approval of {approved.model_package_arn} (at "
        f"{approved.last_modified_time or approved.event_time}, event {approved.event_id})",
    )
    return _start(
        request,
        services,
        package_arn=approved.model_package_arn,
        group=group,
        version=approved.model_package_version,
        policy=policy,
        strategy=strategy,
        approval=approved.approval(),
        stage=stage,
    )
