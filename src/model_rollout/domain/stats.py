# ruff: noqa: RUF002, RUF003  (mathematical notation in docstrings is deliberate)
"""Statistics of the shadow comparison and the A/B test, in pure Python (no NumPy/SciPy in
the Lambda layer). Every function is checked against SciPy in ``tests/unit/test_stats_vs_scipy.py``.

Distributions:

- normal: ``Φ(x) = ½·erfc(−x/√2)`` (``math.erfc``); the quantile by Acklam's rational
  approximation refined by one Halley step (|error| < 1e-12).
- Student's t: ``F(t; ν) = 1 − ½·I_{ν/(ν+t²)}(ν/2, ½)`` for t > 0 (symmetric; for t² < ν
  the equivalent ``½ + ½·I_{t²/(ν+t²)}(½, ν/2)``, exact near 0), with the regularized
  incomplete beta ``I_x(a, b)`` by its continued fraction (modified Lentz);
  the quantile by bisection.
- χ²: ``Q(x; k) = Γ(k/2, x/2)/Γ(k/2)``, the regularized upper incomplete gamma, by its
  series (x < a + 1) or its continued fraction.
- Kolmogorov: ``Q_KS(λ) = 2·Σ_{k≥1} (−1)^{k−1}·e^{−2k²λ²}`` (for λ ≥ 1.18; below, the
  equivalent theta-function form ``1 − √(2π)/λ·Σ e^{−(2k−1)²π²/(8λ²)}``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

_EPS = 1e-15
_TINY = 1e-300
_MAX_ITER = 500


# ---------------------------------------------------------------------- normal


def norm_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def norm_sf(x: float) -> float:
    return 0.5 * math.erfc(x / math.sqrt(2.0))


_A = (-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02,
      1.383577518672690e02, -3.066479806614716e01, 2.506628277459239e00)  # fmt: skip
_B = (-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02,
      6.680131188771972e01, -1.328068155288572e01)  # fmt: skip
_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00,
      -2.549732539343734e00, 4.374664141464968e00, 2.938163982698783e00)  # fmt: skip
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00,
      3.754408661907416e00)  # fmt: skip


def norm_ppf(p: float) -> float:
    """The standard normal quantile (inverse CDF)."""
    if not 0.0 < p < 1.0:
        if p == 0.0:
            return -math.inf
        if p == 1.0:
            return math.inf
        raise ValueError(f"probability {p} is not in [0, 1]")
    low = 0.02425
    if p < low:
        q = math.sqrt(-2.0 * math.log(p))
        x = (((((_C[0] * q + _C[1]) * q + _C[2]) * q + _C[3]) * q + _C[4]) * q + _C[5]) / (
            (((_D[0] * q + _D[1]) * q + _D[2]) * q + _D[3]) * q + 1.0
        )
    elif p <= 1.0 - low:
        q = p - 0.5
        r = q * q
        x = (
            (((((_A[0] * r + _A[1]) * r + _A[2]) * r + _A[3]) * r + _A[4]) * r + _A[5])
            * q
            / (((((_B[0] * r + _B[1]) * r + _B[2]) * r + _B[3]) * r + _B[4]) * r + 1.0)
        )
    else:
        q = math.sqrt(-2.0 * math.log1p(-p))
        x = -(((((_C[0] * q + _C[1]) * q + _C[2]) * q + _C[3]) * q + _C[4]) * q + _C[5]) / (
            (((_D[0] * q + _D[1]) * q + _D[2]) * q + _D[3]) * q + 1.0
        )
    # one Halley step on Φ(x) − p
    e = norm_cdf(x) - p
    u = e * math.sqrt(2.0 * math.pi) * math.exp(x * x / 2.0)
    return x - u / (1.0 + x * u / 2.0)


# ---------------------------------------------------------------------- incomplete beta


def _beta_cf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta (Numerical Recipes ``betacf``, Lentz)."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    h = d
    for m in range(1, _MAX_ITER + 1):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + aa / c
        c = c if abs(c) > _TINY else _TINY
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + aa / c
        c = c if abs(c) > _TINY else _TINY
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _EPS:
            return h
    return h


def betainc(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function ``I_x(a, b)``."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_cf(a, b, x) / a
    return 1.0 - front * _beta_cf(b, a, 1.0 - x) / b


# ---------------------------------------------------------------------- Student's t


def t_sf(t: float, df: float) -> float:
    """P(T > t) for Student's t with ``df`` degrees of freedom (df may be fractional)."""
    if math.isinf(df):
        return norm_sf(t)
    t2 = t * t
    if t2 < df:  # near 0: I_{t²/(ν+t²)}(½, ν/2) = P(|T| < |t|) keeps its precision
        tail = 0.5 * (1.0 - betainc(0.5, df / 2.0, t2 / (df + t2)))
    else:
        tail = 0.5 * betainc(df / 2.0, 0.5, df / (df + t2))
    return tail if t >= 0 else 1.0 - tail


