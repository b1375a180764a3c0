"""ResolvePolicy: an approval event becomes the deployment document.

Parse the event, check where it comes from, load the group's policy, apply a permitted
strategy override, claim the approval (exactly once; only valid input writes anything), find
what serves the endpoint now, record the start.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from model_rollout.adapters.policies import PolicyStore
from model_rollout.adapters.records import DeploymentRecords
from model_rollout.adapters.registry import STRATEGY_OVERRIDE_KEY, ModelPackage, ModelRegistry
from model_rollout.adapters.releases import Releases
from model_rollout.config import settings
from model_rollout.domain.approval import APPROVED, parse_approval_event
from model_rollout.domain.deployment import Deployment, Limits
from model_rollout.domain.event_origin import check_origin
from model_rollout.domain.policy import Policy, Strategy, parse_strategy_override
from model_rollout.errors import DuplicateDelivery, InvalidEvent, InvalidPolicy


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


def resolve_policy(request: ResolveRequest, services: ResolveServices) -> Deployment:
    approved = parse_approval_event(request.event)
    config = settings()
    check_origin(
        request.event,
        allowed_accounts=config.allowed_event_accounts,
        stack_account=config.stack_account,
        stack_region=config.stack_region,
    )
    group = approved.model_package_group
    policy = services.policies.load(group)
    package = services.registry.describe(approved.model_package_arn)
    if package.approval_status != APPROVED:
        raise InvalidEvent(
            f"model package {package.arn} is {package.approval_status!r} now, no longer "
            f"{APPROVED!r}; the approval (event {approved.event_id}) was withdrawn before "
            "the deployment started"
        )
    strategy = effective_strategy(policy, package, group=group)
    # Claimed only once the input proved valid: bad input writes nothing.
    if not services.records.claim_approval(approved.dedup_key, request.deployment_id):
        holder = services.records.claim_holder(approved.dedup_key) or "another deployment"
        raise DuplicateDelivery(
            f"the approval of {approved.model_package_arn} "
            f"(at {approved.last_modified_time or approved.event_time}) already started "
            f"deployment {holder}; this delivery (event {approved.event_id}) is ignored"
        )
    previous = services.releases.serving_state(policy.endpoint_name)
    deployment = Deployment(
        deployment_id=request.deployment_id,
        execution_arn=request.execution_arn,
        model_package_arn=approved.model_package_arn,
        model_package_group=group,
        model_package_version=approved.model_package_version,
        endpoint_name=policy.endpoint_name,
        policy=policy,
        strategy=strategy,
        limits=Limits(
            endpoint_wait_seconds=settings().endpoint_wait_seconds,
            lock_poll_seconds=settings().lock_poll_seconds,
            lock_lease_seconds=settings().lock_lease_seconds,
        ),
        approval=approved.approval(),
        previous=previous,
    )
    services.records.start(deployment)
    return deployment
