"""The sequential A/B test against the fixed one, watched at every look (no local stack).

``watched(lift)`` runs ``EXPERIMENTS`` simulated A/B tests on a conversion metric (the
incumbent at ``RATE``, the challenger at ``RATE + lift``), each looked at ``LOOKS`` times
with ``UNITS_PER_LOOK`` more units per variant at each look, through the product's own
statistics (``model_rollout.strategies.ab``: ``analyse`` for the fixed test,
``sequential_look`` for the sequential one), with ``min_samples_per_variant`` 200 and
``alpha`` 0.05. Three ways to decide:

- ``sequential``: the sequential test at every look, stopping at the first verdict;
- ``fixed_every_look``: the fixed test at every look, stopping at the first "significant"
  one (what a person watching a dashboard, or a test extended once or more, does);
- ``fixed_at_horizon``: the fixed test once, at the last look (its only valid use).

For each: the share of tests that end with a winner (false positives when ``lift`` is 0,
power otherwise) and the mean units per variant at that verdict.
``python -m bench.sequential_ab`` prints both simulations.
"""

from __future__ import annotations

import json
import math
from typing import Any

from model_rollout.adapters.experiment_metrics import OutcomeStats
from model_rollout.domain.policy import ABStrategy
from model_rollout.strategies.ab import Arm, analyse, arm, sequential_look

EXPERIMENTS = 2000
LOOKS = 20
UNITS_PER_LOOK = 100  # per variant
RATE = 0.10
ALPHA = 0.05
WINNERS = ("challenger_wins", "incumbent_wins")


def _strategy() -> ABStrategy:
    return ABStrategy.model_validate(
        {"metric": {"name": "Converted"}, "min_samples_per_variant": 200, "alpha": ALPHA}
    )


def _arm(units: int, converted: int) -> Arm:
    return arm("r", "r", OutcomeStats(count=units, total=converted), "conversion", ALPHA)


def watched(
    lift: float, *, seed: int = 20261203, experiments: int = EXPERIMENTS
) -> dict[str, dict[str, float]]:
    import numpy as np  # a dev dependency: the simulation's random draws only

    rng = np.random.default_rng(seed)
    draws = (experiments, LOOKS)
    incumbent = rng.binomial(UNITS_PER_LOOK, RATE, draws).cumsum(axis=1)
    challenger = rng.binomial(UNITS_PER_LOOK, RATE + lift, draws).cumsum(axis=1)
    ab = _strategy()
    found: dict[str, list[int]] = {"sequential": [], "fixed_every_look": [], "fixed_at_horizon": []}
    for k in range(experiments):
        horizon = UNITS_PER_LOOK * LOOKS
        last = _arm(horizon, int(incumbent[k, -1])), _arm(horizon, int(challenger[k, -1]))
        if analyse(ab, *last)[0] in WINNERS:
            found["fixed_at_horizon"].append(horizon)
        stopped: set[str] = set()
        earlier_p = 1.0
        for look in range(LOOKS):
            units = UNITS_PER_LOOK * (look + 1)
            i, c = _arm(units, int(incumbent[k, look])), _arm(units, int(challenger[k, look]))
            fixed, out = analyse(ab, i, c)
            sequential, seq = sequential_look(ab, i, c, out, look=look + 1, earlier_p=earlier_p)
            earlier_p = seq["sequential"]["p_value"]
            for kind, verdict in (("sequential", sequential), ("fixed_every_look", fixed)):
                if kind not in stopped and verdict in WINNERS:
                    stopped.add(kind)
                    found[kind].append(units)
            if len(stopped) == 2:
                break
    return {
        kind: {
            "share": round(len(units) / experiments, 4),
            "mean_units": round(sum(units) / len(units), 1) if units else math.nan,
        }
        for kind, units in found.items()
    }


def measure() -> dict[str, Any]:
    """The bench's figures: A/A (no lift) and a true lift of 3 points (10% → 13%)."""
    null, true = watched(0.0), watched(0.03)
    return {
        "ab_simulation": f"{EXPERIMENTS} tests x {LOOKS} looks of {UNITS_PER_LOOK} units/variant, "
        f"conversion {RATE}, alpha {ALPHA}",
        "ab_false_positive_rate_sequential": null["sequential"]["share"],
        "ab_false_positive_rate_fixed_every_look": null["fixed_every_look"]["share"],
        "ab_false_positive_rate_fixed_at_horizon": null["fixed_at_horizon"]["share"],
        "ab_power_sequential": true["sequential"]["share"],
        "ab_power_fixed_at_horizon": true["fixed_at_horizon"]["share"],
        "ab_mean_units_to_verdict_sequential": true["sequential"]["mean_units"],
        "ab_mean_units_to_verdict_fixed_at_horizon": true["fixed_at_horizon"]["mean_units"],
    }


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
