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

The last step is always 100 %: green takes all traffic and is watched once more while blue
is still provisioned (at weight 0), so a rollback stays a weight shift until the very end;
only then does ``Promote`` move the endpoint to the single-variant final config.
"""

from __future__ import annotations

from model_rollout.domain.deployment import Release
from model_rollout.domain.policy import (
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
