"""Typed domain errors.

The class name *is* the Step Functions error name: the Lambda runtime reports an unhandled
exception's class name as ``errorType``, and ``Catch``/``Retry`` and the execution's final
error see that name. Keep every name the state machine or a user relies on here, in one place:
every error name the state machines use (``Retry``/``Catch`` ``ErrorEquals``, ``Fail`` states'
``Error``, the errors they set themselves) is a class here or an AWS-owned name below, and every
class here is used by a state machine or raised (``tests/unit/test_error_names.py``).
"""

from __future__ import annotations

# Error names AWS owns, as the state machines' Retry/Catch use them: Step Functions' own
# (``States.ALL``, ``States.Timeout``, ...: every name with this prefix) and Lambda's (the service
# API's, and the runtime's for a crashed or timed-out invocation). Nothing here raises them.
STATES_ERROR_PREFIX = "States."
LAMBDA_ERROR_NAMES = frozenset(
    {
        "Lambda.ServiceException",
        "Lambda.AWSLambdaException",
        "Lambda.SdkClientException",
        "Lambda.TooManyRequestsException",
        "Lambda.Unknown",
        "Runtime.ExitError",
        "Sandbox.Timedout",
    }
)


def is_aws_error_name(name: str) -> bool:
    return name.startswith(STATES_ERROR_PREFIX) or name in LAMBDA_ERROR_NAMES


class RolloutError(Exception):
    """Base of every error the control plane raises on purpose; its message is the cause."""


class InvalidEvent(RolloutError):
    """The triggering event is malformed or not a model package approval."""


class DuplicateDelivery(RolloutError):
    """This approval already started a deployment (EventBridge delivers at least once)."""


class PromotionRefused(RolloutError):
    """A stage promotion event the registry does not back (forged, stale, out of order, or
    for a quarantined package); nothing was deployed."""


class Quarantined(RolloutError):
    """The package was quarantined by a failed stage and approved again without
    ``rollout requalify``: refused, and ``Rejected`` again; nothing was deployed."""


class PromotionFailed(RolloutError):
    """The promotion event could not be sent to the next stage (the role could not be
    assumed, or PutEvents refused it); the version keeps serving its stage."""


class StageChecksFailed(RolloutError):
    """What the stage saw the new variant serve is worse than its ``checks`` allow (its
    error rate over its whole time in the stage): rolled back and quarantined."""


class StageNotServed(RolloutError):
    """The event asks this stack for a stage it does not deploy (another account's stage,
    or an approval of a staged package, which starts at the first stage)."""


class PolicyNotFound(RolloutError):
    """No deployment policy exists for the model package group."""


class InvalidPolicy(RolloutError):
    """The deployment policy (or a package's strategy override) does not validate."""


class ModelPackageNotFound(RolloutError):
    """A model package named by the event or by the serving endpoint does not exist."""


class ValidationFailed(RolloutError):
    """The quality gate rejected the candidate, or required lineage metadata is missing."""


class InvalidMetricsReport(ValidationFailed):
    """A model quality report is missing, unreadable, not JSON, or lacks the gate's metric."""


class DeploymentFailed(RolloutError):
    """An endpoint operation did not reach the requested state (including silent fallback)."""


class SmokeTestFailed(DeploymentFailed):
    """Mode multi_model: InvokeEndpoint with TargetModel = the new version's artifact did not
    answer; the logical model's pointer was not moved."""


class EndpointNotReady(RolloutError):
    """The endpoint is still changing; the waiter keeps waiting."""


class AlarmFired(RolloutError):
    """One of the deployment's alarms entered ALARM during the bake."""


class Aborted(RolloutError):
    """An operator aborted the deployment."""


class RolledBack(RolloutError):
    """The deployment was rolled back; the previous model serves again."""


class RollbackFailed(RolloutError):
    """The rollback could not restore the previous state; the cause has the endpoint's state."""


class Throttled(RolloutError):
    """An AWS API throttled the call; the state machine retries with backoff and jitter."""


class EndpointConflict(RolloutError):
    """The endpoint is not in the state the release was prepared against; nothing changed."""


class LowTraffic(RolloutError):
    """A traffic step ended with fewer invocations of the new variant than the policy's
    ``min_invocations`` (after holding as long as the policy allows, when it holds)."""


class StepJudgedWorse(RolloutError):
    """The step judge found the new variant's error rate above the old one's by more than
    ``judge.max_error_rate_increase``, with confidence, on the same traffic: rolled back."""


class ApprovalTimedOut(RolloutError):
    """No operator decision arrived within the policy's ``require_approval.timeout_seconds``."""


class NoDecisionPending(RolloutError):
    """An operator's promote/abort/approve found no waiting step of that deployment to decide."""


class ShadowRejected(RolloutError):
    """The shadow comparison failed a policy threshold: the cause names the comparison, its
    value and its threshold; the shadow variant was removed, the endpoint is as before."""


class ABIncumbentKept(RolloutError):
    """An A/B test ended with a verdict that keeps the incumbent (``incumbent_wins``,
    ``inconclusive``, ``insufficient_data`` or ``invalid_srm``); the challenger was removed."""


# --- inference beyond real-time (batch transform, asynchronous inference) -------------


class InvalidBatchRequest(RolloutError):
    """A batch transform request (or the S3 event / schedule that started it) is malformed,
    or names no model; nothing was created."""


class TransformFailed(RolloutError):
    """The transform job ended Failed or Stopped; the cause carries its FailureReason."""


class AsyncRequestRefused(RolloutError):
    """An asynchronous inference request was refused (input over 1 GB, outside the allowed
    buckets, missing, or the endpoint is not asynchronous); nothing was invoked."""
