"""The steps that change the endpoint: deploy, promote, roll traffic back, restore the config.

Each reads the endpoint's actual state first and is idempotent: a retried step (the state
machine retries Lambda errors and ``Throttled``) finds its own change in progress or done and
asks for nothing again. Each returns what the following await state waits for.
"""

from __future__ import annotations

from typing import Any

from model_rollout.adapters.endpoints import Endpoints
from model_rollout.adapters.multi_model import MultiModelRuntime
from model_rollout.domain.deployment import Deployment, EndpointChange, Expectation
from model_rollout.domain.expectation import (
    IN_PROGRESS,
    WEIGHT_TOLERANCE,
    describe_state,
    normalize_status,
    shares,
    weights_of,
)
from model_rollout.domain.lineage import TAG_PREFIX
from model_rollout.errors import DeploymentFailed, EndpointConflict, EndpointNotReady
from model_rollout.modes import multi_model
from model_rollout.strategies.progressive import initial_shares, release_of


def _status(described: dict[str, Any]) -> str:
    return normalize_status(str(described.get("EndpointStatus", "")))


def _pending_config(described: dict[str, Any]) -> str | None:
    """The config an in-progress create/update is deploying (DescribeEndpoint shows the
    old ``EndpointConfigName`` until the update completes)."""
    pending = described.get("PendingDeploymentSummary") or {}
    return pending.get("EndpointConfigName")


def _targets(described: dict[str, Any]) -> set[str]:
    return {c for c in (described.get("EndpointConfigName"), _pending_config(described)) if c}


def _all_on(config: str, variant: str) -> Expectation:
    return Expectation(endpoint_config_name=config, weights={variant: 1.0})


# ---------------------------------------------------------------------- deploy


def deploy(
    deployment: Deployment,
    *,
    endpoints: Endpoints,
    runtime: multi_model.Runtime | None = None,
    records: multi_model.Remember | None = None,
) -> EndpointChange:
    """Create the endpoint on the final config (first deployment), or update it to the bake
    config (green takes all traffic, blue stays provisioned at weight 0) and tag it.

    Mode multi_model: a later version is smoke-tested and the pointer moved instead
    (``model_rollout.modes.multi_model.deploy_version``); the config is not changed."""
    release = release_of(deployment)
    name = deployment.endpoint_name
    previous = deployment.previous
    if release.multi_model is not None and previous is not None:
        return multi_model.deploy_version(
            deployment,
            endpoints=endpoints,
            runtime=runtime or MultiModelRuntime(),
            records=records,
        )
    described = endpoints.describe(name)

    if described is None:
        if previous is not None:
            raise EndpointConflict(
                f"endpoint {name} no longer exists (it served config "
                f"{previous.endpoint_config_name} when the deployment started); nothing was "
                "changed. Approve the version again to deploy it to a new endpoint."
            )
        tags = dict(release.tags)
        if release.multi_model is not None:  # the first version's pointer
            tags[release.multi_model.pointer_tag] = release.multi_model.target_model
        endpoints.create(name, release.final_config_name, tags)
        return EndpointChange(
            action="create", expect=_all_on(release.final_config_name, release.variant_name)
        )

    if previous is None:
        if release.final_config_name in _targets(described):  # a retried create
            return EndpointChange(
                action="create", expect=_all_on(release.final_config_name, release.variant_name)
            )
        raise EndpointConflict(
            f"endpoint {name} exists ({describe_state(described)}) but did not when the "
            "deployment started; not touching an endpoint this deployment did not create. "
            "Approve the version again to deploy to it."
        )

    # all_at_once: green takes all traffic; canary/linear/ab: green provisioned at weight 0;
    # shadow: blue keeps all traffic, green is its shadow (model_rollout.strategies.shadow)
    target = release.bake_config_name
    if deployment.strategy.type == "shadow" and release.shadow_config_name:
        target = release.shadow_config_name
    expect = Expectation(
        endpoint_config_name=target,
        weights=initial_shares(release, deployment.strategy),
    )
    if target in _targets(described):  # a retried update
        return EndpointChange(action="update", expect=expect)
    status = _status(described)
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


# ---------------------------------------------------------------------- promote


