"""How a deployment that touched the endpoint ends: promoted (Finalize), rolled back
(FinishRollback), or an experiment's verdict that kept the serving model (EndExperiment, the
same step on the experiment's own path). Each cleans up what the deployment created for its
bake and records the outcome with a cause a person can act on."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol

from model_rollout.adapters.alarms import Alarms
from model_rollout.adapters.endpoints import OwnedResource
from model_rollout.adapters.waiters import Waiters
from model_rollout.domain.alarm_specs import created_alarm_names
from model_rollout.domain.deployment import Deployment, Outcome, StepFailure
from model_rollout.domain.expectation import describe_state
from model_rollout.domain.experiments import verdict_outcome
from model_rollout.domain.lineage import TAG_ENDPOINT_NAME as ENDPOINT_NAME_TAG
from model_rollout.domain.lineage import TAG_MODEL_PACKAGE_ARN as PACKAGE_ARN_TAG
from model_rollout.domain.records import RecordFinisher
from model_rollout.modes import mode_of
from model_rollout.reporting.reports import ReportPublisher, account_for


class LockReleaser(Protocol):
    """``model_rollout.workflow.locks.EndpointLocks`` as the final steps use it."""

    def release(self, endpoint: str | None, deployment_id: str) -> Any: ...


class EndpointReader(Protocol):
    def describe(self, endpoint_name: str) -> dict[str, Any] | None: ...

    def describe_config(self, config_name: str) -> dict[str, Any] | None: ...

    def owned_configs(self, endpoint_name: str, name_prefix: str) -> list[OwnedResource]: ...

    def owned_models(self, endpoint_name: str, name_prefix: str) -> list[OwnedResource]: ...

    def delete_config(self, config_name: str) -> bool: ...

    def delete_model(self, model_name: str) -> bool: ...


@dataclass
class Cleanup:
    alarms_deleted: list[str] = field(default_factory=list)
    waiters_removed: list[str] = field(default_factory=list)
    configs_deleted: list[str] = field(default_factory=list)
    models_deleted: list[str] = field(default_factory=list)

    def as_details(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v}


def _clean_bake(
    deployment: Deployment, *, alarms: Alarms, waiters: Waiters, resource_prefix: str
) -> Cleanup:
    """Delete the alarms this deployment created (never the policy's extra alarms) and
    remove its waiters."""
    names = created_alarm_names(deployment, resource_prefix)
    if deployment.alarms is not None:
        names += deployment.alarms.created_alarm_names
    extra = set(deployment.policy.alarms.extra_alarm_names)
    cleanup = Cleanup()
    cleanup.alarms_deleted = alarms.delete(n for n in dict.fromkeys(names) if n not in extra)
    cleanup.waiters_removed = waiters.remove_for_deployment(deployment.deployment_id)
    return cleanup


# ---------------------------------------------------------------------- promoted


def _package_group(arn: str) -> str | None:
    # arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version>
    resource = arn.split(":", 5)[-1]
    parts = resource.split("/")
    return parts[1] if len(parts) >= 3 and parts[0] == "model-package" else None


def _for_endpoint(resource: OwnedResource, deployment: Deployment, name_prefix: str) -> bool:
    """Proof that the control plane created the resource for *this* endpoint: its
    ``rollout:endpoint-name`` tag, or else its name and its model package group."""
    tagged = resource.tags.get(ENDPOINT_NAME_TAG)
    if tagged is not None:
        return tagged == deployment.endpoint_name
    package = resource.tags.get(PACKAGE_ARN_TAG, "")
    return (
        resource.name.startswith(name_prefix)
        and _package_group(package) == deployment.model_package_group
    )


def prune_releases(
    deployment: Deployment,
    *,
    endpoints: EndpointReader,
    resource_prefix: str,
    retained: int,
) -> Cleanup:
    """Delete endpoint configs and models this control plane created for the endpoint beyond
    the ``retained`` most recent releases besides the serving one. Never the serving config,
    never the previous release's (the most recent rollback target), never a model that a
    kept config uses."""
    name = deployment.endpoint_name
    name_prefix = f"{resource_prefix}-{name}-"
    described = endpoints.describe(name)
    protected = {
        c
        for c in (
            described.get("EndpointConfigName") if described else None,
            deployment.previous.endpoint_config_name if deployment.previous else None,
            deployment.release.final_config_name if deployment.release else None,
        )
        if c
    }
    configs = [
        c
        for c in endpoints.owned_configs(name, f"{resource_prefix}-")
        if _for_endpoint(c, deployment, name_prefix)
    ]
    releases: list[str] = []  # deployment ids, newest first
    for config in configs:
        if config.deployment_id not in releases:
            releases.append(config.deployment_id)
    serving_releases = {c.deployment_id for c in configs if c.name in protected}
    others = [r for r in releases if r not in serving_releases]
    kept_releases = serving_releases | set(others[: max(retained, 0)])
    cleanup = Cleanup()
    kept_configs = set(protected)
    for config in configs:
        if config.deployment_id in kept_releases or config.name in protected:
            kept_configs.add(config.name)
        elif endpoints.delete_config(config.name):
            cleanup.configs_deleted.append(config.name)

    used_models: set[str] = set()
    for config_name in kept_configs:
        described_config = endpoints.describe_config(config_name) or {}
        for variant in described_config.get("ProductionVariants") or []:
            used_models.add(variant.get("ModelName", ""))
    for model in endpoints.owned_models(name, f"{resource_prefix}-"):
        if not _for_endpoint(model, deployment, name_prefix):
            continue
        if model.deployment_id in kept_releases or model.name in used_models:
            continue
        if endpoints.delete_model(model.name):
            cleanup.models_deleted.append(model.name)
    return cleanup


def finalize(
    deployment: Deployment,
    *,
    alarms: Alarms,
    waiters: Waiters,
    endpoints: EndpointReader,
    records: RecordFinisher,
    resource_prefix: str,
    retained_releases: int,
    reports: ReportPublisher | None = None,
    locks: LockReleaser | None = None,
) -> Outcome:
    """The new model serves all traffic: clean up the bake, prune old releases, record."""
    cleanup = _clean_bake(
        deployment, alarms=alarms, waiters=waiters, resource_prefix=resource_prefix
    )
    pruned = prune_releases(
        deployment, endpoints=endpoints, resource_prefix=resource_prefix, retained=retained_releases
    )
    cleanup.configs_deleted, cleanup.models_deleted = pruned.configs_deleted, pruned.models_deleted
    details = cleanup.as_details()
    if deployment.release is not None:
        details["endpoint_config_name"] = deployment.release.final_config_name
    outcome = account_for(
        Outcome(status="PROMOTED"),
        reports,
        deployment_id=deployment.deployment_id,
        execution_arn=deployment.execution_arn,
        endpoint_name=deployment.endpoint_name,
        started=deployment.approval.event_time,
        details=details,
    )
    records.finish(deployment.deployment_id, "PROMOTED", details=details)
    if locks is not None:  # the next deployment of the endpoint may start
        locks.release(deployment.endpoint_name, deployment.deployment_id)
    return outcome


# ---------------------------------------------------------------------- rolled back


def error_message(failure: StepFailure) -> str:
    """The message in a Catch's Cause: a Lambda error's Cause is JSON with errorMessage."""
    cause = (failure.Cause or "").strip()
    if cause.startswith("{"):
        try:
            parsed = json.loads(cause)
        except ValueError:
            return cause
        if isinstance(parsed, dict) and parsed.get("errorMessage"):
            return str(parsed["errorMessage"])
    return cause


def failure_reason(failure: StepFailure | None) -> str:
    """Why the deployment was rolled back, for a person."""
    if failure is None:
        return "unknown failure (no $.failure in the state)"
    message = error_message(failure)
    if failure.Error == "AlarmFired":
        return message or "an alarm entered ALARM"
    if failure.Error == "Aborted":
        return "aborted by operator" + (f": {message}" if message else "")
    if failure.Error == "States.Timeout":
        return "States.Timeout: " + (message or "a step did not finish within its deadline")
    return f"{failure.Error}: {message}" if message else failure.Error


def finish_rollback(
    deployment: Deployment,
    *,
    alarms: Alarms,
    waiters: Waiters,
    endpoints: EndpointReader,
    records: RecordFinisher,
    resource_prefix: str,
    reports: ReportPublisher | None = None,
    locks: LockReleaser | None = None,
) -> Outcome:
    """Clean up the bake and state how the rollback ended and why it happened; or, after an
    experiment's verdict (``$.experiment_end``, EndExperiment), record the verdict's outcome."""
    cleanup = _clean_bake(
        deployment, alarms=alarms, waiters=waiters, resource_prefix=resource_prefix
    )
    end = deployment.experiment_end
    reason = failure_reason(deployment.failure)
    details: dict[str, Any] = cleanup.as_details()
    if deployment.failure is not None:
        details["failure"] = deployment.failure.model_dump(mode="json")
    if end is not None:
        details["experiment_end"] = end.model_dump(mode="json")
        reason = f"the experiment ended {end.status}: {(end.cause or '').strip()}"
    name = deployment.endpoint_name
    if deployment.rollback_failure is not None:
        state = describe_state(endpoints.describe(name))
        what = failure_reason(deployment.rollback_failure)
        cause = (
            f"rollback of endpoint {name} failed: {what}. The endpoint is now: {state}. "
            f"It should serve "
            + (
                f"config {deployment.previous.endpoint_config_name}"
                if deployment.previous
                else "nothing (it did not exist before)"
            )
            + (
                f". Original failure: {reason}"
                if end is None
                else f". It was being restored because {reason}"
            )
        )
        details["rollback_failure"] = deployment.rollback_failure.model_dump(mode="json")
        outcome = Outcome(status="ROLLBACK_FAILED", error="RollbackFailed", cause=cause)
    elif end is not None:
        # an experiment's verdict kept the serving model (model_rollout.domain.experiments)
        outcome = verdict_outcome(deployment)
    else:
        serving = (
            f"config {deployment.previous.endpoint_config_name} serves endpoint {name} again"
            if deployment.previous
            else f"endpoint {name}, which this deployment created, was removed"
        )
        # multi_model: the pointer names the previous version again
        serving = mode_of(deployment.policy).rolled_back_serving(deployment) or serving
        outcome = Outcome(
            status="ROLLED_BACK", error="RolledBack", cause=f"{reason}. Rolled back: {serving}"
        )
    account_for(
        outcome,
        reports,
        deployment_id=deployment.deployment_id,
        execution_arn=deployment.execution_arn,
        endpoint_name=name,
        started=deployment.approval.event_time,
        details=details,
    )
    records.finish(
        deployment.deployment_id,
        outcome.status,
        error=outcome.error,
        cause=outcome.cause,
        details=details,
    )
    if locks is not None:  # the next deployment of the endpoint may start
        locks.release(deployment.endpoint_name, deployment.deployment_id)
    return outcome
