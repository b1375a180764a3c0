"""Modes behind one interface: every policy mode has its module, the steps ask it."""

from __future__ import annotations

import typing

import pytest

from model_rollout.domain.policy import Policy
from model_rollout.modes import MODULES, REAL_TIME, Mode, mode_of

MODE_NAMES = typing.get_args(Policy.model_fields["mode"].annotation)


def test_every_policy_mode_has_a_module_and_nothing_else_has_one() -> None:
    assert set(MODULES) == set(MODE_NAMES)


@pytest.mark.parametrize("name", MODE_NAMES)
def test_mode_of_answers_the_mode_the_policy_names(name: str) -> None:
    extra: dict[str, object] = {}
    if name == "multi_model":
        extra["multi_model"] = {"model_name": "m", "smoke_test_body": "{}"}
    policy = Policy.model_validate({"endpoint_name": "ep", "mode": name, **extra})
    mode = mode_of(policy)
    assert isinstance(mode, Mode)
    assert mode.name == name
    assert (mode is REAL_TIME) == (name == "real_time")


def test_real_time_hooks_answer_as_real_time() -> None:
    policy = Policy(endpoint_name="ep")
    mode = mode_of(policy)
    assert mode.endpoint_config(policy) is None
    assert mode.created_endpoint_tags(None) == {}  # type: ignore[arg-type]


def test_async_mode_adds_the_async_inference_config_to_endpoint_configs() -> None:
    policy = Policy.model_validate({"endpoint_name": "ep", "mode": "async"})
    extra = mode_of(policy).endpoint_config(policy)
    assert extra is not None and extra["OutputConfig"]["S3OutputPath"].endswith("/ep")
