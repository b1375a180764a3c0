"""FinishTransform: join the outputs with their inputs, release the transform's resources."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict

from model_rollout.adapters.releases import Releases
from model_rollout.adapters.transforms import Transforms
from model_rollout.adapters.waiters import Waiters
from model_rollout.domain.deployment import BatchOutcome  # the execution's output ($.outcome)
from model_rollout.workflow.transforms import TRANSFORM_PREFIX, TransformPlan


class FinishTransformInput(BaseModel):
    """FinishTransform's input: the state document (plan, and a Catch's failure)."""

    model_config = ConfigDict(extra="allow")

    transform: dict[str, Any] | None = None
    failure: dict[str, Any] | None = None


def _failure_cause(failure: dict[str, Any]) -> tuple[str, str]:
    error = str(failure.get("Error") or "TransformFailed")
    cause = failure.get("Cause")
    text = str(cause) if cause is not None else ""
    try:  # a Lambda error's cause is its JSON error payload
        parsed = json.loads(text)
        if isinstance(parsed, dict) and parsed.get("errorMessage"):
            error = str(parsed.get("errorType") or error)
            text = str(parsed["errorMessage"])
    except ValueError:
        pass
    if error == "States.Timeout":
        text = f"the transform job did not end within its deadline ({text or 'timeout'})"
    return error, text or error


def finish_transform(
    document: dict[str, Any], *, releases: Releases, transforms: Transforms, waiters: Waiters
) -> BatchOutcome:
    raw_plan = document.get("transform")
    plan = TransformPlan.model_validate(raw_plan) if isinstance(raw_plan, dict) else None
    failure = document.get("failure")
    deleted = False
    if plan is not None:
        deleted = releases.delete_model(plan.model_name)
        waiters.remove_for_deployment(plan.execution_name, prefix=TRANSFORM_PREFIX)
    common: dict[str, Any] = {"model_deleted": deleted}
    if plan is not None:
        described = transforms.describe_job(plan.job_name) or {}
        common.update(
            job_name=plan.job_name,
            job_arn=described.get("TransformJobArn"),
            model_package_arn=plan.model_package_arn,
            endpoint_name=plan.endpoint_name,
            input_s3_uri=plan.input_s3_uri,
            output_s3_uri=plan.output_s3_uri,
            content_type=plan.content_type,
        )
    if isinstance(failure, dict):
        error, cause = _failure_cause(failure)
        return BatchOutcome(status="Failed", error=error, cause=cause, **common)
    assert plan is not None
    return BatchOutcome(
        status="Completed", outputs=transforms.list_outputs(plan.output_s3_uri), **common
    )
