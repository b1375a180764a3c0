"""CheckStep: a traffic step passed its watch (or a look of it); is the new variant good
enough, and did it serve enough to tell?"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from model_rollout.domain.deployment import Deployment, StepLook, TrafficStep
from model_rollout.domain.policy import StepJudge
from model_rollout.errors import DeploymentFailed, LowTraffic, StepJudgedWorse
from model_rollout.strategies.progressive import judge_of, judge_step
from model_rollout.workflow.endpoint_changes import release_of

ERRORS = "Invocation5XXErrors"  # AWS/SageMaker, per variant: the model's own failures


class InvocationCounter(Protocol):
    """``model_rollout.adapters.variant_metrics.VariantMetrics`` as the guard uses it."""

    def invocations(
        self, endpoint_name: str, variant_name: str, start: float, end: float
    ) -> int: ...

    def sum(
        self, endpoint_name: str, variant_name: str, metric: str, start: float, end: float
    ) -> float: ...


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
    blue = release.previous_variant_name
    judge = judge_of(strategy, step.percent, has_blue=blue is not None)
    if judge is not None and blue is not None:
        step = _judge(deployment, step, judge, blue, metrics=metrics, now=clock())
        if step.verdict == "hold":  # look again, or hold for evidence
            return step
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
        return _held(step, min(step.bake_seconds, left), invocations=served)
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


def _judge(
    deployment: Deployment,
    step: TrafficStep,
    judge: StepJudge,
    blue: str,
    *,
    metrics: InvocationCounter,
    now: float,
) -> TrafficStep:
    """The step judge's look: raises ``StepJudgedWorse``; returns the step to watch again
    (``hold``: another look, or a hold for evidence), or, when the step's watch is over and
    the new variant is not worse, the step with its look (the low-traffic guard then
    decides, as without a judge)."""
    release = release_of(deployment)
    name, green, start = deployment.endpoint_name, release.variant_name, step.started_at

    def counts(variant: str) -> tuple[float, float]:
        return (
            float(metrics.invocations(name, variant, start, now)),
            metrics.sum(name, variant, ERRORS, start, now),
        )

    earlier = step.judge
    look = judge_step(
        judge,
        new=counts(green),
        old=counts(blue),
        look=(earlier.look + 1) if earlier else 1,
        watched_seconds=(earlier.watched_seconds if earlier else 0) + step.watch_seconds,
    )
    if look.verdict == "worse":
        raise StepJudgedWorse(
            f"{step_label(step, green)}: the step judge found the new variant worse at look "
            f"{look.look} ({look.watched_seconds}s): {_rates(look)}; increase "
            f"{look.error_rate_increase:+.4f} ({(1 - judge.alpha) * 100:g}% confidence "
            f"sequence {look.confidence_sequence[0]:+.4f}, {look.confidence_sequence[1]:+.4f}) "
            f"above max_error_rate_increase {judge.max_error_rate_increase:g}"
        )
    left_in_watch = step.bake_seconds - look.watched_seconds
    if left_in_watch >= 1:  # the step's watch goes on: the next look
        return step.model_copy(
            update={
                "verdict": "hold",
                "judge": look,
                "watch_seconds": min(judge.look_seconds, left_in_watch),
            }
        )
    if look.verdict == "not_worse":
        return step.model_copy(update={"judge": look, "verdict": "watching"})
    max_hold = int(getattr(deployment.strategy, "max_hold_seconds", 0))
    left = max_hold - step.held_seconds
    if getattr(deployment.strategy, "on_low_traffic", "fail") == "hold" and left > 0:
        return _held(step, min(judge.look_seconds, left), judge=look)
    raise LowTraffic(
        f"{step_label(step, green)}: after {look.watched_seconds}s the step judge still lacks "
        f"the evidence that the new variant is not worse: {_rates(look)}; the increase's "
        f"confidence sequence reaches {look.confidence_sequence[1]:+.4f}, above "
        f"max_error_rate_increase {judge.max_error_rate_increase:g}"
        + (f" (held {step.held_seconds}s, max_hold_seconds {max_hold})" if left < max_hold else "")
    )


def _rates(look: StepLook) -> str:
    return (
        f"new {look.new_errors:.0f} errors in {look.new_invocations:.0f} invocations, old "
        f"{look.old_errors:.0f} in {look.old_invocations:.0f}"
    )


def _held(step: TrafficStep, extend: int, **seen: object) -> TrafficStep:
    """The step held for ``extend`` more seconds (for traffic, or for the judge's evidence),
    with what its check saw."""
    return step.model_copy(
        update={
            "verdict": "hold",
            "watch_seconds": extend,
            "held_seconds": step.held_seconds + extend,
            **seen,
        }
    )
