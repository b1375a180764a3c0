"""Model quality metrics (pure Python), computed from labels and model scores.

The names are those of SageMaker's model-quality reports; each matches scikit-learn's
definition (checked against it in tests/unit/test_quality_metrics.py):

- classification (a score at or above ``threshold`` is the positive class 1): ``accuracy``,
  ``precision``, ``recall``, ``f1`` (binary, positive label 1; 0.0 when undefined, as
  scikit-learn's ``zero_division=0``), ``auc`` (ROC AUC from the scores, ties counted half:
  the Mann-Whitney statistic), ``log_loss`` (scores clipped to [eps, 1 - eps], natural log);
- regression (the score is the prediction): ``mse``, ``rmse``, ``mae``, ``r2``.

``greater_is_better`` is the direction of each (log loss and the errors are lower-is-better).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

EPS = 1e-15

CLASSIFICATION = ("accuracy", "precision", "recall", "f1", "auc", "log_loss")
REGRESSION = ("mse", "rmse", "mae", "r2")
LOWER_IS_BETTER = frozenset({"log_loss", "mse", "rmse", "mae"})
ALIASES = {
    "f1_score": "f1",
    "auc_roc": "auc",
    "roc_auc": "auc",
    "logloss": "log_loss",
    "cross_entropy": "log_loss",
    "r_squared": "r2",
    "r2_score": "r2",
}


class MetricError(ValueError):
    """The metric is unknown, or undefined on these labels (e.g. AUC with one class)."""


def canonical(metric: str) -> str:
    """``binary_classification_metrics.f1_score`` → ``f1``; ``MetricError`` if unknown."""
    name = metric.rsplit(".", 1)[-1].strip().lower()
    name = ALIASES.get(name, name)
    if name not in CLASSIFICATION and name not in REGRESSION:
        raise MetricError(
            f"metric {metric!r} cannot be computed from a validation set; known: "
            f"{', '.join((*CLASSIFICATION, *REGRESSION))}"
        )
    return name


def _classes(labels: Sequence[float]) -> list[int]:
    out = []
    for label in labels:
        if label not in (0, 1):
            raise MetricError(f"a classification label must be 0 or 1, not {label!r}")
        out.append(int(label))
    return out


def _confusion(labels: Sequence[int], scores: Sequence[float], threshold: float) -> tuple[int, ...]:
    tp = fp = tn = fn = 0
    for label, score in zip(labels, scores, strict=True):
        predicted = 1 if score >= threshold else 0
        if predicted and label:
            tp += 1
        elif predicted:
            fp += 1
        elif label:
            fn += 1
        else:
            tn += 1
    return tp, fp, tn, fn


def accuracy(labels: Sequence[float], scores: Sequence[float], threshold: float = 0.5) -> float:
    tp, fp, tn, fn = _confusion(_classes(labels), scores, threshold)
    return (tp + tn) / (tp + fp + tn + fn)


def precision(labels: Sequence[float], scores: Sequence[float], threshold: float = 0.5) -> float:
    tp, fp, _, _ = _confusion(_classes(labels), scores, threshold)
    return tp / (tp + fp) if tp + fp else 0.0


def recall(labels: Sequence[float], scores: Sequence[float], threshold: float = 0.5) -> float:
    tp, _, _, fn = _confusion(_classes(labels), scores, threshold)
    return tp / (tp + fn) if tp + fn else 0.0


def f1(labels: Sequence[float], scores: Sequence[float], threshold: float = 0.5) -> float:
    tp, fp, _, fn = _confusion(_classes(labels), scores, threshold)
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0


def auc(labels: Sequence[float], scores: Sequence[float], threshold: float = 0.5) -> float:
    """ROC AUC: the probability that a positive outranks a negative (ties count half),
    from the average ranks of the positives (Mann-Whitney U)."""
    classes = _classes(labels)
    positives = sum(classes)
    negatives = len(classes) - positives
    if not positives or not negatives:
        raise MetricError("AUC is undefined when the validation set holds one class only")
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        average = (i + j) / 2 + 1  # ranks are 1-based
        for k in range(i, j + 1):
            ranks[order[k]] = average
        i = j + 1
    rank_sum = sum(rank for rank, label in zip(ranks, classes, strict=True) if label)
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def log_loss(labels: Sequence[float], scores: Sequence[float], threshold: float = 0.5) -> float:
    total = 0.0
    for label, score in zip(_classes(labels), scores, strict=True):
        p = min(max(score, EPS), 1 - EPS)
        total -= math.log(p) if label else math.log(1 - p)
    return total / len(scores)


def mse(labels: Sequence[float], scores: Sequence[float], threshold: float = 0.5) -> float:
    return sum((y - p) ** 2 for y, p in zip(labels, scores, strict=True)) / len(scores)


def rmse(labels: Sequence[float], scores: Sequence[float], threshold: float = 0.5) -> float:
    return math.sqrt(mse(labels, scores))


def mae(labels: Sequence[float], scores: Sequence[float], threshold: float = 0.5) -> float:
    return sum(abs(y - p) for y, p in zip(labels, scores, strict=True)) / len(scores)


def r2(labels: Sequence[float], scores: Sequence[float], threshold: float = 0.5) -> float:
    mean = sum(labels) / len(labels)
    total = sum((y - mean) ** 2 for y in labels)
    residual = sum((y - p) ** 2 for y, p in zip(labels, scores, strict=True))
    if total == 0:  # scikit-learn: 1.0 for a perfect fit, else 0.0
        return 1.0 if residual == 0 else 0.0
    return 1 - residual / total


METRICS: dict[str, Callable[[Sequence[float], Sequence[float], float], float]] = {
    "accuracy": accuracy,
    "precision": precision,
    "recall": recall,
    "f1": f1,
    "auc": auc,
    "log_loss": log_loss,
    "mse": mse,
    "rmse": rmse,
    "mae": mae,
    "r2": r2,
}


def compute(
    metric: str, labels: Sequence[float], scores: Sequence[float], threshold: float = 0.5
) -> float:
    """The value of ``metric`` (any alias or dotted report name) on these labels and scores."""
    if len(labels) != len(scores):
        raise MetricError(f"{len(labels)} labels but {len(scores)} scores")
    if not labels:
        raise MetricError("the validation set is empty")
    return METRICS[canonical(metric)](labels, scores, threshold)
