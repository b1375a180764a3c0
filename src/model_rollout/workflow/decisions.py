"""Operator decisions on a running deployment, through the state machine (task tokens).

A person never writes to the endpoint: a decision releases the task token that a waiting
state of the deployment parked in the waiters table, and the state machine does the rest.

- ``promote(deployment_id, reason)``: during a bake/step watch, SendTaskSuccess → the
  watch ends now and the state machine goes straight to ``Promote`` (skipping the rest of
  the bake and any remaining steps); at an approval, the same as ``approve``.
- ``abort(deployment_id, reason)``: during a watch or an approval, SendTaskFailure with
  error ``Aborted`` → ``Rollback``; the execution ends ``RolledBack`` with the cause
  "aborted by operator: <reason>".
- ``approve(deployment_id, reason)``: only at the policy's ``require_approval`` step:
  SendTaskSuccess → ``Promote``.
- ``await_approval``: the ``AwaitApproval`` state's function: parks the approval token
  (``approval#<deployment_id>``) and, like a watch, under the deployment's alarms, so an
  alarm still rolls back at once while the deployment waits for a person.

Decisions are only possible while such a state waits (not between steps, not during an
endpoint update): otherwise ``NoDecisionPending`` says so, and the caller tries again.
``approve`` during a watch is refused with what to do instead (``promote`` ends the watch).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from model_rollout.adapters.tasks import TaskTokens
from model_rollout.adapters.waiters import ALARM_PREFIX, Waiter, Waiters
from model_rollout.domain.deployment import OperatorDecision
from model_rollout.errors import Aborted, NoDecisionPending

APPROVAL_PREFIX = "approval#"

Point = Literal["watch", "approval"]
Action = Literal["promote", "abort", "approve"]


def approval_key(deployment_id: str) -> str:
    return f"{APPROVAL_PREFIX}{deployment_id}"


@dataclass(frozen=True)
class Decision:
    """What an operator's decision did."""

    deployment_id: str
    action: Action
    point: Point  # the waiting state it released: a bake/step watch, or an approval
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _pending(deployment_id: str, waiters: Waiters) -> tuple[Point, Waiter] | None:
    found = waiters.find_for_deployment(deployment_id)
    approvals = [w for w in found if w.key.startswith(APPROVAL_PREFIX)]
    if approvals:
        return "approval", approvals[0]
    watches = [w for w in found if w.key.startswith(ALARM_PREFIX)]
    if watches:
        return "watch", watches[0]
    return None


def pending(deployment_id: str, *, waiters: Waiters | None = None) -> Point | None:
    """Which decision point the deployment waits at now (``None``: none)."""
    found = _pending(deployment_id, waiters or Waiters())
    return found[0] if found else None


def _nothing(deployment_id: str, action: Action) -> NoDecisionPending:
    """Nothing waits for a decision: the deployment is between its waiting states."""
    if action == "approve":
        return NoDecisionPending(
            f"deployment {deployment_id} is not waiting for approval now (it is between steps, "
            "updating the endpoint, or finished); approve was not applied. Approve it while it "
            "waits at its approval step (a policy with require_approval)."
        )
    return NoDecisionPending(
        f"deployment {deployment_id} has no step waiting for a decision now (it is between "
        f"steps, updating the endpoint, or finished); {action} was not applied. Try again "
        "while it bakes, watches a traffic step or waits for approval."
    )


def _not_an_approval(deployment_id: str) -> NoDecisionPending:
    """``approve`` while the deployment waits in a watch: it waits, but not for approval."""
    return NoDecisionPending(
        f"deployment {deployment_id} is in a watch (a bake or a traffic step), not at an "
        "approval: approve applies only where a policy with require_approval waits for it, "
        "so approve was not applied. To end the watch and promote now, use promote; to roll "
        "back, use abort."
    )


def _ended(deployment_id: str, action: Action, point: Point) -> NoDecisionPending:
    return NoDecisionPending(
        f"the {point} of deployment {deployment_id} just ended (its time ran out or another "
        f"decision came first), so {action} was not applied; the deployment moved on to its "
        "next state."
    )


def _release(
    deployment_id: str,
    action: Action,
    reason: str,
    *,
    waiters: Waiters,
    tasks: TaskTokens,
    only: Point | None = None,
) -> Decision:
    found = _pending(deployment_id, waiters)
    if found is None:
        raise _nothing(deployment_id, action)
    point, waiter = found
    if only is not None and point != only:
        raise _not_an_approval(deployment_id)
    if action == "abort":
        sent = tasks.fail(waiter.task_token, error=Aborted.__name__, cause=reason)
    else:
        decision = OperatorDecision(decision=action, reason=reason, point=point)
        sent = tasks.succeed(waiter.task_token, decision.model_dump(mode="json"))
    if not sent:  # the token timed out or was used a moment ago: the state moved on
        raise _ended(deployment_id, action, point)
    waiters.remove_for_deployment(deployment_id, prefix=ALARM_PREFIX)
    waiters.remove_for_deployment(deployment_id, prefix=APPROVAL_PREFIX)
    return Decision(deployment_id=deployment_id, action=action, point=point, reason=reason)


def promote(
    deployment_id: str,
    reason: str,
    *,
    waiters: Waiters | None = None,
    tasks: TaskTokens | None = None,
) -> Decision:
    """Promote now: end the current watch (or approve the waiting approval)."""
    return _release(
        deployment_id, "promote", reason, waiters=waiters or Waiters(), tasks=tasks or TaskTokens()
    )


def abort(
    deployment_id: str,
    reason: str,
    *,
    waiters: Waiters | None = None,
    tasks: TaskTokens | None = None,
) -> Decision:
    """Abort now: fail the current watch or approval with ``Aborted`` (→ rollback)."""
    return _release(
        deployment_id, "abort", reason, waiters=waiters or Waiters(), tasks=tasks or TaskTokens()
    )


def approve(
    deployment_id: str,
    reason: str,
    *,
    waiters: Waiters | None = None,
    tasks: TaskTokens | None = None,
) -> Decision:
    """Approve the promotion the deployment waits for (``require_approval``)."""
    return _release(
        deployment_id,
        "approve",
        reason,
        waiters=waiters or Waiters(),
        tasks=tasks or TaskTokens(),
        only="approval",
    )


# ---------------------------------------------------------------------- the waiting state