def t_cdf(t: float, df: float) -> float:
    return t_sf(-t, df)


def t_ppf(p: float, df: float) -> float:
    """The t quantile, by bisection on ``t_cdf`` (to 1e-12)."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"probability {p} is not in (0, 1)")
    lo, hi = -1.0, 1.0
    while t_cdf(lo, df) > p:
        lo *= 2.0
    while t_cdf(hi, df) < p:
        hi *= 2.0
    for _ in range(200):
        mid = (lo + hi) / 2.0
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-12 * max(1.0, abs(mid)):
            break
    return (lo + hi) / 2.0


# ---------------------------------------------------------------------- incomplete gamma, χ²


def gammaincc(a: float, x: float) -> float:
    """The regularized upper incomplete gamma ``Q(a, x) = Γ(a, x)/Γ(a)``."""
    if x <= 0.0:
        return 1.0
    log_front = -x + a * math.log(x) - math.lgamma(a)
    if x < a + 1.0:  # series of P(a, x)
        term = total = 1.0 / a
        n = a
        for _ in range(_MAX_ITER):
            n += 1.0
            term *= x / n
            total += term
            if abs(term) < abs(total) * _EPS:
                break
        return max(0.0, 1.0 - total * math.exp(log_front))
    # continued fraction of Q(a, x) (modified Lentz)
    b = x + 1.0 - a
    c = 1.0 / _TINY
    d = 1.0 / b
    h = d
    for i in range(1, _MAX_ITER + 1):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = b + an / c
        c = c if abs(c) > _TINY else _TINY
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _EPS:
            break
    return math.exp(log_front) * h


def chi2_sf(x: float, df: float) -> float:
    """P(X > x) for χ² with ``df`` degrees of freedom."""
    return gammaincc(df / 2.0, x / 2.0)


# ---------------------------------------------------------------------- Kolmogorov-Smirnov


def kolmogorov_sf(lam: float) -> float:
    """P(K > λ) for the Kolmogorov distribution (the limit of √n·D)."""
    if lam <= 0.0:
        return 1.0
    if lam < 1.18:
        s = sum(
            math.exp(-((2 * k - 1) ** 2) * math.pi**2 / (8.0 * lam * lam)) for k in range(1, 20)
        )
        return max(0.0, min(1.0, 1.0 - math.sqrt(2.0 * math.pi) / lam * s))
    s = sum((-1) ** (k - 1) * math.exp(-2.0 * k * k * lam * lam) for k in range(1, 101))
    return max(0.0, min(1.0, 2.0 * s))


def ks_statistic(a: Sequence[float], b: Sequence[float]) -> float:
    """Two-sample Kolmogorov-Smirnov D = sup |F_a(x) − F_b(x)| over the pooled sample."""
    if not a or not b:
        raise ValueError("both samples must be non-empty")
    xs, ys = sorted(a), sorted(b)
    n, m = len(xs), len(ys)
    i = j = 0
    d = 0.0
    while i < n and j < m:
        value = min(xs[i], ys[j])
        while i < n and xs[i] <= value:
            i += 1
        while j < m and ys[j] <= value:
            j += 1
        d = max(d, abs(i / n - j / m))
    return d


def ks_2samp(a: Sequence[float], b: Sequence[float]) -> tuple[float, float]:
    """(D, p): the two-sided asymptotic p-value ``Q_KS(D·√(nm/(n+m)))``."""
    d = ks_statistic(a, b)
    n, m = len(a), len(b)
    return d, kolmogorov_sf(d * math.sqrt(n * m / (n + m)))


# ---------------------------------------------------------------------- PSI


def bin_shares(values: Sequence[float], edges: Sequence[float]) -> list[float]:
    """Share of ``values`` in each bin ``[e_i, e_{i+1})`` (the last bin closed; values
    outside the edges go to the first or last bin)."""
    counts = [0] * (len(edges) - 1)
    for v in values:
        k = 0
        while k < len(counts) - 1 and v >= edges[k + 1]:
            k += 1
        counts[k] += 1
    total = max(1, len(values))
    return [c / total for c in counts]


def psi(
    expected: Sequence[float],
    actual: Sequence[float],
    *,
    bins: int = 10,
    low: float = 0.0,
    high: float = 1.0,
    floor: float = 1e-4,
) -> float:
    """Population stability index ``Σ (a_i − e_i)·ln(a_i/e_i)`` over ``bins`` equal-width
    bins of [low, high] (fixed: the same for every comparison); an empty bin counts as
    ``floor`` so the logarithm stays finite."""
    edges = [low + (high - low) * k / bins for k in range(bins + 1)]
    e = [max(floor, s) for s in bin_shares(expected, edges)]
    a = [max(floor, s) for s in bin_shares(actual, edges)]
    return sum((ai - ei) * math.log(ai / ei) for ai, ei in zip(a, e, strict=True))


def quantile(values: Sequence[float], q: float) -> float:
    """The q-quantile by linear interpolation between order statistics (NumPy's default)."""
    if not values:
        raise ValueError("no values")
    xs = sorted(values)
    position = q * (len(xs) - 1)
    lo = math.floor(position)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (position - lo)


# ---------------------------------------------------------------------- A/B tests


@dataclass(frozen=True)
class Interval:
    low: float
    high: float

    def as_list(self) -> list[float]:
        return [self.low, self.high]


def wilson_interval(successes: float, n: float, alpha: float = 0.05) -> Interval:
    """Wilson score interval of a proportion at confidence 1 − alpha."""
    if n <= 0:
        return Interval(0.0, 1.0)
    z = norm_ppf(1.0 - alpha / 2.0)
    p = successes / n
    denominator = 1.0 + z * z / n
    center = (p + z * z / (2.0 * n)) / denominator
    half = z * math.sqrt(p * (1.0 - p) / n + z * z / (4.0 * n * n)) / denominator
    return Interval(max(0.0, center - half), min(1.0, center + half))


def two_proportion_ztest(x1: float, n1: float, x2: float, n2: float) -> tuple[float, float]:
    """(z, two-sided p) of H0 p1 = p2 with the pooled standard error; z > 0 when p1 > p2."""
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2))
    if se == 0.0:
        return 0.0, 1.0
    z = (x1 / n1 - x2 / n2) / se
    return z, 2.0 * norm_sf(abs(z))


