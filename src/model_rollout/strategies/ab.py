"""A/B strategy: incumbent and challenger side by side; a business metric decides.

The release's bake config provisions the challenger (the new model, green) at weight 0
beside the incumbent (blue); the state machine then runs::

    Strategy ─(ab)→ StartAB (weights) → AwaitAB → WatchAB ─(a look)→ EvaluateAB → ABVerdict
      ABVerdict ─┬ challenger_wins → [AwaitApproval] → Promote … (the challenger takes all)
                 ├ extend → ExtendAB → WatchAB (the next look; or the fixed test's extension)
                 └ incumbent_wins | inconclusive | insufficient_data | invalid_srm
                     → KeepIncumbent → RestoreIncumbent … → Fail ABIncumbentKept
                       (the verdict at $.experiment_end; model_rollout.domain.experiments)
    guardrail alarm / abort during the test → Rollback … → RolledBack

**Contract with the application** (README "A/B tests"): for every unit (user, session,
request) it reports the outcome as a CloudWatch custom metric in the policy's
``metric.namespace``, named ``metric.name``, with dimensions ``EndpointName`` and
``VariantName`` (the ``InvokedProductionVariant`` of the unit's invocation): conversion,
one datapoint per unit with value 1 (converted) or 0; continuous, one datapoint per unit
with its value, and its square under ``<name>Squared`` (CloudWatch keeps sums and counts,
not variances). ``SampleCount`` is the number of units, ``Sum`` the conversions (or total).

``evaluate_ab`` (EvaluateAB) computes per variant the count, the rate or mean with its
interval (Wilson; t for a mean), the lift of the challenger (absolute and relative, with
confidence intervals), the test's p-value (two-proportion z; Welch's t for a continuous
metric) and a sample-ratio-mismatch χ² test of the units per variant against the configured
weights; then the verdict (``analyse``). Every final result is kept per endpoint
(``model_rollout.adapters.ab_results``); ``list_ab_results`` returns them oldest first.

**When it decides** (``test``):

- ``sequential`` (the default): EvaluateAB runs at every look (every ``look_seconds``) on all
  the units so far, with the mixture sequential probability ratio test of the lift
  (``model_rollout.domain.stats.normal_mixture_test``): its p-value is valid at any look, so
  the test stops at the first look where it is below ``alpha`` (``challenger_wins`` /
  ``incumbent_wins`` by the lift's sign), and the false-positive rate stays at ``alpha``
  however many looks there are. The reported interval of the lift is the confidence
  sequence (valid at every look at once). No verdict by ``duration_seconds``:
  ``inconclusive``; too few units then: ``insufficient_data`` or one extension, looking on,
  up to ``max_duration_seconds``. The mixture is tuned to be sharpest when the smaller
  variant has ``min_samples_per_variant`` units (``sequential_look``).
- ``fixed``: one test at ``duration_seconds``, and, on too few units, one extension to
  ``max_duration_seconds``. A second look at the data raises its false-positive rate above
  ``alpha`` (``bench/sequential_ab.py`` measures by how much).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from model_rollout.adapters.experiment_metrics import OutcomeStats
from model_rollout.domain.deployment import ABResult, Deployment
from model_rollout.domain.policy import ABStrategy
from model_rollout.domain.stats import (
    chisquare_gof,
    lift,
    mixture_tuning,
    norm_ppf,
    normal_mixture_test,
    t_ppf,
    two_proportion_ztest,
    welch_ttest,
    wilson_interval,
)
from model_rollout.errors import DeploymentFailed
from model_rollout.reporting.reports import epoch, iso

Verdict = Literal[
    "challenger_wins", "incumbent_wins", "inconclusive", "insufficient_data", "invalid_srm"
]
KEEPS_INCUMBENT = ("incumbent_wins", "inconclusive", "insufficient_data", "invalid_srm")


class OutcomeReader(Protocol):
    def outcomes(
        self,
        namespace: str,
        metric: str,
        endpoint_name: str,
        variant_name: str,
        start: float,
        end: float,
        *,
        squares: bool = False,
    ) -> OutcomeStats: ...


class PackageReader(Protocol):
    """``model_rollout.adapters.registry.ModelRegistry`` as the staleness curve uses it."""

    def created_at(self, model_package_arn: str) -> float | None: ...


#: the points of the staleness curve EvaluateAB puts into ``$.ab`` (for the report): the last
STALENESS_POINTS = 50


class ResultStore(Protocol):
    def put(self, endpoint_name: str, result_key: str, result: dict[str, Any]) -> None: ...

    def query(self, endpoint_name: str) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class Arm:
    """One variant's outcomes: the mean (a rate for conversions) and its sampling variance."""

    role: str
    variant: str
    count: float
    mean: float
    variance: float  # of one unit's outcome
    interval: list[float]

    @property
    def variance_of_mean(self) -> float:
        return self.variance / self.count if self.count else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "variant": self.variant,
            "count": self.count,
            "mean": self.mean,
            "std": math.sqrt(max(0.0, self.variance)),
            "interval": self.interval,
        }


