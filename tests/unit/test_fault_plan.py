"""The local stack's fault plan (rollout_local.faults): which invocation a fault hits."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rollout_local import faults


@pytest.fixture(autouse=True)
def clean_plan() -> Iterator[None]:
    faults.disarm()
    yield
    faults.disarm()


def test_a_fault_hits_its_function_by_logical_id_or_name_and_only_matching_payloads() -> None:
    fault = faults.arm("DeployFunction", "error", match="g7x")
    assert faults.take("model-rollout-PromoteFunction", '{"g": "g7x"}') is None
    assert faults.take("model-rollout-DeployFunction", '{"g": "g8x"}') is None
    assert faults.take("model-rollout-DeployFunction", '{"g": "g7x"}') is fault
    assert faults.take("model-rollout-DeployFunction", '{"g": "g7x"}') is None  # times=1
    assert fault.hits == 1


def test_skip_lets_the_first_invocations_of_a_shared_function_through() -> None:
    fault = faults.arm("AwaitEndpointFunction", "timeout", skip=2, times=2)
    hits = [faults.take("x-AwaitEndpointFunction", "{}") for _ in range(5)]
    assert hits == [None, None, fault, fault, None]


def test_every_matching_fault_counts_an_invocation_even_when_another_fires() -> None:
    first = faults.arm("F", "error", times=1)
    second = faults.arm("F", "throttle", skip=1, times=1)
    assert faults.take("F", "") is first
    assert faults.take("F", "") is second  # its skip of 1 was the invocation `first` took


def test_unknown_kinds_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        faults.arm("F", "explode")  # type: ignore[arg-type]
