"""CompareShadow: the shadow window ended; compare the candidate with production.

Input: the deployment document (strategy ``shadow``, ``$.shadow.started_at``). Output
($.shadow): the verdict (``accepted``/``rejected``), the cause, the checks and the S3
locations of the JSON report and its Markdown summary. See ``model_rollout.strategies.shadow``.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from model_rollout.adapters.captures import CaptureStore
from model_rollout.adapters.experiment_metrics import ExperimentMetrics
from model_rollout.domain.deployment import Deployment
from model_rollout.handler import Tracer, step_handler
from model_rollout.strategies.shadow import compare_shadow

logger = Logger()
tracer = Tracer()
metrics = Metrics()
store = CaptureStore()  # clients are created on first use
experiment_metrics = ExperimentMetrics()


@step_handler(Deployment, logger=logger, tracer=tracer, metrics=metrics)
def lambda_handler(event: Deployment, context: LambdaContext) -> dict[str, Any]:
    result = compare_shadow(event, captures=store, metrics=experiment_metrics, reports=store)
    logger.info("shadow compared", extra={"shadow": result})
    metrics.add_metric(
        name="ShadowAccepted" if result["verdict"] == "accepted" else "ShadowRejected",
        unit=MetricUnit.Count,
        value=1,
    )
    return result