def arm(role: str, variant: str, stats: OutcomeStats, kind: str, alpha: float) -> Arm:
    n = stats.count
    if n <= 0:
        return Arm(role, variant, 0.0, 0.0, 0.0, [0.0, 1.0] if kind == "conversion" else [])
    mean = stats.total / n
    if kind == "conversion":
        p = min(1.0, max(0.0, mean))
        interval = wilson_interval(stats.total, n, alpha)
        return Arm(role, variant, n, p, p * (1.0 - p), interval.as_list())
    squares = stats.total_squares or 0.0
    variance = max(0.0, (squares - stats.total**2 / n) / (n - 1.0)) if n > 1 else 0.0
    half = t_ppf(1.0 - alpha / 2.0, n - 1.0) * math.sqrt(variance / n) if n > 1 else math.inf
    return Arm(role, variant, n, mean, variance, [mean - half, mean + half])


@dataclass(frozen=True)
class Covariate:
    """A variant's pre-period covariate X of its units (CUPED): ``<covariate>`` SampleCount
    and Sum, ``<covariate>Squared`` Sum (Σx²) and ``<covariate>Product`` Sum (Σx·y)."""

    count: float
    total: float
    total_squares: float
    total_products: float


def cuped(
    strategy: ABStrategy,
    outcomes: dict[str, OutcomeStats],
    covariates: dict[str, Covariate],
    variants: dict[str, str],
) -> tuple[dict[str, Arm], dict[str, Any]]:
    """CUPED (Deng, Xu, Kohavi, Walker, "Improving the sensitivity of online controlled
    experiments by utilizing pre-experiment data", WSDM 2013): each unit's outcome Y becomes
    ``Y - θ·(X - x̄)`` with ``θ = cov(X, Y) / var(X)`` and ``x̄`` over both variants, which
    keeps each variant's expected mean (randomization makes X's mean equal in both) and
    cuts its variance by ``ρ²``, the squared correlation of X and Y. Returns the adjusted
    arms (``incumbent``, ``challenger``; a continuous metric now) and what was done; the arms
    are ``{}`` when it cannot apply (a unit without its covariate, or X constant)."""
    roles = ("incumbent", "challenger")
    name = strategy.metric.covariate
    info: dict[str, Any] = {"covariate": name, "applied": False}
    for role in roles:
        if covariates[role].count != outcomes[role].count:
            info["note"] = (
                f"the {role} reported {covariates[role].count:.0f} covariates for "
                f"{outcomes[role].count:.0f} outcomes: CUPED needs one per unit; not applied"
            )
            return {}, info
    if min(outcomes[role].count for role in roles) < 2:
        info["note"] = "fewer than two units in a variant: not applied"
        return {}, info

    def squares(role: str) -> float:  # Σy²: a conversion's outcome is 0 or 1, y² = y
        stats = outcomes[role]
        return stats.total_squares if stats.total_squares is not None else stats.total

    n_all = sum(outcomes[r].count for r in roles)
    mean_x = sum(covariates[r].total for r in roles) / n_all
    mean_y = sum(outcomes[r].total for r in roles) / n_all
    var_x = (sum(covariates[r].total_squares for r in roles) - n_all * mean_x**2) / (n_all - 1)
    var_y = (sum(squares(r) for r in roles) - n_all * mean_y**2) / (n_all - 1)
    cov_xy = (sum(covariates[r].total_products for r in roles) - n_all * mean_x * mean_y) / (
        n_all - 1
    )
    if var_x <= 0:
        info["note"] = "the covariate is the same for every unit: not applied"
        return {}, info
    theta = cov_xy / var_x
    arms: dict[str, Arm] = {}
    before = after = 0.0
    for role in roles:
        n, x, y = outcomes[role].count, covariates[role], outcomes[role]
        my, mx = y.total / n, x.total / n
        vy = max(0.0, (squares(role) - n * my**2) / (n - 1))
        vx = max(0.0, (x.total_squares - n * mx**2) / (n - 1))
        cxy = (x.total_products - n * mx * my) / (n - 1)
        adjusted_mean = my - theta * (mx - mean_x)
        adjusted_var = max(0.0, vy - 2 * theta * cxy + theta**2 * vx)
        half = t_ppf(1.0 - strategy.alpha / 2.0, n - 1.0) * math.sqrt(adjusted_var / n)
        arms[role] = Arm(
            role,
            variants[role],
            n,
            adjusted_mean,
            adjusted_var,
            [adjusted_mean - half, adjusted_mean + half],
        )
        before += vy / n
        after += adjusted_var / n
        info.setdefault("unadjusted_means", {})[role] = my
    info.update(
        applied=True,
        theta=theta,
        correlation=cov_xy / math.sqrt(var_x * var_y) if var_y > 0 else 0.0,
        variance_reduction=1.0 - after / before if before > 0 else 0.0,
    )
    return arms, info


