"""Deploy: the release's bake config onto the endpoint (create it, or update it).

Reads the endpoint's actual state first and is idempotent: a retried step finds its own
change in progress or done and asks for nothing again. Returns what AwaitDeploy waits for.
"""

from __future__ import annotations

from typing import Any

from model_rollout.adapters.endpoints import Endpoints
from model_rollout.domain.deployment import Deployment, EndpointChange, Expectation
from model_rollout.domain.expectation import (
    describe_state,
)
from model_rollout.errors import EndpointConflict
from model_rollout.modes import mode_of
from model_rollout.strategies.progressive import initial_shares
from model_rollout.workflow.endpoint_changes import all_on, release_of, status_of, targets_of


def deploy(
    deployment: Deployment,
    *,
    endpoints: Endpoints,
    runtime: Any = None,
    records: Any = None,
) -> EndpointChange:
    """Create the endpoint on the final config (first deployment), or update it to the bake
    config (green takes all traffic, blue stays provisioned at weight 0) and tag it.

    A mode may deploy its own way (``runtime``, ``records``: what it needs for that): mode
    multi_model smoke-tests a later version and moves the pointer instead
    (``model_rollout.modes.multi_model.deploy_version``); the config is not changed."""
    release = release_of(deployment)
    name = deployment.endpoint_name
    previous = deployment.previous
    mode = mode_of(deployment.policy)
    own = mode.deploy(deployment, endpoints=endpoints, runtime=runtime, records=records)
    if own is not None:
        return own
    described = endpoints.describe(name)

    if described is None:
        if previous is not None:
            raise EndpointConflict(
                f"endpoint {name} no longer exists (it served config "
                f"{previous.endpoint_config_name} when the deployment started); nothing was "
                "changed. Approve the version again to deploy it to a new endpoint."
            )
        # multi_model: the first version's pointer
        tags = {**release.tags, **mode.created_endpoint_tags(release)}
        endpoints.create(name, release.final_config_name, tags)
        return EndpointChange(
            action="create", expect=all_on(release.final_config_name, release.variant_name)
        )

    if previous is None:
        if release.final_config_name in targets_of(described):  # a retried create
            return EndpointChange(
                action="create", expect=all_on(release.final_config_name, release.variant_name)
            )
        raise EndpointConflict(
            f"endpoint {name} exists ({describe_state(described)}) but did not when the "
            "deployment started; not touching an endpoint this deployment did not create. "
            "Approve the version again to deploy to it."
        )

    # all_at_once: green takes all traffic; canary/linear/ab: green provisioned at weight 0;
    # shadow: blue keeps all traffic, green is its shadow (model_rollout.strategies.shadow)
    target = release.bake_config_name
    if deployment.strategy.shadow_share() is not None and release.shadow_config_name:
        target = release.shadow_config_name
    expect = Expectation(
        endpoint_config_name=target,
        weights=initial_shares(release, deployment.strategy),
    )
    if target in targets_of(described):  # a retried update
        return EndpointChange(action="update", expect=expect)
    status = status_of(described)
    if status != "InService":
        raise EndpointConflict(
            f"endpoint {name} is {status}, not InService ({describe_state(described)}): it "
            "cannot take an update now; nothing was changed. Wait until it is InService "
            "(or repair it) and approve the version again."
        )
    config = described.get("EndpointConfigName")
    # after an accepted shadow comparison the follow-up starts from the shadow config
    if config != previous.endpoint_config_name and config != release.shadow_config_name:
        raise EndpointConflict(
            f"endpoint {name} serves config {config}, but this release was prepared against "
            f"{previous.endpoint_config_name}: the endpoint changed since the deployment "
            "started; nothing was changed. Approve the version again."
        )
    endpoints.update(name, target)
    endpoints.add_tags(described["EndpointArn"], release.tags)
    return EndpointChange(action="update", expect=expect)
