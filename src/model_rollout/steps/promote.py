"""Promote: the bake passed; the endpoint moves to the release's final, single-variant config.

A stage with ``checks`` first counts what the new variant served in the stage (its
invocations and 5XX errors since the deployment started) and refuses to promote on too
little (``LowTraffic``) or too many errors (``StageChecksFailed``): the rollback follows.
The previous variant's autoscaling is deregistered first (SageMaker refuses to remove a
variant that is still a scalable target). Returns what AwaitPromote waits for.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Protocol

from model_rollout.adapters.endpoints import Endpoints
from model_rollout.adapters.variant_scaling import resource_id
from model_rollout.domain.deployment import Deployment, EndpointChange
from model_rollout.domain.stages import check_stage
from model_rollout.errors import DeploymentFailed
from model_rollout.workflow.endpoint_changes import all_on, release_of, targets_of
from model_rollout.workflow.scaling import Scaling


class ServedMetrics(Protocol):
    """``model_rollout.adapters.variant_metrics.VariantMetrics`` as the checks use it."""

    def sum(
        self, endpoint_name: str, variant_name: str, metric: str, start: float, end: float
    ) -> float: ...


def check_what_the_stage_served(deployment: Deployment, metrics: ServedMetrics) -> None:
    """The stage's ``checks`` over the new variant's time in the stage (none: nothing)."""
    stage = deployment.stage
    if stage is None or stage.checks is None:
        return
    variant = release_of(deployment).variant_name
    name = deployment.endpoint_name
    # the variant is this deployment's own: it served nothing before the approval
    start = datetime.fromisoformat(deployment.approval.event_time.replace("Z", "+00:00"))
    now = time.time()
    check_stage(
        stage.name,
        stage.checks,
        variant=variant,
        invocations=metrics.sum(name, variant, "Invocations", start.timestamp(), now),
        errors=metrics.sum(name, variant, "Invocation5XXErrors", start.timestamp(), now),
    )


def promote(deployment: Deployment, *, endpoints: Endpoints) -> EndpointChange:
    """The bake passed: the endpoint moves to the final, single-variant config (blue goes)."""
    release = release_of(deployment)
    name = deployment.endpoint_name
    expect = all_on(release.final_config_name, release.variant_name)
    described = endpoints.describe(name)
    if described is None:
        raise DeploymentFailed(f"endpoint {name} no longer exists; cannot promote the release")
    if release.final_config_name in targets_of(described):  # first deployment, or a retry
        return EndpointChange(action="none", expect=expect)
    endpoints.update(name, release.final_config_name)
    return EndpointChange(action="update", expect=expect)


def promote_releasing_old_scaling(
    deployment: Deployment,
    *,
    endpoints: Endpoints,
    scaling: Scaling,
    metrics: ServedMetrics | None = None,
) -> EndpointChange:
    """Promote: the stage's checks, deregister the previous variant's autoscaling, then the
    final config."""
    if metrics is not None:
        check_what_the_stage_served(deployment, metrics)
    release = deployment.release
    if deployment.policy.autoscaling is not None and release and release.previous_variant_name:
        scaling.deregister(resource_id(deployment.endpoint_name, release.previous_variant_name))
    return promote(deployment, endpoints=endpoints)