def analyse(
    strategy: ABStrategy, incumbent: Arm, challenger: Arm, *, kind: str | None = None
) -> tuple[Verdict, dict[str, Any]]:
    """The statistics and the verdict (before any extension):

    1. ``invalid_srm`` when the units per variant do not match the weights (χ² goodness of
       fit, p < ``srm_alpha``, 0.001 by default): the split itself is broken;
    2. ``insufficient_data`` when a variant has fewer than ``min_samples_per_variant``;
    3. ``challenger_wins`` / ``incumbent_wins`` when the test's p < ``alpha``, by the sign
       of the lift (``metric.greater_is_better``); else ``inconclusive``.
    """
    kind = kind or strategy.metric.kind  # CUPED: adjusted outcomes are continuous
    out: dict[str, Any] = {
        "variants": {"incumbent": incumbent.as_dict(), "challenger": challenger.as_dict()},
    }
    total = incumbent.count + challenger.count
    weights = [strategy.weights["incumbent"], strategy.weights["challenger"]]
    srm_p: float | None = None
    if total > 0:
        chi2, srm_p = chisquare_gof([incumbent.count, challenger.count], weights)
        out["srm"] = {
            "observed": [incumbent.count, challenger.count],
            "expected_shares": [w / sum(weights) for w in weights],
            "chi2": chi2,
            "p_value": srm_p,
        }
    out["srm_p_value"] = srm_p
    if incumbent.count >= 2 and challenger.count >= 2:
        if kind == "conversion":
            z, p_value = two_proportion_ztest(
                challenger.mean * challenger.count,
                challenger.count,
                incumbent.mean * incumbent.count,
                incumbent.count,
            )
            critical = norm_ppf(1.0 - strategy.alpha / 2.0)
            out["test"] = {"name": "two-proportion z", "statistic": z}
        else:
            t, df, p_value = welch_ttest(
                challenger.mean,
                challenger.variance,
                challenger.count,
                incumbent.mean,
                incumbent.variance,
                incumbent.count,
            )
            critical = t_ppf(1.0 - strategy.alpha / 2.0, df) if df > 0 else math.inf
            out["test"] = {"name": "Welch t", "statistic": t, "df": df}
        result = lift(
            challenger.mean,
            challenger.variance_of_mean,
            incumbent.mean,
            incumbent.variance_of_mean,
            critical,
        )
        out["lift"] = result.as_dict()
        out["p_value"] = p_value
    else:
        out["lift"] = None
        out["p_value"] = None
    if srm_p is not None and srm_p < strategy.srm_alpha:
        return "invalid_srm", out
    if min(incumbent.count, challenger.count) < strategy.min_samples_per_variant:
        return "insufficient_data", out
    p_value = out["p_value"]
    if p_value is not None and p_value < strategy.alpha and out["lift"]:
        better = out["lift"]["absolute"] > 0
        if not strategy.metric.greater_is_better:
            better = not better
        return ("challenger_wins" if better else "incumbent_wins"), out
    return "inconclusive", out


