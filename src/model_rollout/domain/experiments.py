"""How an experiment that keeps the serving model ends (shadow, A/B).

A shadow comparison that rejects the candidate, a shadow run without a follow-up strategy,
and an A/B test whose verdict keeps the incumbent all leave the endpoint exactly as before:
they go through the rollback chain (the candidate's traffic back to the serving variant, then
the previous config, which removes the shadow or challenger variant), but they are verdicts,
not faults. ``FinishRollback`` ends them with their own outcome and error name:

| ``$.failure.Error`` (set by the state machine) | outcome status | execution ends |
| --- | --- | --- |
| ``ShadowRejected`` | ``SHADOW_REJECTED`` | Fail ``ShadowRejected`` |
| ``ShadowCompleted`` | ``SHADOW_COMPLETED`` | Succeed ``ShadowReported`` |
| ``ABIncumbentKept`` | ``INCUMBENT_KEPT`` | Fail ``ABIncumbentKept`` |
"""

from __future__ import annotations

from model_rollout.domain.deployment import Deployment, Outcome
from model_rollout.errors import ABIncumbentKept, ShadowRejected

SHADOW_COMPLETED = "ShadowCompleted"
VERDICT_OUTCOMES: dict[str, tuple[str, str | None]] = {
    ShadowRejected.__name__: ("SHADOW_REJECTED", ShadowRejected.__name__),
    SHADOW_COMPLETED: ("SHADOW_COMPLETED", None),
    ABIncumbentKept.__name__: ("INCUMBENT_KEPT", ABIncumbentKept.__name__),
}


def is_verdict(error: str | None) -> bool:
    return error in VERDICT_OUTCOMES


def verdict_outcome(deployment: Deployment, message: str) -> Outcome:
    """The outcome of an experiment that kept the serving model (the rollback succeeded)."""
    failure = deployment.failure
    assert failure is not None and is_verdict(failure.Error)
    status, error = VERDICT_OUTCOMES[failure.Error]
    name = deployment.endpoint_name
    serving = (
        f"config {deployment.previous.endpoint_config_name} serves endpoint {name} as before"
        if deployment.previous
        else f"endpoint {name} is as before"
    )
    return Outcome(
        status=status,  # type: ignore[arg-type]
        error=error,
        cause=f"{message}. {serving}",
    )
