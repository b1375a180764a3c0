"""RecordFailure: final error and cause of a failure before the endpoint was touched."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from model_rollout.handler import Tracer
from model_rollout.steps.record_failure import (
    RecordFailureRequest,
    RecordFailureServices,
    record_failure,
)

logger = Logger()
tracer = Tracer()
metrics = Metrics()
services = RecordFailureServices()  # adapters create their clients on first use
# the quality gate's errors (model_rollout.errors): the candidate never reached production
GATE_ERRORS = frozenset({"ValidationFailed", "InvalidMetricsReport"})


def _request(event: Any) -> RecordFailureRequest:
    # Lenient at the edge: this step must turn any input into an outcome.
    try:
        return parse(event=event, model=RecordFailureRequest)
    except ValidationError:
        return RecordFailureRequest(state=event)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: Any, context: LambdaContext) -> dict[str, Any]:
    request = _request(event)
    state = request.state if isinstance(request.state, dict) else {}
    detail = event.get("detail") if isinstance(event, dict) else None
    logger.append_keys(
        deployment_id=request.deployment_id,
        endpoint_name=state.get("endpoint_name"),
        model_package_arn=state.get("model_package_arn")
        or (state.get("detail") or detail or {}).get("ModelPackageArn"),
    )
    outcome = record_failure(request, services)
    metrics.add_metric(name="DeploymentsFailed", unit=MetricUnit.Count, value=1)
    if outcome.error in GATE_ERRORS:
        metrics.add_metric(name="GateFailures", unit=MetricUnit.Count, value=1)
    if outcome.duration_seconds is not None:
        metrics.add_metric(
            name="DeploymentDuration", unit=MetricUnit.Seconds, value=outcome.duration_seconds
        )
    return outcome.model_dump(mode="json")
