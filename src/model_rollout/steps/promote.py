"""Promote: the bake passed; the endpoint moves to the release's final, single-variant config.

The previous variant's autoscaling is deregistered first (SageMaker refuses to remove a
variant that is still a scalable target). Returns what AwaitPromote waits for.
"""

from __future__ import annotations

from model_rollout.adapters.endpoints import Endpoints
from model_rollout.adapters.variant_scaling import resource_id
from model_rollout.domain.deployment import Deployment, EndpointChange
from model_rollout.errors import DeploymentFailed
from model_rollout.workflow.endpoint_changes import all_on, release_of, targets_of
from model_rollout.workflow.scaling import Scaling


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
    deployment: Deployment, *, endpoints: Endpoints, scaling: Scaling
) -> EndpointChange:
    """Promote: deregister the previous variant's autoscaling, then the final config."""
    release = deployment.release
    if deployment.policy.autoscaling is not None and release and release.previous_variant_name:
        scaling.deregister(resource_id(deployment.endpoint_name, release.previous_variant_name))
    return promote(deployment, endpoints=endpoints)
