"""model_rollout.domain.quality_metrics against scikit-learn's values, on fixed and random data."""

from __future__ import annotations

import random

import pytest
from sklearn import metrics as sk

from model_rollout.domain.quality_metrics import MetricError, canonical, compute


def data(seed: int, n: int = 200) -> tuple[list[int], list[float]]:
    rng = random.Random(seed)
    labels = [rng.randint(0, 1) for _ in range(n)]
    # scores correlated with labels, with ties (rounded) to exercise AUC's tie handling
    scores = [round(min(1.0, max(0.0, 0.3 * y + rng.random() * 0.7)), 2) for y in labels]
    return labels, scores


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("threshold", [0.5, 0.3])
def test_classification_metrics_match_scikit_learn(seed: int, threshold: float) -> None:
    labels, scores = data(seed)
    predicted = [1 if s >= threshold else 0 for s in scores]
    expected = {
        "accuracy": sk.accuracy_score(labels, predicted),
        "precision": sk.precision_score(labels, predicted, zero_division=0),
        "recall": sk.recall_score(labels, predicted, zero_division=0),
        "f1": sk.f1_score(labels, predicted, zero_division=0),
        "auc": sk.roc_auc_score(labels, scores),
        "log_loss": sk.log_loss(labels, [min(max(s, 1e-15), 1 - 1e-15) for s in scores]),
    }
    for name, value in expected.items():
        assert compute(name, labels, scores, threshold) == pytest.approx(value, rel=1e-9), name


@pytest.mark.parametrize("seed", range(5))
def test_regression_metrics_match_scikit_learn(seed: int) -> None:
    rng = random.Random(seed)
    truth = [rng.uniform(-5, 5) for _ in range(150)]
    predictions = [y + rng.gauss(0, 1) for y in truth]
    assert compute("mse", truth, predictions) == pytest.approx(
        sk.mean_squared_error(truth, predictions)
    )
    assert compute("rmse", truth, predictions) == pytest.approx(
        sk.root_mean_squared_error(truth, predictions)
    )
    assert compute("mae", truth, predictions) == pytest.approx(
        sk.mean_absolute_error(truth, predictions)
    )
    assert compute("r2", truth, predictions) == pytest.approx(sk.r2_score(truth, predictions))


def test_edge_cases_follow_scikit_learn() -> None:
    # nothing predicted positive: precision and F1 are 0 (zero_division=0)
    assert compute("precision", [1, 0], [0.1, 0.2]) == sk.precision_score(
        [1, 0], [0, 0], zero_division=0
    )
    assert compute("f1", [1, 0], [0.1, 0.2]) == 0.0
    # all scores tied: AUC 0.5
    assert compute("auc", [0, 1, 0, 1], [0.5] * 4) == sk.roc_auc_score([0, 1, 0, 1], [0.5] * 4)
    # constant truth: R² is 1.0 for a perfect fit, 0.0 otherwise
    assert compute("r2", [2.0, 2.0], [2.0, 2.0]) == 1.0
    assert compute("r2", [2.0, 2.0], [1.0, 3.0]) == sk.r2_score([2.0, 2.0], [1.0, 3.0])
    with pytest.raises(MetricError, match="one class"):
        compute("auc", [1, 1], [0.2, 0.9])
    with pytest.raises(MetricError, match="must be 0 or 1"):
        compute("accuracy", [2, 0], [0.2, 0.9])


def test_names_of_model_quality_reports_are_understood() -> None:
    assert canonical("binary_classification_metrics.accuracy") == "accuracy"
    assert canonical("binary_classification_metrics.f1_score") == "f1"
    assert canonical("auc_roc") == "auc"
    assert canonical("regression_metrics.r2") == "r2"
    with pytest.raises(MetricError, match="cannot be computed"):
        canonical("business_revenue")
