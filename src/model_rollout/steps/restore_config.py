"""RestoreConfig: the endpoint back on the config that served before the deployment.

The new variant's autoscaling goes first; the previous variant's comes back if Promote had
removed it. The endpoint's lineage tags become those of the restored config.
"""

from __future__ import annotations

from model_rollout.adapters.endpoints import Endpoints
from model_rollout.adapters.variant_scaling import resource_id
from model_rollout.domain.deployment import Deployment, EndpointChange, Expectation
from model_rollout.domain.expectation import (
    IN_PROGRESS,
    describe_state,
)
from model_rollout.errors import DeploymentFailed, EndpointNotReady
from model_rollout.modes import mode_of
from model_rollout.workflow.endpoint_changes import (
    release_configs,
    restore_lineage_tags,
    status_of,
    targets_of,
)
from model_rollout.workflow.scaling import Scaling, register_variant


def restore_config(deployment: Deployment, *, endpoints: Endpoints) -> EndpointChange:
    """Restore the config (and the lineage tags) that served before the deployment; or, for a
    first deployment, delete the endpoint it created."""
    name = deployment.endpoint_name
    previous = deployment.previous
    # multi_model: the config never changed, the pointer (and the lineage) moves back
    own = mode_of(deployment.policy).restore_config(deployment, endpoints=endpoints)
    if own is not None:
        return own
    described = endpoints.describe(name)
    ours = release_configs(deployment)

    if previous is None:
        if described is None:
            return EndpointChange(action="none", expect=Expectation(absent=True))
        if not ours & targets_of(described):
            # not created by this deployment (it appeared meanwhile): never delete it
            return EndpointChange(action="none", expect=Expectation(settled=True))
        endpoints.delete(name)
        return EndpointChange(action="delete", expect=Expectation(absent=True))

    config = previous.endpoint_config_name
    expect = Expectation(endpoint_config_name=config)
    if described is None:
        raise DeploymentFailed(
            f"endpoint {name} no longer exists; cannot restore config {config}. "
            f"Recreate it with config {config} to serve the previous model again."
        )
    targets = targets_of(described)
    if targets == {config}:
        restore_lineage_tags(name, described["EndpointArn"], config, endpoints=endpoints)
        return EndpointChange(action="none", expect=expect)
    if not targets <= ours | {config}:
        raise DeploymentFailed(
            f"endpoint {name} is on config {', '.join(sorted(targets))}, which neither this "
            f"deployment nor the previous release ({config}) created: someone else changed "
            "it; not overriding that change"
        )
    if status_of(described) in IN_PROGRESS:
        raise EndpointNotReady(
            f"endpoint {name} is {status_of(described)} ({describe_state(described)}); config "
            f"{config} can be restored once it is InService"
        )
    endpoints.update(name, config)
    restore_lineage_tags(name, described["EndpointArn"], config, endpoints=endpoints)
    return EndpointChange(action="update", expect=expect)


def restore_config_and_scaling(
    deployment: Deployment, *, endpoints: Endpoints, scaling: Scaling
) -> EndpointChange:
    """RestoreConfig: the new variant's autoscaling goes, the previous config comes back,
    and the previous variant's autoscaling too if Promote had removed it."""
    spec, release = deployment.policy.autoscaling, deployment.release
    if spec is None or release is None:
        return restore_config(deployment, endpoints=endpoints)
    name = deployment.endpoint_name
    scaling.deregister(resource_id(name, release.variant_name))
    change = restore_config(deployment, endpoints=endpoints)
    blue = release.previous_variant_name
    if blue is not None and not scaling.registered(resource_id(name, blue)):
        register_variant(name, blue, spec, scaling)
    return change
