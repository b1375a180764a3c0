"""NextStep (and StartAB): the endpoint's traffic moves to the strategy's next step."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from model_rollout.adapters.endpoints import Endpoints
from model_rollout.domain.deployment import Deployment, Expectation, TrafficStep
from model_rollout.domain.expectation import (
    IN_PROGRESS,
    describe_state,
    normalize_status,
    shares,
    weights_of,
)
from model_rollout.errors import DeploymentFailed, EndpointNotReady
from model_rollout.strategies.progressive import judge_of, step_seconds, traffic_plan
from model_rollout.workflow.endpoint_changes import release_of, same_shares


def _desired_shares(described: dict[str, Any]) -> dict[str, float] | None:
    desired = {}
    for variant in described.get("ProductionVariants") or []:
        weight = variant.get("DesiredWeight", variant.get("CurrentWeight"))
        desired[variant["VariantName"]] = float(weight if weight is not None else 0.0)
    return shares(desired)


def next_step(
    deployment: Deployment, *, endpoints: Endpoints, clock: Callable[[], float] = time.time
) -> TrafficStep:
    """Move traffic to the plan's next step (the first one when ``$.step`` is absent).

    Idempotent: when the endpoint already shows (or is applying) the step's weights, nothing
    is asked again. Raises ``EndpointNotReady`` while another change is in progress."""
    release = release_of(deployment)
    name = deployment.endpoint_name
    blue = release.previous_variant_name
    plan = traffic_plan(deployment.strategy, has_blue=blue is not None)
    index = 0 if deployment.step is None else deployment.step.index + 1
    if index >= len(plan):
        raise DeploymentFailed(
            f"deployment {deployment.deployment_id} has no step {index + 1}: its plan has "
            f"{len(plan)} ({', '.join(f'{p:g}%' for p in plan)})"
        )
    percent = plan[index]
    target = {release.variant_name: percent / 100.0}
    if blue is not None:
        target[blue] = 1.0 - percent / 100.0
    described = endpoints.describe(name)
    if described is None:
        raise DeploymentFailed(
            f"endpoint {name} no longer exists; cannot move {percent:g}% of traffic to "
            f"variant {release.variant_name}"
        )
    missing = sorted(set(target) - set(weights_of(described)))
    if missing:
        raise DeploymentFailed(
            f"endpoint {name} has no variant {', '.join(missing)} ({describe_state(described)}); "
            f"cannot move {percent:g}% of traffic to variant {release.variant_name}"
        )
    status = normalize_status(str(described.get("EndpointStatus", "")))
    if not same_shares(_desired_shares(described), target):
        if status in IN_PROGRESS:
            raise EndpointNotReady(
                f"endpoint {name} is {status} ({describe_state(described)}); traffic moves "
                f"to step {index + 1} once it is InService"
            )
        endpoints.update_weights(name, target)
    seconds = step_seconds(deployment.strategy)
    # a judged step is watched in looks (model_rollout.strategies.progressive.judge_step)
    judge = judge_of(deployment.strategy, percent, has_blue=blue is not None)
    return TrafficStep(
        index=index,
        count=len(plan),
        percent=percent,
        weights=target,
        expect=Expectation(endpoint_config_name=release.bake_config_name, weights=target),
        bake_seconds=seconds,
        watch_seconds=min(judge.look_seconds, seconds) if judge else seconds,
        started_at=clock(),
        min_invocations=int(getattr(deployment.strategy, "min_invocations", 0)),
    )
