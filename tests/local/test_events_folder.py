"""events/ holds a real-shaped input for every function of the template, and each
function takes its event as it is: an answer, or a named domain error, never a crash on
the input's shape."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from model_rollout import errors
from rollout_local.template import function_logical_ids, load_template

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"
DOMAIN_ERRORS = {
    name
    for name, value in vars(errors).items()
    if isinstance(value, type) and issubclass(value, errors.RolloutError)
}
TRIGGERED_BY_EVENTS = {
    "EndpointEventFunction": "endpoint-state-change.in-service.json",
    "AlarmEventFunction": "alarm-state-change.alarm.json",
}


def template_functions() -> list[str]:
    return sorted(function_logical_ids(load_template(ROOT / "template.yaml")))


def event_file(function: str) -> Path:
    return EVENTS / TRIGGERED_BY_EVENTS.get(function, f"{function}.json")


def test_every_function_has_an_event() -> None:
    missing = [f for f in template_functions() if not event_file(f).is_file()]
    assert missing == [], f"no event in events/ for {missing}"


@pytest.mark.parametrize("function", template_functions())
def test_function_takes_its_event(local_stack: Any, function: str) -> None:
    payload = event_file(function).read_bytes()
    answer = local_stack.client("lambda").invoke(
        FunctionName=local_stack.resources[function], Payload=payload
    )
    body = json.loads(answer["Payload"].read())
    if "FunctionError" in answer:
        assert body["errorType"] in DOMAIN_ERRORS, body