def welch_ttest(
    mean1: float, var1: float, n1: float, mean2: float, var2: float, n2: float
) -> tuple[float, float, float]:
    """(t, Welch–Satterthwaite df, two-sided p) of H0 mean1 = mean2 (unequal variances)."""
    a, b = var1 / n1, var2 / n2
    se2 = a + b
    if se2 <= 0.0:
        return 0.0, float(n1 + n2 - 2), 1.0
    t = (mean1 - mean2) / math.sqrt(se2)
    df = se2 * se2 / (a * a / (n1 - 1.0) + b * b / (n2 - 1.0))
    return t, df, 2.0 * t_sf(abs(t), df)


def chisquare_gof(observed: Sequence[float], weights: Sequence[float]) -> tuple[float, float]:
    """(χ², p) of the observed counts against the shares ``weights`` (df = k − 1)."""
    total = sum(observed)
    weight_sum = sum(weights)
    expected = [total * w / weight_sum for w in weights]
    stat = sum((o - e) ** 2 / e for o, e in zip(observed, expected, strict=True) if e > 0)
    return stat, chi2_sf(stat, len(observed) - 1)


@dataclass(frozen=True)
class Lift:
    """Challenger minus incumbent: absolute and relative, each with its confidence interval."""

    absolute: float
    absolute_ci: Interval
    relative: float | None
    relative_ci: Interval | None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["absolute_ci"] = self.absolute_ci.as_list()
        data["relative_ci"] = self.relative_ci.as_list() if self.relative_ci else None
        return data


