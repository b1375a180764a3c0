"""The steps that change the endpoint: deploy, promote, roll traffic back, restore the config.

Each reads the endpoint's actual state first and is idempotent: a retried step (the state
machine retries Lambda errors and ``Throttled``) finds its own change in progress or done and
asks for nothing again. Each returns what the following await state waits for.
"""

from __future__ import annotations

from typing import Any

from model_rollout.adapters.endpoints import Endpoints
from model_rollout.domain.deployment import Deployment, Expectation, Release
from model_rollout.domain.expectation import (
    WEIGHT_TOLERANCE,
    normalize_status,
)
from model_rollout.domain.lineage import TAG_PREFIX
from model_rollout.errors import DeploymentFailed


def release_of(deployment: Deployment) -> Release:
    if deployment.release is None:
        raise DeploymentFailed(
            f"deployment {deployment.deployment_id} has no release ($.release): "
            "the Tag step did not run"
        )
    return deployment.release


def status_of(described: dict[str, Any]) -> str:
    return normalize_status(str(described.get("EndpointStatus", "")))


def pending_config(described: dict[str, Any]) -> str | None:
    """The config an in-progress create/update is deploying (DescribeEndpoint shows the
    old ``EndpointConfigName`` until the update completes)."""
    pending = described.get("PendingDeploymentSummary") or {}
    return pending.get("EndpointConfigName")


def targets_of(described: dict[str, Any]) -> set[str]:
    return {c for c in (described.get("EndpointConfigName"), pending_config(described)) if c}


def all_on(config: str, variant: str) -> Expectation:
    return Expectation(endpoint_config_name=config, weights={variant: 1.0})


# ---------------------------------------------------------------------- deploy


# ---------------------------------------------------------------------- promote


# ---------------------------------------------------------------------- rollback


def same_shares(actual: dict[str, float] | None, target: dict[str, float]) -> bool:
    return actual is not None and all(
        abs(actual.get(variant, 0.0) - share) <= WEIGHT_TOLERANCE
        for variant, share in target.items()
    )


# ---------------------------------------------------------------------- restore


def restore_lineage_tags(
    endpoint_name: str, endpoint_arn: str, config_name: str, *, endpoints: Endpoints
) -> dict[str, str]:
    """Make the endpoint's ``rollout:*`` tags those of the config that serves (the previous
    release's, read from its EndpointConfig); returns them."""
    config_tags = endpoints.config_tags(config_name) or {}
    wanted = {k: v for k, v in config_tags.items() if k.startswith(TAG_PREFIX)}
    current = {
        k: v for k, v in endpoints.list_tags(endpoint_arn).items() if k.startswith(TAG_PREFIX)
    }
    stale = sorted(set(current) - set(wanted))
    endpoints.delete_tags(endpoint_arn, stale)
    changed = {k: v for k, v in wanted.items() if current.get(k) != v}
    endpoints.add_tags(endpoint_arn, changed)
    return wanted


def release_configs(deployment: Deployment) -> set[str]:
    """The endpoint configs this deployment created (bake, final, shadow)."""
    release = deployment.release
    if release is None:
        return set()
    return {
        c
        for c in (release.bake_config_name, release.final_config_name, release.shadow_config_name)
        if c
    }
