"""The sequential step judge of canary and linear steps (policy ``judge``): the new
variant's 5XX error rate against the old one's on the same traffic, at every look."""

from __future__ import annotations

from typing import Any

import pytest
from tests.unit.test_progressive_steps import BLUE, GREEN, watched

from model_rollout.domain.policy import StepJudge, parse_policy
from model_rollout.errors import InvalidPolicy, LowTraffic, StepJudgedWorse
from model_rollout.steps.check_step import check_step
from model_rollout.strategies.progressive import judge_step

JUDGE = {"look_seconds": 10, "max_error_rate_increase": 0.01, "alpha": 0.05}
CANARY = {"type": "canary", "percent": 10, "bake_seconds": 60, "judge": JUDGE}


class VariantCounts:
    """(invocations, 5XX errors) per variant, as CloudWatch sums them over the step."""

    def __init__(self, by_variant: dict[str, tuple[float, float]]) -> None:
        self.by_variant = by_variant

    def invocations(self, endpoint_name: str, variant_name: str, start: float, end: float) -> int:
        return int(self.by_variant[variant_name][0])

    def sum(
        self, endpoint_name: str, variant_name: str, metric: str, start: float, end: float
    ) -> float:
        assert metric == "Invocation5XXErrors"
        return self.by_variant[variant_name][1]


def judged(new: tuple[float, float], old: tuple[float, float], **step: Any) -> Any:
    return check_step(
        watched(CANARY, **{"watch_seconds": 10, **step}),
        metrics=VariantCounts({GREEN: new, BLUE: old}),
        clock=lambda: 1010.0,
    )


def test_a_worse_new_variant_fails_the_step_at_the_first_look_that_shows_it() -> None:
    with pytest.raises(StepJudgedWorse) as raised:
        judged(new=(60, 30), old=(540, 1))
    message = str(raised.value)
    assert "worse at look 1 (10s)" in message
    assert "new 30 errors in 60 invocations, old 1 in 540" in message
    assert "above max_error_rate_increase 0.01" in message


def test_while_the_watch_lasts_the_judge_looks_again_whatever_it_saw() -> None:
    first = judged(new=(5, 0), old=(45, 0))
    assert (first.verdict, first.watch_seconds, first.held_seconds) == ("hold", 10, 0)
    assert first.judge is not None and first.judge.verdict == "lacking"
    assert first.judge.watched_seconds == 10
    second = judged(new=(3000, 0), old=(27000, 3), **first.model_dump(exclude={"last"}))
    assert second.verdict == "hold" and second.judge is not None
    assert (second.judge.look, second.judge.verdict) == (2, "not_worse")


def test_at_the_end_of_the_watch_not_worse_passes_the_step() -> None:
    step = judged(
        new=(3000, 2),
        old=(27000, 20),
        judge={"look": 5, "watched_seconds": 50, **_look()},
    )
    assert step.verdict == "pass" and step.judge is not None
    assert (step.judge.look, step.judge.watched_seconds) == (6, 60)


def test_at_the_end_of_the_watch_lacking_evidence_holds_then_fails() -> None:
    end = {"judge": {"look": 5, "watched_seconds": 50, **_look()}}
    held = judged(new=(30, 0), old=(270, 0), **end)
    assert (held.verdict, held.held_seconds, held.watch_seconds) == ("hold", 10, 10)
    raw = {**CANARY, "on_low_traffic": "fail"}
    with pytest.raises(LowTraffic, match="still lacks the evidence"):
        check_step(
            watched(raw, watch_seconds=10, **end),
            metrics=VariantCounts({GREEN: (30, 0), BLUE: (270, 0)}),
            clock=lambda: 1060.0,
        )


def test_the_all_traffic_step_has_no_old_variant_to_judge_against() -> None:
    step = check_step(
        watched(CANARY, index=1, percent=100.0, weights={GREEN: 1.0, BLUE: 0.0}, last=True),
        metrics=VariantCounts({}),
    )
    assert step.verdict == "pass" and step.judge is None


def test_look_seconds_beyond_the_steps_watch_is_refused() -> None:
    raw = '{"endpoint_name": "e", "strategy": {"type": "canary", "percent": 10, '
    raw += '"bake_seconds": 30, "judge": {"look_seconds": 31}}}'
    with pytest.raises(InvalidPolicy, match=r"judge\.look_seconds"):
        parse_policy(raw, source="t")


@pytest.mark.parametrize(
    ("new", "old", "verdict"),
    [
        ((200, 100), (1800, 9), "worse"),
        ((5000, 5), (45000, 40), "not_worse"),
        ((50, 1), (450, 2), "lacking"),
        ((0, 0), (0, 0), "lacking"),
    ],
)
def test_judge_verdicts(new: tuple[float, float], old: tuple[float, float], verdict: str) -> None:
    look = judge_step(StepJudge(), new=new, old=old, look=1, watched_seconds=60)
    assert look.verdict == verdict
    low, high = look.confidence_sequence
    assert low <= look.error_rate_increase <= high


def test_the_judge_keeps_alpha_when_watched_at_every_look() -> None:
    """1,000 steps where the new variant is exactly as good (1% errors), each looked at 30
    times: the judge calls it worse in at most alpha of them."""
    import numpy as np

    rng = np.random.default_rng(7)
    judge = StepJudge(max_error_rate_increase=0.0)
    steps, looks, per_look_new, per_look_old = 1000, 30, 50, 450
    new = rng.binomial(per_look_new, 0.01, (steps, looks)).cumsum(axis=1)
    old = rng.binomial(per_look_old, 0.01, (steps, looks)).cumsum(axis=1)
    failed = 0
    for k in range(steps):
        for look in range(looks):
            n_new, n_old = per_look_new * (look + 1), per_look_old * (look + 1)
            seen = judge_step(
                judge,
                new=(n_new, float(new[k, look])),
                old=(n_old, float(old[k, look])),
                look=look + 1,
                watched_seconds=look + 1,
            )
            if seen.verdict == "worse":
                failed += 1
                break
    assert failed / steps <= judge.alpha


def _look() -> dict[str, Any]:
    return {
        "new_invocations": 0,
        "new_errors": 0,
        "old_invocations": 0,
        "old_errors": 0,
        "error_rate_increase": 0.0,
        "confidence_sequence": [-1.0, 1.0],
        "verdict": "lacking",
    }
