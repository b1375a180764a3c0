"""Progressive strategies (canary, linear): the traffic plan and the steps that walk it.

The release's bake config provisions the new (green) variant at weight 0 beside the serving
(blue) one, so green's capacity is in place before it takes any traffic. The state machine
then loops, with the same states (and so the same number of transitions) for every step::

    NextStep → AwaitStep → WatchStep → CheckStep → StepVerdict ─┬→ NextStep  (more steps)
                                 ▲                             ├→ WatchStep (hold: low traffic)
                                 └─────────────────────────────┘→ Promote   (last step passed)

- ``next_step``: shift the traffic to the plan's next share with
  ``UpdateEndpointWeightsAndCapacities`` (blue keeps the rest); ``$.step`` says what the
  await waits for and how long the watch lasts.
- ``WatchStep``: the bake of the step, the same event-driven Watch as all_at_once's (an
  alarm fails it at once; the step's end is the task's timeout; an operator's promote
  skips the remaining steps).
- ``check_step``: the low-traffic guard: the step passes only when green served at least
  ``min_invocations`` (``AWS/SageMaker`` ``Invocations`` of the variant, summed over the
  step); otherwise the policy holds the step (another watch, up to ``max_hold_seconds``
  in all) or fails it (``LowTraffic``, rolled back).
- the step judge (policy ``judge``; ``judge_step``), on a step where both variants serve:
  the watch is cut into looks of ``judge.look_seconds``; at each, CheckStep compares green's
  ``Invocation5XXErrors / Invocations`` with blue's over the step so far. The step fails
  (``StepJudgedWorse``) at the first look where green is worse by more than
  ``max_error_rate_increase`` with confidence, whatever the alarms' periods; it passes at
  the end of its watch when the evidence says green is not worse by that much; without
  enough evidence either way it holds, as the low-traffic guard does (then ``LowTraffic``).

The last step is always 100 %: green takes all traffic and is watched once more while blue
is still provisioned (at weight 0), so a rollback stays a weight shift until the very end;
only then does ``Promote`` move the endpoint to the single-variant final config.
"""

from __future__ import annotations

from typing import Literal

from model_rollout.domain.deployment import Release, StepLook
from model_rollout.domain.policy import (
    StepJudge,
    Strategy,
)


def is_progressive(strategy: Strategy) -> bool:
    return strategy.progressive


def traffic_plan(strategy: Strategy, *, has_blue: bool = True) -> list[float]:
    """The new variant's share of traffic (percent) at each step; always ends at 100.

    canary ``percent: p`` → ``[p, 100]``; canary ``steps: [a, b]`` → ``[a, b, 100]``;
    linear ``step_percent: s`` → ``[s, 2s, …, 100]``; A/B: its split; all_at_once (or
    nothing to shift from, i.e. a first deployment) → ``[100]``. Each strategy's model
    says its own (``StrategyModel.traffic_plan``).
    """
    return strategy.traffic_plan() if has_blue else [100.0]


def step_seconds(strategy: Strategy) -> int:
    """How long each step is watched: canary/all_at_once ``bake_seconds``, linear
    ``interval_seconds``, shadow and A/B ``duration_seconds``."""
    return strategy.step_seconds()


def initial_shares(release: Release, strategy: Strategy) -> dict[str, float]:
    """Traffic shares the release's bake config starts with: a progressive strategy
    provisions green at weight 0 (blue keeps all traffic); all_at_once moves it all."""
    blue = release.previous_variant_name
    if blue is not None and strategy.shadow_share() is not None:
        return {blue: 1.0}  # green is a shadow variant: no production traffic
    if blue is not None and strategy.green_starts_at_zero:
        return {release.variant_name: 0.0, blue: 1.0}
    return {release.variant_name: 1.0}


def judge_of(strategy: Strategy, percent: float, *, has_blue: bool) -> StepJudge | None:
    """The step judge of a step where both variants serve (``None``: no judge there)."""
    judge: StepJudge | None = getattr(strategy, "judge", None)
    return judge if judge is not None and has_blue and percent < 100.0 else None


def judge_step(
    judge: StepJudge,
    *,
    new: tuple[float, float],
    old: tuple[float, float],
    look: int,
    watched_seconds: int,
) -> StepLook:
    """A look of the step judge at (invocations, 5XX errors) of the new and the old variant.

    Each error rate is estimated with one error and one success added (Agresti-Caffo), so a
    variant without errors yet still has a variance. The increase ``Δ = r_new - r_old`` gets
    the normal-mixture confidence sequence (``model_rollout.domain.stats``), valid at every
    look at once, its mixture tuned for the new variant at ``tuned_at_invocations``: the
    verdict is ``worse`` when its lower end is above ``max_error_rate_increase``,
    ``not_worse`` when its upper end is at most that, else ``lacking``."""
    # imported here: only a judged step needs the statistics at all
    from model_rollout.domain.stats import mixture_tuning, normal_mixture_test

    (n_new, e_new), (n_old, e_old) = new, old
    r_new, r_old = (e_new + 1.0) / (n_new + 2.0), (e_old + 1.0) / (n_old + 2.0)
    variance = r_new * (1 - r_new) / (n_new + 2.0) + r_old * (1 - r_old) / (n_old + 2.0)
    per_new = n_old / n_new if n_new > 0 else 1.0  # old invocations per new one, so far
    planned = judge.tuned_at_invocations
    tau2 = mixture_tuning(judge.alpha) * (
        r_new * (1 - r_new) / planned + r_old * (1 - r_old) / (planned * max(per_new, 1e-3))
    )
    increase = r_new - r_old
    low, high = normal_mixture_test(increase, variance, tau2, judge.alpha).interval.as_list()
    tolerance = judge.max_error_rate_increase
    verdict: Literal["worse", "not_worse", "lacking"] = (
        "worse" if low > tolerance else "not_worse" if high <= tolerance else "lacking"
    )
    return StepLook(
        look=look,
        watched_seconds=watched_seconds,
        new_invocations=n_new,
        new_errors=e_new,
        old_invocations=n_old,
        old_errors=e_old,
        error_rate_increase=increase,
        confidence_sequence=[low, high],
        verdict=verdict,
    )
