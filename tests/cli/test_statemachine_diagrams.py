"""The committed Mermaid diagrams (docs/statemachines/) are what the ASL files give now.

When this fails, the ASL changed: run `make diagrams` and commit docs/statemachines/."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rollout_cli.diagram import DOCS, ROOT, diagram_name, mermaid, render

ASL_FILES = sorted((ROOT / "statemachines").glob("*.asl.json"))


@pytest.mark.parametrize("asl", ASL_FILES, ids=[p.name for p in ASL_FILES])
def test_committed_diagram_matches_its_asl(asl: Path) -> None:
    committed = DOCS / f"{diagram_name(asl)}.md"
    assert committed.exists(), f"{committed} is missing: run `make diagrams`"
    assert committed.read_text() == render(asl), (
        f"{committed} is out of date with {asl.name}: run `make diagrams`"
    )


@pytest.mark.parametrize("asl", ASL_FILES, ids=[p.name for p in ASL_FILES])
def test_every_state_and_transition_is_drawn(asl: Path) -> None:
    definition = json.loads(asl.read_text())
    drawn = mermaid(definition)
    for name, state in definition["States"].items():
        node = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
        if "Next" in state:
            assert f"{node} --> {state['Next']}" in drawn
        for catch in state.get("Catch", []):
            assert f"{node} --> {catch['Next']}: {', '.join(catch['ErrorEquals'])}" in drawn
        for rule in state.get("Choices", []):
            assert f"{node}_choice --> {rule['Next']}: " in drawn
        if state["Type"] in ("Succeed", "Fail") or state.get("End"):
            assert f"{node} --> [*]" in drawn
    assert f"[*] --> {definition['StartAt']}" in drawn


def test_a_changed_asl_gives_a_different_diagram() -> None:
    definition = {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Task", "Resource": "x", "Next": "B"},
            "B": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.ok", "BooleanEquals": True, "Next": "C"}],
                "Default": "D",
            },
            "C": {"Type": "Succeed"},
            "D": {"Type": "Fail", "Error": "Nope"},
        },
    }
    before = mermaid(definition)
    assert "B_choice --> C: ok == True" in before
    assert "B_choice --> D: otherwise" in before
    assert "D --> [*]: Nope" in before
    definition["States"]["A"]["Catch"] = [{"ErrorEquals": ["States.ALL"], "Next": "D"}]
    assert mermaid(definition) != before
    assert "A --> D: States.ALL" in mermaid(definition)
