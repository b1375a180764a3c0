"""The quality gate: direction, min_value, max_regression, report shapes."""

from __future__ import annotations

import pytest

from model_rollout.domain.gate import evaluate, find_metric
from model_rollout.domain.policy import ValidationPolicy
from model_rollout.errors import InvalidMetricsReport, ValidationFailed

CANDIDATE = "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/7"
SERVING = "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/6"


def binary(value: float, metric: str = "accuracy") -> dict:
    return {"binary_classification_metrics": {metric: {"value": value, "standard_deviation": 0.01}}}


def regression(mse: float) -> dict:
    return {"regression_metrics": {"mse": {"value": mse, "standard_deviation": 0.1}}}


def run(policy: ValidationPolicy, candidate: dict, baseline: dict | None = None):
    return evaluate(
        policy,
        candidate,
        candidate_source=CANDIDATE,
        baseline_report=baseline,
        baseline_model_package_arn=SERVING if baseline is not None else None,
    )


class TestFindMetric:
    def test_binary_classification(self) -> None:
        assert find_metric(binary(0.91), "accuracy", source="x") == 0.91

    def test_regression(self) -> None:
        assert find_metric(regression(1.5), "mse", source="x") == 1.5

    def test_multiclass(self) -> None:
        report = {
            "multiclass_classification_metrics": {
                "accuracy": {"value": 0.8, "standard_deviation": "NaN"},
                "confusion_matrix": {"0": {"0": 10}},
            }
        }
        assert find_metric(report, "accuracy", source="x") == 0.8

    def test_dotted_path(self) -> None:
        assert find_metric(regression(2.0), "regression_metrics.mse", source="x") == 2.0

    def test_bare_number(self) -> None:
        assert find_metric({"metrics": {"f1": 0.7}}, "f1", source="x") == 0.7

    def test_missing_metric_names_it_and_the_sections(self) -> None:
        with pytest.raises(InvalidMetricsReport) as caught:
            find_metric(regression(1.0), "accuracy", source=CANDIDATE)
        message = str(caught.value)
        assert "'accuracy'" in message and CANDIDATE in message
        assert "regression_metrics" in message

    def test_not_a_number(self) -> None:
        with pytest.raises(InvalidMetricsReport, match="not a finite number"):
            find_metric({"m": {"accuracy": {"value": "high"}}}, "accuracy", source="x")

    def test_nan_is_not_a_number(self) -> None:
        with pytest.raises(InvalidMetricsReport):
            find_metric({"m": {"accuracy": {"value": float("nan")}}}, "accuracy", source="x")

    def test_ambiguous_metric(self) -> None:
        report = {"a_metrics": {"accuracy": {"value": 0.8}}, "b_metrics": {"accuracy": 0.7}}
        with pytest.raises(InvalidMetricsReport, match="ambiguous"):
            find_metric(report, "accuracy", source="x")

    def test_same_value_in_two_sections_is_fine(self) -> None:
        report = {"a_metrics": {"accuracy": {"value": 0.8}}, "b_metrics": {"accuracy": 0.8}}
        assert find_metric(report, "accuracy", source="x") == 0.8

    def test_invalid_metrics_report_is_a_validation_failure(self) -> None:
        assert issubclass(InvalidMetricsReport, ValidationFailed)


class TestGreaterIsBetter:
    policy = ValidationPolicy(
        metric="accuracy", greater_is_better=True, min_value=0.8, max_regression=0.02
    )

    def test_passes(self) -> None:
        result = run(self.policy, binary(0.91), binary(0.90))
        assert result.passed
        assert result.candidate_value == 0.91 and result.baseline_value == 0.90
        assert result.baseline_model_package_arn == SERVING
        assert result.min_value == 0.8 and result.max_regression == 0.02

    def test_below_min_value(self) -> None:
        with pytest.raises(ValidationFailed) as caught:
            run(self.policy, binary(0.71))
        message = str(caught.value)
        assert "accuracy 0.71" in message and "below min_value 0.8" in message

    def test_min_value_exactly_passes(self) -> None:
        assert run(self.policy, binary(0.8)).passed

    def test_regression_beyond_threshold(self) -> None:
        policy = ValidationPolicy(metric="accuracy", min_value=0.5, max_regression=0.02)
        with pytest.raises(ValidationFailed) as caught:
            run(policy, binary(0.71), binary(0.90))
        assert str(caught.value).startswith(
            "accuracy 0.71 is worse than the serving model's 0.9 by 0.19, "
            "more than max_regression 0.02"
        )
        assert SERVING in str(caught.value)

    def test_regression_exactly_at_threshold_passes(self) -> None:
        assert run(self.policy, binary(0.88), binary(0.90)).passed

    def test_improvement_passes(self) -> None:
        assert run(self.policy, binary(0.99), binary(0.90)).passed

    def test_no_max_regression_ignores_the_baseline(self) -> None:
        policy = ValidationPolicy(metric="accuracy", min_value=0.5)
        result = run(policy, binary(0.6), binary(0.99))
        assert result.passed and result.baseline_value == 0.99


class TestLowerIsBetter:
    policy = ValidationPolicy(
        metric="mse", greater_is_better=False, min_value=2.0, max_regression=0.1
    )

    def test_passes(self) -> None:
        assert run(self.policy, regression(1.0), regression(1.05)).passed

    def test_above_threshold(self) -> None:
        with pytest.raises(ValidationFailed) as caught:
            run(self.policy, regression(2.5))
        assert "mse 2.5" in str(caught.value) and "above min_value 2" in str(caught.value)
        assert "lower is better" in str(caught.value)

    def test_regression_is_an_increase(self) -> None:
        with pytest.raises(ValidationFailed) as caught:
            run(self.policy, regression(1.5), regression(1.0))
        message = str(caught.value)
        assert "mse 1.5 is worse than the serving model's 1 by 0.5" in message
        assert "max_regression 0.1" in message

    def test_a_decrease_is_an_improvement(self) -> None:
        assert run(self.policy, regression(0.2), regression(1.9)).passed


class TestFirstDeployment:
    def test_only_min_value_applies(self) -> None:
        policy = ValidationPolicy(metric="accuracy", min_value=0.5, max_regression=0.0)
        result = run(policy, binary(0.6))
        assert result.passed and result.baseline_value is None
        assert result.baseline_model_package_arn is None

    def test_no_thresholds_at_all(self) -> None:
        assert run(ValidationPolicy(metric="accuracy"), binary(0.1)).passed

    def test_baseline_without_the_metric_is_named(self) -> None:
        policy = ValidationPolicy(metric="accuracy", max_regression=0.1)
        with pytest.raises(InvalidMetricsReport, match="serving model"):
            run(policy, binary(0.9), regression(1.0))
