"""The quality gate (pure): the candidate's metric against ``min_value`` and the serving model.

Reports are SageMaker model-quality JSON, e.g.::

    {"binary_classification_metrics": {"accuracy": {"value": 0.91, "standard_deviation": 0.01}}}
    {"regression_metrics": {"mse": {"value": 1.7, "standard_deviation": 0.2}}}

The policy's metric is found by name in any section (or by a dotted path such as
``regression_metrics.mse``). ``min_value`` is the threshold the metric must meet in its own
direction (at least it when greater is better, at most it otherwise); ``max_regression`` is
how much worse than the serving model's value the candidate may be.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from model_rollout.domain.deployment import GateResult
from model_rollout.domain.policy import ValidationPolicy
from model_rollout.errors import InvalidMetricsReport, ValidationFailed

# Reports are written with float arithmetic; a difference equal to the threshold passes.
TOLERANCE = 1e-9


def fmt(value: float) -> str:
    """A number as a person reads it in a cause (0.19, not 0.19000000000000006)."""
    return f"{value:.6g}"


def _as_number(node: Any) -> float | None:
    if isinstance(node, Mapping):
        node = node.get("value")
    if isinstance(node, bool) or not isinstance(node, int | float):
        return None
    return float(node)


def find_metric(report: Mapping[str, Any], metric: str, *, source: str) -> float:
    """The value of ``metric`` in a model-quality report; ``InvalidMetricsReport`` if absent."""
    found: dict[str, Any] = {}
    if "." in metric:
        node: Any = report
        for part in metric.split("."):
            node = node.get(part) if isinstance(node, Mapping) else None
        if node is not None:
            found[metric] = node
    else:
        if metric in report:
            found[metric] = report[metric]
        for section, metrics in report.items():
            if isinstance(metrics, Mapping) and metric in metrics:
                found[f"{section}.{metric}"] = metrics[metric]
    if not found:
        sections = ", ".join(sorted(str(k) for k in report)) or "none"
        raise InvalidMetricsReport(
            f"metric {metric!r} is not in the model quality report of {source} "
            f"(sections: {sections}); name it in the policy's validation.metric, e.g. "
            f"'<section>.{metric}'"
        )
    values = {path: _as_number(node) for path, node in found.items()}
    bad = [path for path, value in values.items() if value is None or not math.isfinite(value)]
    if bad:
        raise InvalidMetricsReport(
            f"metric {', '.join(bad)} in the model quality report of {source} is not a finite "
            'number (expected {"value": <number>, ...})'
        )
    distinct = {value for value in values.values() if value is not None}
    if len(distinct) > 1:
        raise InvalidMetricsReport(
            f"metric {metric!r} is ambiguous in the model quality report of {source} "
            f"({', '.join(sorted(values))}); name the section in the policy, e.g. "
            f"{sorted(values)[0]!r}"
        )
    return distinct.pop()


def evaluate(
    policy: ValidationPolicy,
    candidate_report: Mapping[str, Any],
    *,
    candidate_source: str,
    baseline_report: Mapping[str, Any] | None = None,
    baseline_model_package_arn: str | None = None,
) -> GateResult:
    """Apply the gate; a failure raises ``ValidationFailed`` naming metric, values, threshold.

    Without a baseline report (first deployment, or nothing known about what serves) only
    ``min_value`` applies.
    """
    name = policy.metric
    better = policy.greater_is_better
    direction = "greater is better" if better else "lower is better"
    candidate = find_metric(candidate_report, name, source=candidate_source)

    if policy.min_value is not None:
        threshold = policy.min_value
        meets = candidate >= threshold - TOLERANCE if better else candidate <= threshold + TOLERANCE
        if not meets:
            relation = "below" if better else "above"
            raise ValidationFailed(
                f"{name} {fmt(candidate)} of {candidate_source} is {relation} min_value "
                f"{fmt(threshold)} ({direction})"
            )

    baseline: float | None = None
    if baseline_report is not None:
        baseline_source = f"the serving model {baseline_model_package_arn or '(unknown package)'}"
        baseline = find_metric(baseline_report, name, source=baseline_source)
        if policy.max_regression is not None:
            worse_by = baseline - candidate if better else candidate - baseline
            if worse_by > policy.max_regression + TOLERANCE:
                raise ValidationFailed(
                    f"{name} {fmt(candidate)} is worse than the serving model's "
                    f"{fmt(baseline)} by {fmt(worse_by)}, more than max_regression "
                    f"{fmt(policy.max_regression)} ({direction}; candidate {candidate_source}, "
                    f"serving {baseline_model_package_arn or 'unknown package'})"
                )

    return GateResult(
        metric=name,
        greater_is_better=better,
        candidate_value=candidate,
        baseline_value=baseline,
        baseline_model_package_arn=baseline_model_package_arn if baseline is not None else None,
        min_value=policy.min_value,
        max_regression=policy.max_regression,
        passed=True,
    )