def sequential_look(
    strategy: ABStrategy,
    incumbent: Arm,
    challenger: Arm,
    out: dict[str, Any],
    *,
    look: int,
    earlier_p: float = 1.0,
) -> tuple[Verdict, dict[str, Any]]:
    """The verdict of the sequential test at this look, from ``analyse``'s statistics.

    The lift's estimate ``Δ̂ = m_c - m_i`` has variance ``V = V_c + V_i`` (each mean's); the
    mixing variance is ``τ² = c·V*`` (``mixture_tuning``), where ``V*`` is ``V`` with the units
    the variants have when the smaller one reaches ``min_samples_per_variant`` at the
    configured weights. The p-value is the smallest over the looks so far (``earlier_p``),
    itself always valid. SRM and too few units come first, as in the fixed test."""
    out = dict(out)
    weights = [strategy.weights["incumbent"], strategy.weights["challenger"]]
    sequential: dict[str, Any] = {
        "look": look,
        "log_likelihood_ratio": None,
        "p_value": earlier_p,
        "mixing_variance": None,
        "confidence_sequence": None,
    }
    if incumbent.count >= 2 and challenger.count >= 2:
        scale = strategy.min_samples_per_variant / min(weights)
        planned = incumbent.variance / (scale * weights[0]) + challenger.variance / (
            scale * weights[1]
        )
        tau2 = mixture_tuning(strategy.alpha) * planned
        estimate = challenger.mean - incumbent.mean
        variance = challenger.variance_of_mean + incumbent.variance_of_mean
        result = normal_mixture_test(estimate, variance, tau2, strategy.alpha)
        sequential.update(
            log_likelihood_ratio=result.log_likelihood_ratio,
            p_value=min(earlier_p, result.p_value),
            mixing_variance=tau2,
            confidence_sequence=result.interval.as_list(),
        )
        if math.isfinite(result.critical):
            out["lift"] = lift(
                challenger.mean,
                challenger.variance_of_mean,
                incumbent.mean,
                incumbent.variance_of_mean,
                result.critical,
            ).as_dict()
        out["test"] = {**out["test"], "name": f"mSPRT (normal mixture) on {out['test']['name']}"}
        out["p_value"] = sequential["p_value"]
    out["sequential"] = sequential
    srm_p = out.get("srm_p_value")
    if srm_p is not None and srm_p < strategy.srm_alpha:
        return "invalid_srm", out
    if min(incumbent.count, challenger.count) < strategy.min_samples_per_variant:
        return "insufficient_data", out
    if sequential["p_value"] < strategy.alpha and out["lift"]:
        better = out["lift"]["absolute"] > 0
        if not strategy.metric.greater_is_better:
            better = not better
        return ("challenger_wins" if better else "incumbent_wins"), out
    return "inconclusive", out


