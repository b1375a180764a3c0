"""CheckStep: a traffic step passed its watch; did the new variant serve enough to judge it?"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from model_rollout.domain.deployment import Deployment, TrafficStep
from model_rollout.errors import DeploymentFailed, LowTraffic
from model_rollout.workflow.endpoint_changes import release_of


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
    release = release_of(deployment)
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
