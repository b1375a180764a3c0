# ruff: noqa: RUF003  (mathematical notation in docstrings is deliberate)
"""The sequential A/B test (``ab.test: sequential``): the mixture SPRT, its confidence
sequence, the verdict at each look, and what it is for: a false-positive rate that stays at
``alpha`` however often the test is watched, where the fixed test's does not.

The reference for the mSPRT is its definition, computed another way: the mixture likelihood
ratio as a numerical integral (SciPy) of the likelihood ratio over the mixing distribution.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from bench import sequential_ab
from bench.sequential_ab import watched
from scipy import integrate
from scipy import stats as sp
from tests.unit.test_experiment_steps import BLUE, GREEN, NOW, FakeOutcomes, FakeResults, doc

from model_rollout.adapters.experiment_metrics import OutcomeStats
from model_rollout.domain.deployment import ABResult, Deployment
from model_rollout.domain.policy import ABStrategy
from model_rollout.domain.stats import mixture_tuning, normal_mixture_test
from model_rollout.strategies.ab import analyse, arm, evaluate_ab, sequential_look

ALPHA = 0.05


@pytest.mark.parametrize(
    ("estimate", "variance", "tau2"),
    [(0.0, 1e-4, 1e-3), (0.03, 1e-4, 1e-3), (-0.05, 4e-4, 2e-4), (1.5, 0.3, 2.0)],
)
def test_mixture_likelihood_ratio_is_the_integral_of_its_definition(
    estimate: float, variance: float, tau2: float
) -> None:
    sd = math.sqrt(variance)

    def integrand(delta: float) -> float:
        ratio = sp.norm.pdf(estimate, delta, sd) / sp.norm.pdf(estimate, 0.0, sd)
        return float(ratio * sp.norm.pdf(delta, 0.0, math.sqrt(tau2)))

    spread = 12 * math.sqrt(tau2)
    reference, _ = integrate.quad(integrand, -spread, spread, points=[estimate], limit=200)
    got = normal_mixture_test(estimate, variance, tau2, ALPHA)
    assert got.log_likelihood_ratio == pytest.approx(math.log(reference), abs=1e-7)
    assert got.p_value == pytest.approx(min(1.0, 1.0 / reference), rel=1e-6)


def test_confidence_sequence_is_the_set_of_lifts_the_test_does_not_reject() -> None:
    estimate, variance, tau2 = 0.02, 1e-4, 5e-4
    low, high = normal_mixture_test(estimate, variance, tau2, ALPHA).interval.as_list()
    for edge, inside in ((low, 1e-9), (high, -1e-9)):
        # shifting H0 to Δ = edge: the shifted estimate sits exactly on the boundary 1/α
        at_edge = normal_mixture_test(estimate - edge, variance, tau2, ALPHA)
        assert at_edge.p_value == pytest.approx(ALPHA, rel=1e-9)
        assert normal_mixture_test(estimate - edge - inside, variance, tau2, ALPHA).p_value > ALPHA
    # wider than the fixed test's interval: it holds at every look at once
    z = sp.norm.ppf(1 - ALPHA / 2)
    assert high - low > 2 * z * math.sqrt(variance)


def test_mixture_tuning_is_howards_formula() -> None:
    assert mixture_tuning(0.05) == pytest.approx(2 * math.log(20) + math.log(1 + 2 * math.log(20)))


def strategy(**extra: Any) -> ABStrategy:
    raw = {"type": "ab", "metric": {"name": "Converted"}, "min_samples_per_variant": 200, **extra}
    built = doc(raw).strategy
    assert isinstance(built, ABStrategy)
    return built


def conversion(units: int, converted: int) -> Any:
    return arm("r", "r", OutcomeStats(count=units, total=converted), "conversion", ALPHA)


def test_sequential_is_the_default_and_looks_every_tenth_of_the_duration() -> None:
    ab = strategy(duration_seconds=3600)
    assert ab.test == "sequential"
    assert ab.look_interval() == 360 and ab.step_seconds() == 360
    assert strategy(duration_seconds=5).look_interval() == 1
    assert strategy(duration_seconds=600, look_seconds=30).look_interval() == 30
    assert strategy(test="fixed", duration_seconds=600).look_interval() == 600


def test_look_seconds_beyond_the_duration_is_refused() -> None:
    from model_rollout.domain.policy import parse_policy
    from model_rollout.errors import InvalidPolicy

    raw = (
        '{"endpoint_name": "e", "strategy": {"type": "ab", "metric": {"name": "m"}, '
        '"duration_seconds": 60, "look_seconds": 61}}'
    )
    with pytest.raises(InvalidPolicy, match="look_seconds"):
        parse_policy(raw, source="t")


@pytest.mark.parametrize(
    ("incumbent", "challenger", "verdict"),
    [
        ((1000, 100), (1000, 160), "challenger_wins"),
        ((1000, 160), (1000, 100), "incumbent_wins"),
        ((1000, 100), (1000, 104), "inconclusive"),
        ((150, 15), (150, 30), "insufficient_data"),
        ((500, 50), (900, 100), "invalid_srm"),
    ],
)
def test_every_sequential_verdict(
    incumbent: tuple[int, int], challenger: tuple[int, int], verdict: str
) -> None:
    ab = strategy()
    i, c = conversion(*incumbent), conversion(*challenger)
    _, out = analyse(ab, i, c)
    got, out = sequential_look(ab, i, c, out, look=3)
    assert got == verdict
    assert out["sequential"]["look"] == 3
    assert out["p_value"] == out["sequential"]["p_value"]
    assert out["test"]["name"] == "mSPRT (normal mixture) on two-proportion z"


def test_a_difference_the_fixed_test_calls_significant_is_not_yet_enough_at_one_look() -> None:
    """The price of watching at will: at a single look the always-valid p-value is larger."""
    ab = strategy(test="fixed")
    i, c = conversion(1000, 100), conversion(1000, 130)
    fixed_verdict, fixed = analyse(ab, i, c)
    verdict, sequential = sequential_look(ab, i, c, fixed, look=1)
    assert fixed_verdict == "challenger_wins" and fixed["p_value"] < ALPHA
    assert verdict == "inconclusive" and sequential["p_value"] > fixed["p_value"]
    low, high = sequential["lift"]["absolute_ci"]
    assert low < fixed["lift"]["absolute_ci"][0] and high > fixed["lift"]["absolute_ci"][1]


def test_the_always_valid_p_value_is_the_smallest_over_the_looks() -> None:
    ab = strategy()
    i, c = conversion(1000, 100), conversion(1000, 104)
    _, out = analyse(ab, i, c)
    _, later = sequential_look(ab, i, c, out, look=5, earlier_p=0.2)
    assert later["sequential"]["p_value"] == 0.2


def ab_doc(started: float, **extra: Any) -> Deployment:
    step = {
        "index": 0,
        "count": 1,
        "percent": 50,
        "weights": {GREEN: 0.5, BLUE: 0.5},
        "expect": {"endpoint_config_name": "c"},
        "bake_seconds": 6,
        "watch_seconds": 6,
        "started_at": started,
        "last": True,
    }
    raw = {
        "type": "ab",
        "metric": {"name": "Converted"},
        "min_samples_per_variant": 100,
        "duration_seconds": 60,
        "max_duration_seconds": 120,
        **extra,
    }
    return doc(raw, step=step)


def test_evaluate_ab_looks_again_until_a_verdict_then_keeps_the_result() -> None:
    results = FakeResults()
    close = FakeOutcomes({BLUE: OutcomeStats(1000, 100), GREEN: OutcomeStats(1000, 104)})
    first = evaluate_ab(ab_doc(NOW - 6), outcomes=close, results=results, clock=lambda: NOW)
    assert (first["verdict"], first["extend_seconds"], first["extended"]) == ("extend", 6, False)
    assert first["sequential"]["look"] == 1 and "next look in 6s" in first["cause"]
    assert results.items == {}  # a look is not a result

    clear = FakeOutcomes({BLUE: OutcomeStats(2000, 200), GREEN: OutcomeStats(2000, 320)})
    again = ab_doc(NOW - 12).model_copy(update={"ab": ABResult.model_validate(first)})
    second = evaluate_ab(again, outcomes=clear, results=results, clock=lambda: NOW)
    assert second["verdict"] == "challenger_wins" and second["sequential"]["look"] == 2
    assert second["test_kind"] == "sequential" and second["elapsed_seconds"] == 12
    assert "confidence sequence" in second["cause"] and "at look 2 after 12s" in second["cause"]
    assert list(results.items.values()) == [second]


def test_evaluate_ab_without_a_verdict_by_the_duration_is_inconclusive() -> None:
    results = FakeResults()
    close = FakeOutcomes({BLUE: OutcomeStats(1000, 100), GREEN: OutcomeStats(1000, 104)})
    last = evaluate_ab(ab_doc(NOW - 60), outcomes=close, results=results, clock=lambda: NOW)
    assert last["verdict"] == "inconclusive" and last["extended"] is False
    assert list(results.items.values()) == [last]


def test_too_few_units_by_the_duration_looks_on_to_the_maximum_then_decides() -> None:
    results = FakeResults()
    few = FakeOutcomes({BLUE: OutcomeStats(10, 1), GREEN: OutcomeStats(12, 2)})
    extra = {"on_insufficient_data": "extend"}
    first = evaluate_ab(ab_doc(NOW - 60, **extra), outcomes=few, results=results, clock=lambda: NOW)
    assert (first["verdict"], first["extended"], first["extend_seconds"]) == ("extend", True, 6)
    assert "looking on up to max_duration_seconds 120" in first["cause"]
    later = ab_doc(NOW - 90, **extra).model_copy(update={"ab": ABResult.model_validate(first)})
    looking = evaluate_ab(later, outcomes=few, results=results, clock=lambda: NOW)
    assert (looking["verdict"], looking["extended"]) == ("extend", True)
    end = ab_doc(NOW - 120, **extra).model_copy(update={"ab": ABResult.model_validate(looking)})
    last = evaluate_ab(end, outcomes=few, results=results, clock=lambda: NOW)
    assert last["verdict"] == "insufficient_data" and last["sequential"]["look"] == 3


# ---------------------------------------------------------------------- watched at every look


def test_watched_at_every_look_the_sequential_test_keeps_alpha_and_the_fixed_test_does_not(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """2,000 A/A tests, each watched at 20 looks (100 more units per variant at each), by the
    product's own statistics (bench/sequential_ab.py; ``make bench`` reports the same run with
    a true lift too)."""
    got = watched(lift=0.0)
    alpha = sequential_ab.ALPHA
    tolerance = 3 * math.sqrt(alpha * (1 - alpha) / sequential_ab.EXPERIMENTS)
    with capsys.disabled():
        print(
            f"\nA/A, {sequential_ab.EXPERIMENTS} tests x {sequential_ab.LOOKS} looks, alpha "
            f"{alpha}: false positives sequential {got['sequential']['share']:.3f}, fixed "
            f"watched at every look {got['fixed_every_look']['share']:.3f}, fixed at its horizon "
            f"{got['fixed_at_horizon']['share']:.3f} (bound alpha + 3 sd = {alpha + tolerance:.3f})"
        )
    assert got["sequential"]["share"] <= alpha + tolerance
    assert got["fixed_every_look"]["share"] > alpha + tolerance
    assert got["fixed_at_horizon"]["share"] <= alpha + tolerance  # its one valid look


def test_with_a_true_lift_the_sequential_test_finds_it_and_often_stops_early() -> None:
    got = watched(lift=0.03, experiments=400)
    assert got["sequential"]["share"] > 0.3
    horizon = sequential_ab.UNITS_PER_LOOK * sequential_ab.LOOKS
    assert got["sequential"]["mean_units"] < 0.75 * horizon
