"""model_rollout.domain.stats (pure Python, in the Lambda layer) against SciPy's values."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from scipy import special
from scipy import stats as sp

from model_rollout.domain import stats

REL = 1e-9


@pytest.mark.parametrize("x", [-8.0, -3.2, -1.0, -1e-3, 0.0, 0.5, 1.96, 4.0, 7.5])
def test_normal_cdf_and_sf(x: float) -> None:
    assert stats.norm_cdf(x) == pytest.approx(sp.norm.cdf(x), rel=1e-12, abs=1e-300)
    assert stats.norm_sf(x) == pytest.approx(sp.norm.sf(x), rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("p", [1e-10, 1e-4, 0.01, 0.02425, 0.025, 0.3, 0.5, 0.9, 0.975, 0.999999])
def test_normal_quantile(p: float) -> None:
    assert stats.norm_ppf(p) == pytest.approx(sp.norm.ppf(p), rel=1e-10, abs=1e-12)


@pytest.mark.parametrize(
    ("a", "b", "x"),
    [
        (0.5, 0.5, 0.3),
        (2, 3, 0.4),
        (10, 0.5, 0.99),
        (0.5, 40, 0.01),
        (150, 200, 0.45),
        (3, 3, 1e-6),
    ],
)
def test_regularized_incomplete_beta(a: float, b: float, x: float) -> None:
    assert stats.betainc(a, b, x) == pytest.approx(special.betainc(a, b, x), rel=1e-10, abs=1e-15)


@pytest.mark.parametrize("df", [1, 2.5, 7, 30, 123.4, 5000])
@pytest.mark.parametrize("t", [-6.0, -2.0, -0.3, 0.0, 1.0, 2.6, 12.0])
def test_student_t(df: float, t: float) -> None:
    assert stats.t_cdf(t, df) == pytest.approx(sp.t.cdf(t, df), rel=1e-9, abs=1e-14)
    assert stats.t_sf(t, df) == pytest.approx(sp.t.sf(t, df), rel=1e-9, abs=1e-14)


@pytest.mark.parametrize("df", [1, 3.7, 20, 400])
@pytest.mark.parametrize("p", [0.001, 0.025, 0.5, 0.975, 0.995])
def test_student_t_quantile(df: float, p: float) -> None:
    assert stats.t_ppf(p, df) == pytest.approx(sp.t.ppf(p, df), rel=1e-8, abs=1e-10)


@pytest.mark.parametrize(
    ("a", "x"), [(0.5, 0.1), (0.5, 3.0), (1, 1), (4.5, 2.0), (4.5, 20.0), (50, 45)]
)
def test_regularized_upper_gamma(a: float, x: float) -> None:
    assert stats.gammaincc(a, x) == pytest.approx(special.gammaincc(a, x), rel=1e-10, abs=1e-15)


@pytest.mark.parametrize("df", [1, 2, 5, 17])
@pytest.mark.parametrize("x", [0.01, 0.5, 3.84, 10.83, 40.0])
def test_chi_square_sf(df: int, x: float) -> None:
    assert stats.chi2_sf(x, df) == pytest.approx(sp.chi2.sf(x, df), rel=1e-9, abs=1e-15)


@pytest.mark.parametrize("lam", [0.2, 0.5, 0.8, 1.0, 1.17, 1.19, 1.36, 2.0, 3.0])
def test_kolmogorov_distribution(lam: float) -> None:
    assert stats.kolmogorov_sf(lam) == pytest.approx(sp.kstwobign.sf(lam), rel=1e-9, abs=1e-15)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_two_sample_ks(seed: int) -> None:
    rng = random.Random(seed)
    a = [rng.gauss(0, 1) for _ in range(700)]
    b = [rng.gauss(0.1 * seed, 1.1) for _ in range(900)] + a[:50]  # ties across samples
    d, p = stats.ks_2samp(a, b)
    reference = sp.ks_2samp(a, b, method="asymp")
    assert d == pytest.approx(reference.statistic, abs=1e-12)
    en = len(a) * len(b) / (len(a) + len(b))
    assert p == pytest.approx(sp.kstwobign.sf(d * math.sqrt(en)), rel=1e-9, abs=1e-15)
    # SciPy's "asymp" p-value is the finite-n distribution at round(en): within 10%
    assert p == pytest.approx(reference.pvalue, rel=0.1, abs=1e-4)


def test_psi_matches_its_formula_and_is_zero_for_one_distribution() -> None:
    rng = random.Random(5)
    expected = [rng.betavariate(2, 5) for _ in range(2000)]
    actual = [rng.betavariate(3, 4) for _ in range(1500)]
    edges = np.linspace(0, 1, 11)
    e = np.maximum(np.histogram(expected, bins=edges)[0] / len(expected), 1e-4)
    a = np.maximum(np.histogram(actual, bins=edges)[0] / len(actual), 1e-4)
    assert stats.psi(expected, actual, bins=10) == pytest.approx(
        float(np.sum((a - e) * np.log(a / e))), rel=1e-12
    )
    assert stats.psi(expected, expected) == 0.0


@pytest.mark.parametrize("q", [0.0, 0.5, 0.9, 0.99, 1.0])
def test_quantile_is_numpys_linear_interpolation(q: float) -> None:
    values = [random.Random(3).expovariate(1) for _ in range(101)] + [0.5, 7.0]
    assert stats.quantile(values, q) == pytest.approx(float(np.quantile(values, q)), rel=1e-12)


@pytest.mark.parametrize(("x", "n"), [(0, 10), (3, 10), (50, 100), (812, 10_000), (99, 100)])
def test_wilson_interval(x: int, n: int) -> None:
    interval = stats.wilson_interval(x, n, alpha=0.05)
    # SciPy 1.17: BinomTestResult.proportion_ci(method="wilson")
    reference = sp.binomtest(x, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert interval.low == pytest.approx(reference.low, abs=1e-10)
    assert interval.high == pytest.approx(reference.high, abs=1e-10)


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2"),
    [(120, 1000, 100, 1000), (45, 400, 60, 380), (5000, 50000, 5150, 49000)],
)
def test_two_proportion_z_test_equals_the_uncorrected_chi_square_test(
    x1: int, n1: int, x2: int, n2: int
) -> None:
    z, p = stats.two_proportion_ztest(x1, n1, x2, n2)
    table = [[x1, n1 - x1], [x2, n2 - x2]]
    chi2, reference_p, _, _ = sp.chi2_contingency(table, correction=False)
    assert z * z == pytest.approx(chi2, rel=1e-10)
    assert p == pytest.approx(reference_p, rel=1e-9)
    assert math.copysign(1, z) == math.copysign(1, x1 / n1 - x2 / n2)


@pytest.mark.parametrize(
    ("m1", "s1", "n1", "m2", "s2", "n2"),
    [(10.0, 2.0, 30, 9.0, 3.5, 45), (0.51, 0.2, 1000, 0.5, 0.25, 800), (5, 1, 3, 4, 4, 5)],
)
def test_welch_t_test(m1: float, s1: float, n1: int, m2: float, s2: float, n2: int) -> None:
    t, df, p = stats.welch_ttest(m1, s1**2, n1, m2, s2**2, n2)
    reference = sp.ttest_ind_from_stats(m1, s1, n1, m2, s2, n2, equal_var=False)
    assert t == pytest.approx(reference.statistic, rel=1e-12)
    assert p == pytest.approx(reference.pvalue, rel=1e-9)
    a, b = s1**2 / n1, s2**2 / n2
    assert df == pytest.approx((a + b) ** 2 / (a**2 / (n1 - 1) + b**2 / (n2 - 1)), rel=1e-12)


@pytest.mark.parametrize(
    ("observed", "weights"),
    [([5000, 5100], [50, 50]), ([700, 2300], [25, 75]), ([480, 560], [1, 1])],
)
def test_sample_ratio_mismatch_chi_square(observed: list[int], weights: list[float]) -> None:
    stat, p = stats.chisquare_gof(observed, weights)
    total = sum(observed)
    expected = [total * w / sum(weights) for w in weights]
    reference = sp.chisquare(observed, expected)
    assert stat == pytest.approx(reference.statistic, rel=1e-12)
    assert p == pytest.approx(reference.pvalue, rel=1e-9)


def test_lift_intervals_cover_a_known_worked_example() -> None:
    # conversion 12% vs 10% on 1000 units each: the difference's 95% Wald interval
    z = stats.norm_ppf(0.975)
    vc, vi = 0.12 * 0.88 / 1000, 0.10 * 0.90 / 1000
    result = stats.lift(0.12, vc, 0.10, vi, z)
    assert result.absolute == pytest.approx(0.02)
    half = float(sp.norm.ppf(0.975) * math.sqrt(vc + vi))
    assert result.absolute_ci.as_list() == pytest.approx([0.02 - half, 0.02 + half])
    assert result.relative == pytest.approx(0.2)
    rel_se = math.sqrt(vc / 0.1**2 + 0.12**2 * vi / 0.1**4)
    assert result.relative_ci is not None
    assert result.relative_ci.as_list() == pytest.approx([0.2 - z * rel_se, 0.2 + z * rel_se])
