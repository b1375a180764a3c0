"""RecordStage: a staged deployment's result goes back to the registry (ModelLifeCycle), and
a version that failed its stage is quarantined. Nothing for a policy without stages.

Input: the state (the deployment document, or a raw event when ResolvePolicy failed).
Output ($.stage_record): StageRecord, or null.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from model_rollout.handler import Tracer
from model_rollout.steps.record_stage import RecordStageRequest, RecordStageServices, record_stage

logger = Logger()
tracer = Tracer()
metrics = Metrics()
services = RecordStageServices()  # adapters create their clients on first use


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: Any, context: LambdaContext) -> dict[str, Any] | None:
    # Lenient at the edge: every way a deployment ends passes here.
    request = RecordStageRequest(state=event.get("state") if isinstance(event, dict) else None)
    state = request.state if isinstance(request.state, dict) else {}
    logger.append_keys(
        deployment_id=state.get("deployment_id"),
        endpoint_name=state.get("endpoint_name"),
        model_package_arn=state.get("model_package_arn"),
    )
    record = record_stage(request, services)
    if record is None:
        return None
    if record.quarantined:
        metrics.add_metric(name="VersionsQuarantined", unit=MetricUnit.Count, value=1)
    if record.error is not None:
        metrics.add_metric(name="StageRecordFailures", unit=MetricUnit.Count, value=1)
    return record.model_dump(mode="json")