def promote(deployment: Deployment, *, endpoints: Endpoints) -> EndpointChange:
    """The bake passed: the endpoint moves to the final, single-variant config (blue goes)."""
    release = release_of(deployment)
    name = deployment.endpoint_name
    expect = _all_on(release.final_config_name, release.variant_name)
    described = endpoints.describe(name)
    if described is None:
        raise DeploymentFailed(f"endpoint {name} no longer exists; cannot promote the release")
    if release.final_config_name in _targets(described):  # first deployment, or a retry
        return EndpointChange(action="none", expect=expect)
    endpoints.update(name, release.final_config_name)
    return EndpointChange(action="update", expect=expect)


# ---------------------------------------------------------------------- rollback


def _ours(deployment: Deployment) -> set[str]:
    release = deployment.release
    if release is None:
        return set()
    return {
        c
        for c in (release.bake_config_name, release.final_config_name, release.shadow_config_name)
        if c
    }


def rollback(deployment: Deployment, *, endpoints: Endpoints) -> EndpointChange:
    """Move all traffic back to the previous (blue) variants: a weight shift taking seconds,
    possible while blue is still provisioned. The config is restored afterwards.

    State-based: nothing to shift (no endpoint, first deployment, already on the previous
    config, blue no longer provisioned) → no call, and the await waits for the current state.
    """
    name = deployment.endpoint_name
    previous = deployment.previous
    described = endpoints.describe(name)
    if described is None:
        return EndpointChange(action="none", expect=Expectation(absent=True))
    if previous is None:
        return EndpointChange(action="none", expect=Expectation(settled=True))
    if described.get("EndpointConfigName") == previous.endpoint_config_name and not (
        _pending_config(described)
    ):
        return EndpointChange(
            action="none", expect=Expectation(endpoint_config_name=previous.endpoint_config_name)
        )
    current = weights_of(described)
    # the previous variants the bake config kept provisioned (PrepareRelease keeps the primary)
    blue = {v.variant_name: v.weight for v in previous.variants if v.variant_name in current}
    if not blue or set(blue) == set(current):
        # blue is gone (promotion replaced it): RestoreConfig re-provisions the previous config
        return EndpointChange(action="none", expect=Expectation(settled=True))
    blue_shares = shares(blue) or {v: 1.0 / len(blue) for v in blue}
    target = {variant: blue_shares.get(variant, 0.0) for variant in current}
    expect = Expectation(endpoint_config_name=described.get("EndpointConfigName"), weights=target)
    if _same(shares(current), target) and _status(described) == "InService":
        return EndpointChange(action="none", expect=expect)
    if _status(described) in IN_PROGRESS:
        raise EndpointNotReady(
            f"endpoint {name} is {_status(described)} ({describe_state(described)}); traffic "
            "can be shifted back once it is InService"
        )
    endpoints.update_weights(name, target)
    return EndpointChange(action="shift-traffic", expect=expect)


def _same(actual: dict[str, float] | None, target: dict[str, float]) -> bool:
    return actual is not None and all(
        abs(actual.get(variant, 0.0) - share) <= WEIGHT_TOLERANCE
        for variant, share in target.items()
    )


# ---------------------------------------------------------------------- restore


def restore_config(deployment: Deployment, *, endpoints: Endpoints) -> EndpointChange:
    """Restore the config (and the lineage tags) that served before the deployment; or, for a
    first deployment, delete the endpoint it created."""
    name = deployment.endpoint_name
    previous = deployment.previous
    if multi_model.is_multi_model(deployment) and previous is not None:
        # the config never changed: the pointer (and the lineage) moves back
        return multi_model.restore_pointer(deployment, endpoints=endpoints)
    described = endpoints.describe(name)
    ours = _ours(deployment)

    if previous is None:
        if described is None:
            return EndpointChange(action="none", expect=Expectation(absent=True))
        if not ours & _targets(described):
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
    targets = _targets(described)
    if targets == {config}:
        restore_lineage_tags(name, described["EndpointArn"], config, endpoints=endpoints)
        return EndpointChange(action="none", expect=expect)
    if not targets <= ours | {config}:
        raise DeploymentFailed(
            f"endpoint {name} is on config {', '.join(sorted(targets))}, which neither this "
            f"deployment nor the previous release ({config}) created: someone else changed "
            "it; not overriding that change"
        )
    if _status(described) in IN_PROGRESS:
        raise EndpointNotReady(
            f"endpoint {name} is {_status(described)} ({describe_state(described)}); config "
            f"{config} can be restored once it is InService"
        )
    endpoints.update(name, config)
    restore_lineage_tags(name, described["EndpointArn"], config, endpoints=endpoints)
    return EndpointChange(action="update", expect=expect)


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