def lift(
    mean_c: float,
    var_of_mean_c: float,
    mean_i: float,
    var_of_mean_i: float,
    critical: float,
) -> Lift:
    """Absolute lift ``m_c − m_i ± critical·√(V_c + V_i)`` and relative lift
    ``m_c/m_i − 1 ± critical·√(V_c/m_i² + m_c²·V_i/m_i⁴)`` (delta method), where ``V`` is the
    variance of each mean and ``critical`` the two-sided quantile (z, or Welch's t)."""
    diff = mean_c - mean_i
    half = critical * math.sqrt(var_of_mean_c + var_of_mean_i)
    if mean_i == 0.0:
        return Lift(diff, Interval(diff - half, diff + half), None, None)
    rel = mean_c / mean_i - 1.0
    rel_se = math.sqrt(var_of_mean_c / mean_i**2 + mean_c**2 * var_of_mean_i / mean_i**4)
    rel_half = critical * rel_se
    return Lift(
        diff, Interval(diff - half, diff + half), rel, Interval(rel - rel_half, rel + rel_half)
    )


# ---------------------------------------------------------------------- sequential tests


def mixture_tuning(alpha: float) -> float:
    """``c = 2·ln(1/α) + ln(1 + 2·ln(1/α))``: with mixing variance ``τ² = c·V*``, the normal
    mixture's confidence sequence is narrowest where the estimate's variance is ``V*``
    (Howard, Ramdas, McAuliffe, Sekhon, "Time-uniform, nonparametric, nonasymptotic confidence
    sequences", 2021, eq. (3.7), in the estimate's units)."""
    log_inverse = math.log(1.0 / alpha)
    return 2.0 * log_inverse + math.log(1.0 + 2.0 * log_inverse)


@dataclass(frozen=True)
class SequentialTest:
    """A look of the mixture sequential probability ratio test (mSPRT) at ``H0: Δ = 0``."""

    log_likelihood_ratio: float  # ln Λ
    p_value: float  # always valid at this look: min(1, 1/Λ)
    critical: float  # k: the confidence sequence is estimate ± k·√V
    interval: Interval  # the (1 − α) confidence sequence of Δ at this look


def normal_mixture_test(
    estimate: float, variance: float, mixing_variance: float, alpha: float
) -> SequentialTest:
    """The mSPRT of an estimate ``Δ̂ ~ N(Δ, V)`` with the mixture ``Δ ~ N(0, τ²)`` under H1
    (Johari, Koomen, Pekelis, Walsh, "Always valid inference", Operations Research 2022):

    ``Λ = √(V/(V+τ²))·exp(τ²·Δ̂² / (2V(V+τ²)))`` is a nonnegative martingale under H0, so by
    Ville's inequality ``P(sup Λ ≥ 1/α) ≤ α``: rejecting at the first look with ``Λ ≥ 1/α``
    keeps the false-positive rate at ``α`` however often one looks, and ``min(1, 1/Λ)`` is a
    p-value valid at any look. Inverting it gives the confidence sequence
    ``Δ̂ ± √(V(V+τ²)/τ² · (2·ln(1/α) + ln((V+τ²)/V)))``, which covers Δ at every look at once
    with probability ``1 − α``. ``V`` is the estimate's variance now (the plug-in of the
    variances observed so far: the test is valid asymptotically, as a z-test is)."""
    if variance <= 0.0 or mixing_variance <= 0.0:
        return SequentialTest(0.0, 1.0, math.inf, Interval(-math.inf, math.inf))
    total = variance + mixing_variance
    log_lr = 0.5 * math.log(variance / total) + (
        mixing_variance * estimate * estimate / (2.0 * variance * total)
    )
    p_value = 1.0 if log_lr <= 0.0 else math.exp(-log_lr)
    critical = math.sqrt(
        total / mixing_variance * (2.0 * math.log(1.0 / alpha) + math.log(total / variance))
    )
    half = critical * math.sqrt(variance)
    return SequentialTest(log_lr, p_value, critical, Interval(estimate - half, estimate + half))
