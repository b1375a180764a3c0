"""Progressive strategies (canary, linear): the traffic plan and the steps that walk it.

The release's bake config provisions the new (green) variant at weight 0 beside the serving
(blue) one, so green's capacity is in place before it takes any traffic. The state machine
then loops, with the same states (and so the same number of transitions) for every step::

    NextStep → AwaitStep → WatchStep → CheckStep → StepVerdict ─┬→ NextStep  (more steps)
                                 ▲                             ├→ WatchStep (hold: low traffic)
                                 └─────────────────────────────┘→ Promote   (last step passed)

- ``next_step``: shift the traffic to the plan's next share with
  ``UpdateEndpointWeightsAndCapacities`` (blue keeps the rest); ``$.step`` says what the
  await waits for and how long the watch lasts.
- ``WatchStep``: the bake of the step, the same event-driven Watch as all_at_once's (an
  alarm fails it at once; the step's end is the task's timeout; an operator's promote
  skips the remaining steps).
- ``check_step``: the low-traffic guard: the step passes only when green served at least
  ``min_invocations`` (``AWS/SageMaker`` ``Invocations`` of the variant, summed over the
  step); otherwise the policy holds the step (another watch, up to ``max_hold_seconds``
  in all) or fails it (``LowTraffic``, rolled back).

The last step is always 100 %: green takes all traffic and is watched once more while blue
is still provisioned (at weight 0), so a rollback stays a weight shift until the very end;
only then does ``Promote`` move the endpoint to the single-variant final config.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

from model_rollout.adapters.endpoints import Endpoints
from model_rollout.domain.deployment import Deployment, Expectation, Release, TrafficStep
from model_rollout.domain.expectation import (
    IN_PROGRESS,
    WEIGHT_TOLERANCE,
    describe_state,
    normalize_status,
    shares,
    weights_of,
)
from model_rollout.domain.policy import (
    ABStrategy,
    CanaryStrategy,
    LinearStrategy,
    ShadowStrategy,
    Strategy,
)
from model_rollout.errors import DeploymentFailed, EndpointNotReady, LowTraffic

PROGRESSIVE = ("canary", "linear")
_EPSILON = 1e-9


def is_progressive(strategy: Strategy) -> bool:
    return strategy.type in PROGRESSIVE


def traffic_plan(strategy: Strategy, *, has_blue: bool = True) -> list[float]:
    """The new variant's share of traffic (percent) at each step; always ends at 100.

    canary ``percent: p`` → ``[p, 100]``; canary ``steps: [a, b]`` → ``[a, b, 100]``;
    linear ``step_percent: s`` → ``[s, 2s, …, 100]``; all_at_once (or nothing to shift
    from, i.e. a first deployment) → ``[100]``.
    """
    if not has_blue:
        return [100.0]
    if isinstance(strategy, CanaryStrategy):
        steps = strategy.steps if strategy.steps is not None else [strategy.percent or 0.0]
        return [float(s) for s in steps] + [100.0]
    if isinstance(strategy, ABStrategy):  # one step: the configured split (strategies.ab)
        return [round(strategy.challenger_share() * 100.0, 6)]
    if isinstance(strategy, LinearStrategy):
        plan: list[float] = []
        k = 1
        while k * strategy.step_percent < 100.0 - _EPSILON:
            plan.append(round(k * strategy.step_percent, 6))
            k += 1
        return [*plan, 100.0]
    return [100.0]


def step_seconds(strategy: Strategy) -> int:
    """How long each step is watched: canary/all_at_once ``bake_seconds``, linear
    ``interval_seconds``."""
    if isinstance(strategy, LinearStrategy):
        return strategy.interval_seconds
    if isinstance(strategy, ABStrategy | ShadowStrategy):
        return strategy.duration_seconds
    return int(strategy.bake_seconds)


def initial_shares(release: Release, strategy: Strategy) -> dict[str, float]:
    """Traffic shares the release's bake config starts with: a progressive strategy
    provisions green at weight 0 (blue keeps all traffic); all_at_once moves it all."""
    blue = release.previous_variant_name
    if blue is not None and strategy.type == "shadow":
        return {blue: 1.0}  # green is a shadow variant: no production traffic
    if blue is not None and (is_progressive(strategy) or strategy.type == "ab"):
        return {release.variant_name: 0.0, blue: 1.0}
    return {release.variant_name: 1.0}


def _release(deployment: Deployment) -> Release:
    if deployment.release is None:
        raise DeploymentFailed(
            f"deployment {deployment.deployment_id} has no release ($.release): "
            "the Tag step did not run"
        )
    return deployment.release


def _same(actual: dict[str, float] | None, target: dict[str, float]) -> bool:
    return actual is not None and all(
        abs(actual.get(variant, 0.0) - share) <= WEIGHT_TOLERANCE
        for variant, share in target.items()
    )


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
    release = _release(deployment)
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
    if not _same(_desired_shares(described), target):
        if status in IN_PROGRESS:
            raise EndpointNotReady(
                f"endpoint {name} is {status} ({describe_state(described)}); traffic moves "
                f"to step {index + 1} once it is InService"
            )
        endpoints.update_weights(name, target)
    seconds = step_seconds(deployment.strategy)
    return TrafficStep(
        index=index,
        count=len(plan),
        percent=percent,
        weights=target,
        expect=Expectation(endpoint_config_name=release.bake_config_name, weights=target),
        bake_seconds=seconds,
        watch_seconds=seconds,
        started_at=clock(),
        min_invocations=int(getattr(deployment.strategy, "min_invocations", 0)),
    )


class InvocationCounter(Protocol):
    """``model_rollout.adapters.variant_metrics.VariantMetrics`` as the guard uses it."""

    def invocations(
        self, endpoint_name: str, variant_name: str, start: float, end: float
    ) -> int: ...


def step_label(step: TrafficStep, variant: str) -> str:
    return (
        f"step {step.index + 1} of {step.count} ({step.percent:g}% of traffic to variant {variant})"
    )


def check_step(
    deployment: Deployment,
    *,
    metrics: InvocationCounter,
    clock: Callable[[], float] = time.time,
) -> TrafficStep:
    """The step's watch ended without an alarm: pass it, hold it, or fail it (low traffic).

    ``pass`` when ``min_invocations`` is 0 or the new variant served at least that many
    invocations since the step began; else ``hold`` (watch again for the step's bake time,
    capped by what is left of ``max_hold_seconds``) when the policy holds and the limit is
    not reached; else raises ``LowTraffic`` naming the count and the minimum."""
    step = deployment.step
    if step is None:
        raise DeploymentFailed(
            f"deployment {deployment.deployment_id} has no traffic step ($.step) to check"
        )
    release = _release(deployment)
    strategy = deployment.strategy
    minimum = int(getattr(strategy, "min_invocations", 0))
    if minimum <= 0:
        return step.model_copy(update={"verdict": "pass"})
    now = clock()
    served = metrics.invocations(
        deployment.endpoint_name, release.variant_name, step.started_at, now
    )
    if served >= minimum:
        return step.model_copy(update={"verdict": "pass", "invocations": served})
    max_hold = int(getattr(strategy, "max_hold_seconds", 0))
    left = max_hold - step.held_seconds
    if getattr(strategy, "on_low_traffic", "fail") == "hold" and left > 0:
        extend = min(step.bake_seconds, left)
        return step.model_copy(
            update={
                "verdict": "hold",
                "invocations": served,
                "watch_seconds": extend,
                "held_seconds": step.held_seconds + extend,
            }
        )
    held = (
        f", after holding the step {step.held_seconds}s (max_hold_seconds {max_hold})"
        if step.held_seconds
        else ""
    )
    raise LowTraffic(
        f"{step_label(step, release.variant_name)}: the new variant served {served} "
        f"invocations in {max(0.0, now - step.started_at):.0f}s, below min_invocations "
        f"{minimum}{held}; too little traffic to judge the new model"
    )
