"""AwaitApproval: the policy's ``require_approval`` step. Invoked with
lambda:invoke.waitForTaskToken.

Input: {"task_token", "deployment_id", "endpoint_name", "alarm_names", "timeout_seconds"}.
Parks the token for an operator's decision (``model_rollout.workflow.decisions``: approve/promote →
Promote, abort → Rollback) and under the deployment's alarms (an alarm fails it at once).
No decision within the timeout → ApprovalTimedOut → Rollback.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from model_rollout.adapters.alarms import Alarms
from model_rollout.adapters.tasks import TaskTokens
from model_rollout.adapters.waiters import Waiters
from model_rollout.handler import Tracer, step_handler
from model_rollout.steps.await_approval import ApprovalRequest, await_approval

logger = Logger()
tracer = Tracer()
metrics = Metrics()
alarms = Alarms()  # adapters create their clients on first use
waiters = Waiters()
tasks = TaskTokens()


@step_handler(ApprovalRequest, logger=logger, tracer=tracer, metrics=metrics)
def lambda_handler(event: ApprovalRequest, context: LambdaContext) -> dict[str, Any]:
    result, missing = await_approval(event, alarms=alarms, waiters=waiters, tasks=tasks)
    logger.info("waiting for an operator's decision", extra={"result": result})
    metrics.add_metric(name="ApprovalsRequested", unit=MetricUnit.Count, value=1)
    return {"result": result, "missing_alarms": missing}
