"""Typed domain errors.

The class name *is* the Step Functions error name: the Lambda runtime reports an unhandled
exception's class name as ``errorType``, and ``Catch``/``Retry`` and the execution's final
error see that name. Keep every name the state machine or a user relies on here, in one place.
"""

from __future__ import annotations


class RolloutError(Exception):
    """Base of every error the control plane raises on purpose; its message is the cause."""


class InvalidEvent(RolloutError):
    """The triggering event is malformed or not a model package approval."""


class DuplicateDelivery(RolloutError):
    """This approval already started a deployment (EventBridge delivers at least once)."""


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
