"""CUPED for A/B tests (``metric.covariate``): the adjusted means and variances against a
reference computed unit by unit (NumPy), the variance reduction (ρ²), and the verdict it
makes possible on the same data."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from tests.unit.test_experiment_steps import BLUE, GREEN, NOW, FakeResults
from tests.unit.test_sequential_ab import ab_doc

from model_rollout.adapters.experiment_metrics import OutcomeStats
from model_rollout.domain.policy import ABStrategy
from model_rollout.strategies.ab import Covariate, cuped, evaluate_ab

ROLES = {"incumbent": BLUE, "challenger": GREEN}


def units(seed: int, n: int, lift: float, rho: float) -> dict[str, tuple[Any, Any]]:
    """Per role, (x, y): revenue before the test x, during it y = x-correlated + lift."""
    rng = np.random.default_rng(seed)
    out = {}
    for role, shift in (("incumbent", 0.0), ("challenger", lift)):
        x = rng.normal(100.0, 20.0, n)
        noise = rng.normal(0.0, 20.0, n)
        y = 50.0 + shift + rho * (x - 100.0) + np.sqrt(1 - rho**2) * noise
        out[role] = (x, y)
    return out


def sums(data: dict[str, tuple[Any, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    outcomes = {
        r: OutcomeStats(len(y), float(y.sum()), float((y * y).sum())) for r, (x, y) in data.items()
    }
    covariates = {
        r: Covariate(len(x), float(x.sum()), float((x * x).sum()), float((x * y).sum()))
        for r, (x, y) in data.items()
    }
    return outcomes, covariates


def strategy(**metric: Any) -> ABStrategy:
    return ABStrategy.model_validate(
        {
            "metric": {"name": "Revenue", "kind": "continuous", "covariate": "RevenueBefore"}
            | metric,
            "min_samples_per_variant": 100,
        }
    )


def test_adjusted_means_and_variances_match_the_unit_by_unit_reference() -> None:
    data = units(1, 3000, lift=1.0, rho=0.8)
    arms, info = cuped(strategy(), *sums(data), ROLES)
    x_all = np.concatenate([x for x, _ in data.values()])
    y_all = np.concatenate([y for _, y in data.values()])
    theta = np.cov(x_all, y_all)[0, 1] / np.var(x_all, ddof=1)
    assert info["applied"] and info["theta"] == pytest.approx(theta, rel=1e-9)
    for role, (x, y) in data.items():
        adjusted = y - theta * (x - x_all.mean())
        assert arms[role].mean == pytest.approx(adjusted.mean(), rel=1e-9)
        assert arms[role].variance == pytest.approx(np.var(adjusted, ddof=1), rel=1e-6)
    assert info["variance_reduction"] == pytest.approx(0.64, abs=0.03)  # ρ² = 0.8²
    assert info["correlation"] == pytest.approx(0.8, abs=0.02)


def test_a_unit_without_its_covariate_turns_cuped_off_and_says_why() -> None:
    outcomes, covariates = sums(units(2, 500, lift=0.0, rho=0.5))
    short = covariates["challenger"]
    covariates["challenger"] = Covariate(short.count - 1, short.total, 1.0, 1.0)
    arms, info = cuped(strategy(), outcomes, covariates, ROLES)
    assert arms == {} and info["applied"] is False
    assert "499 covariates for 500 outcomes" in info["note"]


class Outcomes:
    def __init__(self, data: dict[str, tuple[Any, Any]]) -> None:
        self.outcomes_, self.covariates = sums(data)
        self.by_variant = {variant: role for role, variant in ROLES.items()}

    def outcomes(self, namespace, metric, endpoint, variant, start, end, *, squares=False):  # type: ignore[no-untyped-def]
        role = self.by_variant[variant]
        x = self.covariates[role]
        if metric == "RevenueBefore":
            return OutcomeStats(x.count, x.total, x.total_squares)
        if metric == "RevenueBeforeProduct":
            return OutcomeStats(x.count, x.total_products)
        stats = self.outcomes_[role]
        return stats if squares else OutcomeStats(stats.count, stats.total)


def test_the_same_data_is_inconclusive_without_cuped_and_decided_with_it() -> None:
    data = units(3, 1500, lift=2.0, rho=0.9)
    metric = {"name": "Revenue", "kind": "continuous"}
    args: dict[str, Any] = {"test": "fixed", "min_samples_per_variant": 100}
    plain = evaluate_ab(
        ab_doc(NOW - 60, metric=metric, **args),
        outcomes=Outcomes(data),
        results=FakeResults(),
        clock=lambda: NOW,
    )
    adjusted = evaluate_ab(
        ab_doc(NOW - 60, metric={**metric, "covariate": "RevenueBefore"}, **args),
        outcomes=Outcomes(data),
        results=FakeResults(),
        clock=lambda: NOW,
    )
    assert plain["verdict"] == "inconclusive" and plain["cuped"] is None
    assert adjusted["verdict"] == "challenger_wins"
    assert adjusted["cuped"]["variance_reduction"] == pytest.approx(0.81, abs=0.04)
    assert "CUPED on RevenueBefore (variance -8" in adjusted["cause"]
    # the same quantity, estimated closer to the true lift (2.0), with a narrower interval
    low, high = adjusted["lift"]["absolute_ci"]
    assert low < 2.0 < high
    assert abs(adjusted["lift"]["absolute"] - 2.0) < abs(plain["lift"]["absolute"] - 2.0)
    width = [r["lift"]["absolute_ci"][1] - r["lift"]["absolute_ci"][0] for r in (plain, adjusted)]
    assert width[1] < 0.5 * width[0]