def _num(value: Any, digits: int = 4) -> str:
    return "n/a" if value is None else f"{value:.{digits}g}"


def describe(
    verdict: str, strategy: ABStrategy, out: dict[str, Any], incumbent: Arm, challenger: Arm
) -> str:
    metric = strategy.metric
    what = "rate" if metric.kind == "conversion" else "mean"
    head = f"A/B test on {metric.namespace}/{metric.name} ({metric.kind}): {verdict}"
    arms = (
        f"challenger {challenger.variant} {what} {_num(challenger.mean)} "
        f"[{', '.join(_num(v) for v in challenger.interval)}] over {challenger.count:.0f} units vs "
        f"incumbent {incumbent.variant} {what} {_num(incumbent.mean)} "
        f"[{', '.join(_num(v) for v in incumbent.interval)}] over {incumbent.count:.0f} units"
    )
    if verdict == "invalid_srm":
        srm = out["srm"]
        return (
            f"{head}: sample ratio mismatch: {incumbent.count:.0f} incumbent / "
            f"{challenger.count:.0f} challenger units against weights "
            f"{strategy.weights['incumbent']:g}/{strategy.weights['challenger']:g} "
            f"(chi-square {srm['chi2']:.4g}, p {srm['p_value']:.3g} < srm_alpha "
            f"{strategy.srm_alpha:g}): the split is broken, the test is invalid; incumbent kept"
        )
    if verdict == "insufficient_data":
        return (
            f"{head}: too few units ({arms}); min_samples_per_variant "
            f"{strategy.min_samples_per_variant} not reached within "
            f"{out['elapsed_seconds']:.0f}s; incumbent kept"
        )
    lift_ = out.get("lift") or {}
    sequential = out.get("sequential")
    interval = "confidence sequence" if sequential else "CI"
    confidence = f"{(1 - strategy.alpha) * 100:g}%"
    rel = lift_.get("relative")
    test = out.get("test") or {"name": "test"}
    stats = (
        f"lift {_num(lift_.get('absolute'))} ({confidence} {interval} "
        f"{', '.join(_num(v) for v in lift_.get('absolute_ci') or [])})"
        + (f", relative {rel * 100:+.2f}%" if rel is not None else "")
        + f"; {test['name']} p = {_num(out['p_value'], 3)}"
        + (
            f" (always valid) at look {sequential['look']} after {out['elapsed_seconds']:.0f}s"
            if sequential
            else ""
        )
    )
    adjustment = out.get("cuped") or {}
    if adjustment.get("applied"):
        stats += (
            f"; CUPED on {adjustment['covariate']} (variance "
            f"-{adjustment['variance_reduction'] * 100:.0f}%)"
        )
    tail = {
        "challenger_wins": f" < alpha {strategy.alpha:g}; the challenger takes all traffic",
        "incumbent_wins": f" < alpha {strategy.alpha:g}: the challenger is worse; incumbent kept",
        "inconclusive": f" >= alpha {strategy.alpha:g}: no significant difference; incumbent kept",
    }[verdict]
    return f"{head}: {arms}; {stats}{tail}"


def _strategy(deployment: Deployment) -> ABStrategy:
    if not isinstance(deployment.strategy, ABStrategy):
        raise DeploymentFailed(
            f"deployment {deployment.deployment_id} is not an A/B test "
            f"(strategy {deployment.strategy.type})"
        )
    return deployment.strategy


