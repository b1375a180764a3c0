"""RecordStage: a staged deployment's result is written back to the registry.

Every way a deployment ends passes here (promoted, rolled back, failed, an experiment's
verdict). For a policy without stages it does nothing. For a staged one it writes the
stage's result to the package's ``ModelLifeCycle`` (``Succeeded``, ``Stopped``, ``Failed``)
and says where a promoted version goes next; a version that failed the stage through its
own fault is quarantined (``Rejected``, the reason as ``ApprovalDescription``). A registry
write that fails is recorded in the result and logged, never fatal: the deployment has
ended, and only throttling is retried.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools import Logger
from pydantic import BaseModel, ConfigDict, ValidationError

from model_rollout.adapters.registry import ModelRegistry
from model_rollout.config import settings
from model_rollout.domain.stages import (
    FAILED,
    QUARANTINED,
    STOPPED,
    SUCCEEDED,
    StageRecord,
    StageRun,
    describe_stage,
    quarantines,
)
from model_rollout.errors import Throttled

log = Logger(child=True)


class RecordStageRequest(BaseModel):
    """The state's Parameters: the whole state (lenient: it may be a raw event)."""

    model_config = ConfigDict(extra="ignore")

    state: Any = None


@dataclass
class RecordStageServices:
    registry: ModelRegistry = field(default_factory=ModelRegistry)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _part(state: dict[str, Any], key: str) -> dict[str, Any]:
    value = state.get(key)
    return value if isinstance(value, dict) else {}


def _cause_error(state: dict[str, Any], status: str) -> str | None:
    """The error that ended the deployment: for a rollback, the one that caused it."""
    outcome = _part(state, "outcome")
    failure = _part(state, "failure")
    if status in {"ROLLED_BACK", "ROLLBACK_FAILED"}:
        return _text(failure.get("Error"))
    return _text(outcome.get("error"))


def record_stage(request: RecordStageRequest, services: RecordStageServices) -> StageRecord | None:
    state = request.state if isinstance(request.state, dict) else {}
    try:
        stage = StageRun.model_validate(state.get("stage"))
    except ValidationError:
        return None  # not a staged deployment (or ResolvePolicy never made a document)
    arn = _text(state.get("model_package_arn"))
    outcome = _part(state, "outcome")
    status = _text(outcome.get("status")) or "FAILED"
    if arn is None:
        return None
    error = _cause_error(state, status)
    quarantine = quarantines("ROLLED_BACK" if status == "ROLLBACK_FAILED" else status, error)
    if status == "PROMOTED":
        stage_status = SUCCEEDED
        what = "promoted" + (f"; next: {stage.next.name}" if stage.next else "; the last stage")
    else:
        stage_status = QUARANTINED if quarantine else (FAILED if error else STOPPED)
        what = (_text(outcome.get("cause")) or status).strip()
    description = describe_stage(
        stage=stage.name,
        status=stage_status,
        deployment_id=str(state.get("deployment_id") or ""),
        endpoint=str(state.get("endpoint_name") or ""),
        account=settings().stack_account,
        what=what,
    )
    record = StageRecord(
        stage=stage.name,
        stage_status=stage_status,
        quarantined=quarantine,
        description=description,
        promote_to=stage.next if status == "PROMOTED" else None,
    )
    try:
        if quarantine:
            services.registry.quarantine(arn, stage=stage.name, reason=description)
        else:
            services.registry.record_stage(
                arn, stage=stage.name, status=stage_status, description=description
            )
    except Throttled:
        raise
    except Exception as failure:  # the deployment has ended: say so, never fail here
        log.exception("writing the stage's result to the registry failed")
        # a version the registry does not record as passed is never promoted
        return record.model_copy(
            update={"error": f"{type(failure).__name__}: {failure}", "promote_to": None}
        )
    log.info(
        "stage recorded",
        extra={"stage": stage.name, "stage_status": stage_status, "quarantined": quarantine},
    )
    return record
