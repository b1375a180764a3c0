"""The release of a deployment (pure): resource names and endpoint-config plans.

Names are deterministic per deployment (a short id from the deployment id), so that a retried
step finds what it already created and ``RecordFailure`` can clean up a half-made release
even when the Tag step failed before returning.

- final config: one variant, the new model, instance type/count from the policy, weight 1.
- bake config: for a first deployment the final config itself; otherwise the new variant at
  weight 1 and the previous serving variant (same model, instance type and count) at weight
  0: blue stays provisioned, so a rollback is a weight shift taking seconds.
"""

from __future__ import annotations

import hashlib
import re

from pydantic import BaseModel, ConfigDict

from model_rollout.domain.deployment import ServingState, VariantRef
from model_rollout.domain.policy import Policy, Strategy

MAX_NAME = 63
_NOT_NAME = re.compile(r"[^a-zA-Z0-9-]+")
NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")


def short_id(deployment_id: str) -> str:
    """Eight hex characters derived from the deployment id (stable, collision-resistant)."""
    return hashlib.sha256(deployment_id.encode()).hexdigest()[:8]


def sanitize_name(text: str) -> str:
    """Letters, digits and inner hyphens only (SageMaker's resource name rule)."""
    return _NOT_NAME.sub("-", text).strip("-")


class ReleaseNames(BaseModel):
    model_config = ConfigDict(frozen=True)

    model_name: str
    variant_name: str
    bake_config_name: str
    final_config_name: str

    @property
    def config_names(self) -> list[str]:
        return list(dict.fromkeys([self.bake_config_name, self.final_config_name]))


def release_names(
    *,
    deployment_id: str,
    endpoint_name: str,
    model_package_version: int,
    resource_prefix: str,
    first_deployment: bool = False,
) -> ReleaseNames:
    """Names of the release's Model, variant and EndpointConfigs (each at most 63 chars).

    A first deployment has no bake config of its own: ``bake_config_name`` is the final one.
    """
    sid = short_id(deployment_id)
    tail = f"v{model_package_version}-{sid}"
    longest = f"-{tail}-final"
    base = sanitize_name(f"{resource_prefix}-{endpoint_name}")[: MAX_NAME - len(longest)]
    base = base.rstrip("-") or "release"
    final = f"{base}-{tail}-final"
    return ReleaseNames(
        model_name=f"{base}-{tail}",
        variant_name=tail,
        bake_config_name=final if first_deployment else f"{base}-{tail}-bake",
        final_config_name=final,
    )


def shadow_config_name(names: ReleaseNames) -> str:
    """The shadow strategy's config: ``<base>-<tail>-shadow`` (at most 63 characters)."""
    tail = names.variant_name
    base = names.model_name[: -(len(tail) + 1)]
    base = base[: MAX_NAME - len(f"-{tail}-shadow")].rstrip("-") or "release"
    return f"{base}-{tail}-shadow"


class ReleasePlan(BaseModel):
    model_config = ConfigDict(frozen=True)

    names: ReleaseNames
    final_variants: list[VariantRef]
    bake_variants: list[VariantRef]
    previous_variant_name: str | None = None
    # shadow strategy (strategies.shadow): blue alone in production, green as its shadow
    shadow_config_name: str | None = None
    shadow_production: list[VariantRef] = []
    shadow_variants: list[VariantRef] = []


def plan_release(
    *,
    deployment_id: str,
    endpoint_name: str,
    model_package_version: int,
    policy: Policy,
    previous: ServingState | None,
    resource_prefix: str,
    strategy: Strategy | None = None,
) -> ReleasePlan:
    """``strategy`` (default: the policy's) decides the bake config's starting weights: a
    progressive strategy (canary, linear) provisions green at weight 0 and leaves all
    traffic on blue until its first step."""
    blue = previous.primary_variant() if previous is not None else None
    chosen = strategy or policy.strategy
    # a shadow deployment's bake config is its follow-up strategy's (all_at_once if none);
    # canary, linear and ab provision green at weight 0: traffic moves at their first step
    bake_strategy = chosen.bake_strategy()
    gradual = bake_strategy is not None and bake_strategy.green_starts_at_zero
    names = release_names(
        deployment_id=deployment_id,
        endpoint_name=endpoint_name,
        model_package_version=model_package_version,
        resource_prefix=resource_prefix,
        first_deployment=blue is None,
    )
    green = VariantRef(
        variant_name=names.variant_name,
        model_name=names.model_name,
        weight=1.0,
        instance_type=policy.instance_type,
        instance_count=policy.instance_count,
    )
    if blue is None:
        return ReleasePlan(names=names, final_variants=[green], bake_variants=[green])
    blue_at_zero = VariantRef(
        variant_name=blue.variant_name,
        model_name=blue.model_name,
        weight=1.0 if gradual else 0.0,
        instance_type=blue.instance_type or policy.instance_type,
        instance_count=blue.instance_count or policy.instance_count,
    )
    green_at_start = green.model_copy(update={"weight": 0.0}) if gradual else green
    shadow: dict[str, object] = {}
    sample = chosen.shadow_share()
    if sample is not None:
        # SageMaker copies to a shadow variant the share of requests given by its weight
        # relative to the production variant's
        shadow = {
            "shadow_config_name": shadow_config_name(names),
            "shadow_production": [blue_at_zero.model_copy(update={"weight": 1.0})],
            "shadow_variants": [green.model_copy(update={"weight": sample})],
        }
    return ReleasePlan(
        names=names,
        final_variants=[green],
        bake_variants=[green_at_start, blue_at_zero],
        previous_variant_name=blue.variant_name,
        **shadow,  # type: ignore[arg-type]
    )
