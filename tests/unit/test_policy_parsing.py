"""Policy documents and strategy overrides: strict, every problem named."""

from __future__ import annotations

import json

import pytest
from tests.helpers.documents import policy_document

from model_rollout.domain.policy import parse_policy, parse_strategy_override
from model_rollout.errors import InvalidPolicy

SOURCE = "/model-rollout/policies/churn"


def test_the_design_example_parses() -> None:
    policy = parse_policy(json.dumps(policy_document()), source=SOURCE)
    assert policy.endpoint_name == "churn-prod"
    assert policy.strategy.bake_seconds == 600
    assert policy.validation.min_value == 0.8
    assert policy.allow_strategy_override is False


def test_defaults_fill_a_minimal_policy() -> None:
    policy = parse_policy('{"endpoint_name": "e1"}', source=SOURCE)
    assert policy.required_metadata == ["git_commit", "data_version", "build_id"]
    assert policy.instance_count == 1


@pytest.mark.parametrize(
    ("document", "fragment"),
    [
        ({**policy_document(), "bake": 5}, "bake"),
        (policy_document(validation={"metric": "accuracy", "min_valu": 0.8}), "min_valu"),
        (policy_document(alarms={"max_error_rate": 2}), "max_error_rate"),
        (policy_document(instance_count=0), "instance_count"),
        (policy_document(endpoint_name="bad_name!"), "endpoint_name"),
        (policy_document(strategy={"type": "teleport"}), "strategy"),
        (policy_document(validation={"max_regression": -0.1}), "max_regression"),
    ],
)
def test_bad_policies_are_named(document: dict, fragment: str) -> None:
    with pytest.raises(InvalidPolicy) as caught:
        parse_policy(json.dumps(document), source=SOURCE)
    assert SOURCE in str(caught.value) and fragment in str(caught.value)


def test_not_json() -> None:
    with pytest.raises(InvalidPolicy, match=SOURCE):
        parse_policy("{endpoint_name: churn", source=SOURCE)


def test_missing_endpoint_name() -> None:
    with pytest.raises(InvalidPolicy, match="endpoint_name"):
        parse_policy("{}", source=SOURCE)


def test_strategy_override_parses() -> None:
    strategy = parse_strategy_override('{"type": "all_at_once", "bake_seconds": 30}', source="p")
    assert strategy.bake_seconds == 30


@pytest.mark.parametrize(
    "raw", ["not json", '{"type": "all_at_once", "bake_seconds": 0}', '{"type": "x"}', "[]"]
)
def test_bad_strategy_override(raw: str) -> None:
    with pytest.raises(InvalidPolicy, match="strategy override in pkg"):
        parse_strategy_override(raw, source="pkg")