def evaluate_ab(
    deployment: Deployment,
    *,
    outcomes: OutcomeReader,
    results: ResultStore,
    packages: PackageReader | None = None,
    clock: Callable[[], float] = time.time,
) -> dict[str, Any]:
    """The A/B test's window ended: statistics, verdict (or one extension), kept result."""
    strategy = _strategy(deployment)
    release, step = deployment.release, deployment.step
    if release is None or release.previous_variant_name is None or step is None:
        raise DeploymentFailed(
            f"deployment {deployment.deployment_id} has no running A/B test "
            "($.release with an incumbent, and $.step from StartAB)"
        )
    now = clock()
    start = step.started_at
    name, metric = deployment.endpoint_name, strategy.metric
    squares = metric.kind == "continuous"

    def read(variant: str) -> OutcomeStats:
        return outcomes.outcomes(
            metric.namespace, metric.name, name, variant, start, now, squares=squares
        )

    incumbent = arm(
        "incumbent",
        release.previous_variant_name,
        read(release.previous_variant_name),
        metric.kind,
        strategy.alpha,
    )
    challenger = arm(
        "challenger", release.variant_name, read(release.variant_name), metric.kind, strategy.alpha
    )
    adjustment: dict[str, Any] | None = None
    if metric.covariate:  # CUPED: the units' pre-period covariate reduces the variance
        variants = {"incumbent": release.previous_variant_name, "challenger": release.variant_name}

        def covariate(variant: str) -> Covariate:
            x = outcomes.outcomes(
                metric.namespace, str(metric.covariate), name, variant, start, now, squares=True
            )
            xy = outcomes.outcomes(
                metric.namespace, f"{metric.covariate}Product", name, variant, start, now
            )
            return Covariate(x.count, x.total, x.total_squares or 0.0, xy.total)

        adjusted, adjustment = cuped(
            strategy,
            {role: read(variant) for role, variant in variants.items()},
            {role: covariate(variant) for role, variant in variants.items()},
            variants,
        )
        if adjusted:
            incumbent, challenger = adjusted["incumbent"], adjusted["challenger"]
    cuped_on = bool(adjustment and adjustment["applied"])
    verdict, out = analyse(strategy, incumbent, challenger, kind="continuous" if cuped_on else None)
    if adjustment is not None:
        out["cuped"] = adjustment
    earlier = deployment.ab
    sequential = strategy.test == "sequential"
    if sequential:
        verdict, out = sequential_look(
            strategy,
            incumbent,
            challenger,
            out,
            look=(earlier.sequential.look + 1) if earlier and earlier.sequential else 1,
            earlier_p=earlier.sequential.p_value if earlier and earlier.sequential else 1.0,
        )
    already_extended = earlier is not None and earlier.extended
    limit = strategy.max_duration_seconds or 2 * strategy.duration_seconds
    elapsed = now - start
    out["elapsed_seconds"] = round(elapsed, 3)
    common = {
        "test_kind": strategy.test,
        "metric": metric.name,
        "namespace": metric.namespace,
        "kind": metric.kind,
        "alpha": strategy.alpha,
        "weights": strategy.weights,
        "started_at": iso(start),
        "ended_at": iso(now),
        "result_key": f"{iso(start)}#{deployment.deployment_id}",
        **out,
    }
    horizon = limit if already_extended else strategy.duration_seconds
    if (
        sequential and verdict in ("inconclusive", "insufficient_data") and horizon - elapsed >= 1.0
    ):  # no verdict yet: look again
        extend = int(min(strategy.look_interval(), horizon - elapsed))
        look = out["sequential"]["look"]
        nextlook = {
            **common,
            "verdict": "extend",
            "extended": already_extended,
            "extend_seconds": extend,
            "cause": (
                f"A/B test on {metric.name}: no verdict at look {look} after {elapsed:.0f}s "
                f"(incumbent {incumbent.count:.0f}, challenger {challenger.count:.0f} units; "
                f"always-valid p = {_num(out['p_value'], 3)}); next look in {extend}s"
            ),
        }
        return ABResult.model_validate(nextlook).model_dump(mode="json")
    if (
        verdict == "insufficient_data"
        and strategy.on_insufficient_data == "extend"
        and not already_extended
        and limit - elapsed >= 1.0
    ):
        left = limit - elapsed
        extend = int(min(strategy.look_interval(), left) if sequential else left)
        extension = {
            **common,
            "verdict": "extend",
            "extended": True,
            "extend_seconds": extend,
            "cause": (
                f"A/B test on {metric.name}: too few units (incumbent {incumbent.count:.0f}, "
                f"challenger {challenger.count:.0f} < min_samples_per_variant "
                f"{strategy.min_samples_per_variant}); "
                + (
                    f"looking on up to max_duration_seconds {limit}, next look in {extend}s"
                    if sequential
                    else f"extended by {extend}s (max_duration_seconds {limit})"
                )
            ),
        }
        return ABResult.model_validate(extension).model_dump(mode="json")
    result = {
        **common,
        "verdict": verdict,
        "extended": already_extended,
        "cause": describe(verdict, strategy, out, incumbent, challenger),
        "deployment_id": deployment.deployment_id,
        "challenger_package_arn": deployment.model_package_arn,
        "incumbent_package_arn": deployment.previous.model_package_arn
        if deployment.previous
        else None,
    }
    if packages is not None and result["incumbent_package_arn"]:
        # the incumbent's age at the test, kept with the result (the staleness curve)
        born = packages.created_at(result["incumbent_package_arn"])
        result["incumbent_created_at"] = iso(born) if born is not None else None
    result = ABResult.model_validate(result).model_dump(mode="json")  # what $.ab holds
    results.put(name, result["result_key"], result)
    if packages is None:
        return result
    curve = staleness_curve(results.query(name), {})[-STALENESS_POINTS:]
    keys = ("started_at", "incumbent_age_days", "relative_lift", "verdict")
    staleness = [{k: row[k] for k in keys} for row in curve]
    return ABResult.model_validate({**result, "staleness": staleness}).model_dump(mode="json")


