"""EvaluateAB: the A/B test's window ended; the statistics decide.

Input: the deployment document (strategy ``ab``, ``$.step`` from StartAB). Output ($.ab):
per-variant counts and intervals, lift, p-value, sample-ratio-mismatch test and the
verdict (``challenger_wins``, ``incumbent_wins``, ``inconclusive``, ``insufficient_data``,
``invalid_srm``, or ``extend`` once for too little data). See ``model_rollout.strategies.ab``.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from model_rollout.adapters.ab_results import ABResults
from model_rollout.adapters.experiment_metrics import ExperimentMetrics
from model_rollout.adapters.registry import ModelRegistry
from model_rollout.domain.deployment import Deployment
from model_rollout.handler import Tracer, step_handler
from model_rollout.strategies.ab import evaluate_ab

logger = Logger()
tracer = Tracer()
metrics = Metrics()
outcomes = ExperimentMetrics()  # clients are created on first use
results = ABResults()
packages = ModelRegistry()  # the incumbent's CreationTime: its age at the test


@step_handler(Deployment, logger=logger, tracer=tracer, metrics=metrics)
def lambda_handler(event: Deployment, context: LambdaContext) -> dict[str, Any]:
    result = evaluate_ab(event, outcomes=outcomes, results=results, packages=packages)
    logger.info("A/B test evaluated", extra={"ab": result})
    metrics.add_metric(name=f"ABVerdict_{result['verdict']}", unit=MetricUnit.Count, value=1)
    return result
