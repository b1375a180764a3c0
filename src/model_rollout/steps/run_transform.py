"""RunTransform: start the transform job and park the task token until its state change."""

from __future__ import annotations

from pydantic import Field

from model_rollout.adapters.tasks import TaskTokens
from model_rollout.adapters.transforms import Transforms
from model_rollout.adapters.waiters import Waiters
from model_rollout.domain.model import Strict
from model_rollout.workflow.transforms import (
    TransformPlan,
    release_transform,
    transform_key,
)


class StartTransformRequest(Strict):
    """The Payload of RunTransform (lambda:invoke.waitForTaskToken)."""

    task_token: str = Field(min_length=1)
    transform: TransformPlan


def start_transform(
    request: StartTransformRequest,
    *,
    transforms: Transforms,
    waiters: Waiters,
    tasks: TaskTokens,
) -> str:
    """Park the token FIRST, then create the job, then check at once (a job that ended
    before the token was parked is not missed)."""
    plan = request.transform
    waiters.park(
        transform_key(plan.job_name),
        request.task_token,
        plan.execution_name,
        None,
        plan.wait_seconds + 3600,
    )
    transforms.create_job(plan.request)
    return release_transform(
        plan.job_name, transforms.describe_job(plan.job_name), waiters=waiters, tasks=tasks
    )