def list_ab_results(endpoint_name: str, *, results: ResultStore) -> list[dict[str, Any]]:
    """Every A/B result of the endpoint, oldest first; with ``relative_lift`` at the top of
    each, so a list of them is the staleness curve of the models deployed there."""
    listed = []
    for result in results.query(endpoint_name):
        lift_ = result.get("lift") or {}
        listed.append({**result, "relative_lift": lift_.get("relative")})
    return listed


def staleness_curve(
    results: list[dict[str, Any]], created: Mapping[str, float | None]
) -> list[dict[str, Any]]:
    """The A/B results of an endpoint as its staleness curve, oldest first: at each test, the
    incumbent model's age (days from its package's creation, ``created``: ARN → epoch
    seconds; else the result's ``incumbent_created_at``) at the test's start, and the
    challenger's relative lift over it. A rising lift with age is the business effect of an
    ageing model (drift): the case for retraining sooner. Results without a lift (too few
    units, a broken split) stay, without a lift."""
    curve = []
    for result in sorted(results, key=lambda r: str(r.get("result_key", ""))):
        incumbent = result.get("incumbent_package_arn")
        born = created.get(incumbent) if incumbent else None
        if born is None and result.get("incumbent_created_at"):  # kept by EvaluateAB
            born = epoch(result["incumbent_created_at"])
        started = epoch(result["started_at"]) if result.get("started_at") else None
        lift_ = result.get("lift") or {}
        curve.append(
            {
                "started_at": result.get("started_at"),
                "ended_at": result.get("ended_at"),
                "deployment_id": result.get("deployment_id"),
                "incumbent_package_arn": incumbent,
                "challenger_package_arn": result.get("challenger_package_arn"),
                "incumbent_age_days": round((started - born) / 86_400.0, 6)
                if started is not None and born is not None
                else None,
                "verdict": result.get("verdict"),
                "test_kind": result.get("test_kind", "fixed"),
                "relative_lift": lift_.get("relative"),
                "relative_lift_ci": lift_.get("relative_ci"),
                "absolute_lift": lift_.get("absolute"),
                "p_value": result.get("p_value"),
                "units": [
                    (result.get("variants") or {}).get(role, {}).get("count")
                    for role in ("incumbent", "challenger")
                ],
            }
        )
    return curve
