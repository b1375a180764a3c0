"""How an experiment that keeps the serving model ends (shadow, A/B).

A shadow comparison that rejects the candidate, a shadow run without a follow-up strategy,
and an A/B test whose verdict keeps the incumbent all leave the endpoint exactly as before.
They are verdicts, not faults: the state machine puts the verdict at ``$.experiment_end``
(never at ``$.failure``, which carries failures only) and takes a path of its own back to the
serving model — RestoreIncumbent (its traffic), RestoreIncumbentConfig (the previous config,
which removes the shadow or challenger variant), each awaited — then EndExperiment records
the outcome and StageOutcome (after RecordStage) ends the execution with the verdict's name:

| ``$.experiment_end.status`` (set by the state machine) | outcome error | execution ends |
| --- | --- | --- |
| ``SHADOW_REJECTED`` | ``ShadowRejected`` | Fail ``ShadowRejected`` |
| ``SHADOW_COMPLETED`` | none | Succeed ``ShadowReported`` |
| ``INCUMBENT_KEPT`` | ``ABIncumbentKept`` | Fail ``ABIncumbentKept`` |

If the serving model cannot be restored, the outcome is ``ROLLBACK_FAILED`` (Fail
``RollbackFailed``), as for a rollback.
"""

from __future__ import annotations

from model_rollout.domain.deployment import Deployment, Outcome
from model_rollout.errors import ABIncumbentKept, ShadowRejected

VERDICT_ERRORS: dict[str, str | None] = {
    "SHADOW_REJECTED": ShadowRejected.__name__,
    "SHADOW_COMPLETED": None,
    "INCUMBENT_KEPT": ABIncumbentKept.__name__,
}


def verdict_outcome(deployment: Deployment) -> Outcome:
    """The outcome of an experiment that kept the serving model (the endpoint restored)."""
    end = deployment.experiment_end
    assert end is not None
    name = deployment.endpoint_name
    serving = (
        f"config {deployment.previous.endpoint_config_name} serves endpoint {name} as before"
        if deployment.previous
        else f"endpoint {name} is as before"
    )
    return Outcome(
        status=end.status,
        error=VERDICT_ERRORS[end.status],
        cause=f"{(end.cause or '').strip()}. {serving}",
    )
