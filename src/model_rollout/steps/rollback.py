"""Rollback: all traffic back to the previous variants, a weight shift while they are provisioned.

The config that served before is restored afterwards (RestoreConfig).
"""

from __future__ import annotations

from model_rollout.adapters.endpoints import Endpoints
from model_rollout.domain.deployment import Deployment, EndpointChange, Expectation
from model_rollout.domain.expectation import (
    IN_PROGRESS,
    describe_state,
    shares,
    weights_of,
)
from model_rollout.errors import EndpointNotReady
from model_rollout.workflow.endpoint_changes import (
    pending_config,
    same_shares,
    status_of,
)


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
        pending_config(described)
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
    if same_shares(shares(current), target) and status_of(described) == "InService":
        return EndpointChange(action="none", expect=expect)
    if status_of(described) in IN_PROGRESS:
        raise EndpointNotReady(
            f"endpoint {name} is {status_of(described)} ({describe_state(described)}); traffic "
            "can be shifted back once it is InService"
        )
    endpoints.update_weights(name, target)
    return EndpointChange(action="shift-traffic", expect=expect)
