"""Every ResultPath of the deploy-model state machine is a field of the deployment document.

The document forbids unknown fields, so a state writing a path the model does not know would
fail the next step that parses it; this finds such a path before any execution does. The
example documents round-trip through ``model_dump(mode="json")``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from tests.helpers import rollout_steps

from model_rollout.domain.deployment import (
    Deployment,
    EndpointSummary,
    MultiModelRelease,
    ShadowResult,
    ShadowWindow,
    StepFailure,
    TrafficStep,
)
from model_rollout.domain.expectation import summarize

ROOT = Path(__file__).resolve().parents[2]
DEPLOY_MODEL = ROOT / "statemachines" / "deploy_model.asl.json"
EVENTS = ROOT / "events"

# States whose input is not the document: the branches of FixedSetTransforms (each gets a
# copy; its Pass state replaces the branch's output with the run's summary) write here.
NOT_THE_DOCUMENT = {"run_failure"}


def _states(states: dict[str, Any], *, in_branch: bool = False) -> Iterator[tuple[str, Any, bool]]:
    for name, state in states.items():
        yield name, state, in_branch
        for branch in state.get("Branches", []):
            yield from _states(branch["States"], in_branch=True)
        for key in ("Iterator", "ItemProcessor"):
            if key in state:
                yield from _states(state[key]["States"], in_branch=True)


def _result_paths() -> list[tuple[str, str, bool]]:
    definition = json.loads(DEPLOY_MODEL.read_text())
    paths = []
    for name, state, in_branch in _states(definition["States"]):
        if "ResultPath" in state:
            paths.append((name, state["ResultPath"], in_branch))
        for catch in state.get("Catch", []):
            if "ResultPath" in catch:
                paths.append(
                    (f"{name} (Catch {catch['ErrorEquals']})", catch["ResultPath"], in_branch)
                )
    return paths


def _top_level_key(path: str) -> str | None:
    if path in ("$", None):
        return None
    assert path.startswith("$."), path
    return path[2:].split(".")[0].split("[")[0]


def test_every_result_path_is_a_field_of_the_document() -> None:
    paths = _result_paths()
    assert len(paths) > 40  # the definition was read
    fields = set(Deployment.model_fields)
    unknown = []
    for state, path, in_branch in paths:
        key = _top_level_key(path)
        if key is None or key in fields:
            continue
        if in_branch and key in NOT_THE_DOCUMENT:
            continue
        unknown.append(f"{state}: {path}")
    assert unknown == [], f"ResultPaths that are not fields of Deployment: {unknown}"


def test_an_unknown_part_fails_loudly(deployment_document: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="extra_forbidden"):
        Deployment.model_validate({**deployment_document, "surprise": {"x": 1}})
    with pytest.raises(ValidationError, match="extra_forbidden"):
        Deployment.model_validate(
            {**deployment_document, "failure": {"Error": "X", "Cause": "y", "more": 1}}
        )


@pytest.fixture
def deployment_document() -> dict[str, Any]:
    return rollout_steps.deployment_document()


def _example_documents() -> list[Path]:
    found = []
    for path in sorted(EVENTS.glob("*.json")):
        raw = json.loads(path.read_text())
        if isinstance(raw, dict) and {"deployment_id", "policy", "limits"} <= raw.keys():
            found.append(path)
    return found


@pytest.mark.parametrize("path", _example_documents(), ids=lambda p: p.name)
def test_the_example_documents_round_trip(path: Path) -> None:
    document = Deployment.model_validate_json(path.read_text())
    dumped = document.model_dump(mode="json")
    again = Deployment.model_validate(json.loads(json.dumps(dumped)))
    assert again == document
    assert again.model_dump(mode="json") == dumped


def test_a_catch_failure_is_error_and_cause() -> None:
    assert StepFailure.model_validate({"Error": "States.Timeout", "Cause": None}).Error


def test_derived_values_are_dumped_and_checked_when_read_back() -> None:
    step = TrafficStep.model_validate(
        {
            "index": 1,
            "count": 2,
            "percent": 100.0,
            "weights": {"green": 1.0},
            "expect": {"weights": {"green": 1.0}},
            "bake_seconds": 5,
            "watch_seconds": 5,
            "started_at": 1.0,
        }
    )
    dumped = step.model_dump(mode="json")
    assert dumped["last"] is True  # the Choice reads $.step.last
    assert TrafficStep.model_validate(dumped) == step
    with pytest.raises(ValidationError, match="last is derived"):
        TrafficStep.model_validate({**dumped, "last": False})

    version = MultiModelRelease(
        model_name="churn", artifact_prefix="s3://b/mm/", target_model="churn-v7.tar.gz"
    )
    assert version.model_dump()["artifact_uri"] == "s3://b/mm/churn-v7.tar.gz"
    assert version.pointer_tag == "rollout:mme-target:churn"

    gone = EndpointSummary.model_validate(summarize(None))
    assert gone.exists is False and gone.model_dump(mode="json")["exists"] is False


def test_the_shadow_part_is_its_window_then_its_result() -> None:
    window = {"started_at": "2026-01-01T00:00:00.000Z"}
    assert isinstance(ShadowWindow.model_validate(window), ShadowWindow)
    result = {
        **window,
        "ended_at": "2026-01-01T00:10:00.000Z",
        "verdict": "rejected",
        "cause": "c",
        "then": None,
        "pairs": 3,
        "checks": [{"name": "min_agreement", "value": 0.5, "threshold": 0.9, "passed": False}],
        "report_url": None,
        "summary_url": None,
    }
    assert ShadowResult.model_validate(result).verdict == "rejected"
    with pytest.raises(ValidationError, match="verdict is derived"):
        ShadowResult.model_validate({**result, "verdict": "accepted"})
