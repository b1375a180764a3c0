"""RecordFailure: a deployment failed before the endpoint was touched.

Turn the ``Catch`` result into the execution's final error and a cause a person can act on,
remove what the release created (Model, EndpointConfigs), record FAILED. ``state`` is the
deployment document, or the raw event when ResolvePolicy failed; nothing here may fail on a
strange state (only throttling is raised, so that the state machine retries).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools import Logger
from pydantic import BaseModel, ConfigDict

from model_rollout.adapters.records import DeploymentRecords
from model_rollout.adapters.releases import Releases
from model_rollout.config import settings
from model_rollout.domain.approval import describe_raw_event
from model_rollout.domain.deployment import Outcome
from model_rollout.domain.release import release_names
from model_rollout.errors import Throttled
from model_rollout.reporting.reports import ReportPublisher, ReportWriter, account_for, started_at
from model_rollout.workflow.locks import EndpointLocks

log = Logger(child=True)

UNKNOWN_ERROR = "UnknownError"
MAX_CAUSE = 32_000  # a Fail state's cause is at most 32,768 characters


class RecordFailureRequest(BaseModel):
    """The state's Parameters; deliberately lenient (it must accept anything)."""

    model_config = ConfigDict(extra="ignore")

    state: Any = None
    failure: Any = None
    deployment_id: str = ""
    execution_arn: str = ""


@dataclass
class RecordFailureServices:
    records: DeploymentRecords = field(default_factory=DeploymentRecords)
    releases: Releases = field(default_factory=Releases)
    reports: ReportPublisher | None = field(default_factory=ReportWriter)
    locks: EndpointLocks | None = field(default_factory=EndpointLocks)


def clean_cause(error: str, cause: Any) -> str:
    """A cause a person reads: a Lambda error's ``errorMessage``, else the cause as given."""
    if cause is None or (isinstance(cause, str) and not cause.strip()):
        return f"{error} (the failing step gave no cause)"
    text = cause if isinstance(cause, str) else json.dumps(cause, default=str)
    try:
        payload = json.loads(text)
    except ValueError:
        payload = None
    if isinstance(payload, dict):
        message = payload.get("errorMessage")
        if isinstance(message, str) and message.strip():
            text = message.strip()
        elif isinstance(payload.get("cause"), str) and payload["cause"].strip():
            text = payload["cause"].strip()
    return text[:MAX_CAUSE]


def error_and_cause(failure: Any) -> tuple[str, str]:
    if not isinstance(failure, dict):
        return UNKNOWN_ERROR, f"the execution failed without an error record ({failure!r:.200})"
    error = failure.get("Error")
    error = error if isinstance(error, str) and error.strip() else UNKNOWN_ERROR
    return error, clean_cause(error, failure.get("Cause"))


def _release_candidates(
    state: dict[str, Any], deployment_id: str, resource_prefix: str
) -> tuple[str | None, list[str], list[str]]:
    """(endpoint, model names, config names) the release may have created."""
    endpoint = state.get("endpoint_name")
    version = state.get("model_package_version")
    models: list[str] = []
    configs: list[str] = []
    release = state.get("release")
    if isinstance(release, dict):
        if isinstance(release.get("model_name"), str):
            models.append(release["model_name"])
        configs.extend(
            release[key]
            for key in ("bake_config_name", "final_config_name", "shadow_config_name")
            if isinstance(release.get(key), str)
        )
    if (
        isinstance(endpoint, str)
        and endpoint
        and isinstance(version, int)
        and not isinstance(version, bool)
    ):
        names = release_names(
            deployment_id=str(state.get("deployment_id") or deployment_id),
            endpoint_name=endpoint,
            model_package_version=version,
            resource_prefix=resource_prefix,
        )
        models.append(names.model_name)
        configs.extend(names.config_names)
    return (
        endpoint if isinstance(endpoint, str) and endpoint else None,
        list(dict.fromkeys(models)),
        list(dict.fromkeys(configs)),
    )


def cleanup_release(
    state: dict[str, Any], deployment_id: str, releases: Releases, resource_prefix: str
) -> dict[str, Any]:
    """Delete the release's configs, then its model; never one the endpoint serves."""
    endpoint, models, configs = _release_candidates(state, deployment_id, resource_prefix)
    report: dict[str, Any] = {"deleted": [], "kept": [], "errors": []}
    if not models and not configs:
        return report
    serving = releases.current_config_name(endpoint) if endpoint else None
    for config in configs:
        if config == serving:
            report["kept"].append(config)
            continue
        try:
            if releases.delete_endpoint_config(config):
                report["deleted"].append(config)
        except Throttled:
            raise
        except Exception as error:
            report["errors"].append(f"DeleteEndpointConfig {config}: {error}")
    if report["kept"]:
        report["kept"].extend(models)  # the serving config may use the release's model
        return report
    for model in models:
        try:
            if releases.delete_model(model):
                report["deleted"].append(model)
        except Throttled:
            raise
        except Exception as error:
            report["errors"].append(f"DeleteModel {model}: {error}")
    return report


def record_failure(
    request: RecordFailureRequest,
    services: RecordFailureServices,
    *,
    resource_prefix: str | None = None,
) -> Outcome:
    error, cause = error_and_cause(request.failure)
    state = request.state if isinstance(request.state, dict) else {}
    deployment_id = request.deployment_id or str(state.get("deployment_id") or "")
    is_document = "deployment_id" in state and "endpoint_name" in state
    details: dict[str, Any] = {}
    if is_document:
        for key in ("endpoint_name", "model_package_arn", "model_package_version"):
            if state.get(key) is not None:
                details[key] = state[key]
        try:
            prefix = resource_prefix or settings().resource_prefix
            details["cleanup"] = cleanup_release(state, deployment_id, services.releases, prefix)
        except Throttled:
            raise
        except Exception as failure:  # never fail on a strange state
            log.exception("release cleanup failed", extra={"deployment_id": deployment_id})
            details["cleanup"] = {"errors": [f"{type(failure).__name__}: {failure}"]}
    else:
        details.update(describe_raw_event(state))
    outcome = account_for(
        Outcome(status="FAILED", error=error, cause=cause),
        services.reports if deployment_id else None,
        deployment_id=deployment_id,
        execution_arn=request.execution_arn,
        endpoint_name=str(state["endpoint_name"]) if is_document else None,
        started=started_at(state),
        details=details,
    )
    if deployment_id:
        try:
            services.records.finish(
                deployment_id, "FAILED", error=error, cause=cause, details=details
            )
        except Throttled:
            raise
        except Exception:
            log.exception("recording the failure failed", extra={"deployment_id": deployment_id})
    if is_document and deployment_id and services.locks is not None:
        try:  # a dead holder is also detected by the next deployment; never fail here
            services.locks.release(str(state["endpoint_name"]), deployment_id)
        except Throttled:
            raise
        except Exception:
            log.exception(
                "releasing the endpoint lock failed", extra={"deployment_id": deployment_id}
            )
    log.info("deployment failed", extra={"error": error, "cause": cause, "details": details})
    return outcome
