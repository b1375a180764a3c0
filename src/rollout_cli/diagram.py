"""A Mermaid state diagram of a state machine, generated from its ASL file.

``rollout diagram statemachines/<name>.asl.json`` writes ``docs/statemachines/<name>.md``;
``make diagrams`` regenerates every one, and a test fails when a committed diagram differs
from what its ASL file gives now. Edges: ``Next`` (plain), ``Choice`` rules (labelled with
their condition) and ``Default``, ``Catch`` (labelled with the error names), ``End``/``Succeed``
/``Fail`` to the final state. Parallel branches and Map iterators become composite states.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "statemachines"
_CONDITION_KEYS = ("StringEquals", "NumericEquals", "BooleanEquals", "IsPresent", "IsNull")


def diagram_name(asl_path: Path) -> str:
    return asl_path.name.removesuffix(".json").removesuffix(".asl")


def _id(prefix: str, name: str) -> str:
    return prefix + re.sub(r"[^A-Za-z0-9_]", "_", name)


def _label(text: str) -> str:
    """Text Mermaid takes as a label: no quotes, semicolons or braces."""
    return re.sub(r"[\"{};]", "'", text)


def condition(rule: dict[str, Any]) -> str:
    if "Condition" in rule:  # JSONata
        return str(rule["Condition"])
    for combinator in ("And", "Or"):
        if combinator in rule:
            return f" {combinator.lower()} ".join(condition(r) for r in rule[combinator])
    if "Not" in rule:
        return f"not ({condition(rule['Not'])})"
    variable = str(rule.get("Variable", "")).removeprefix("$.")
    for key, value in rule.items():
        if key in ("Variable", "Next"):
            continue
        op = key.removesuffix("Path")
        if op in _CONDITION_KEYS and op.endswith("Equals"):
            return f"{variable} == {value}"
        return f"{variable} {op} {value}"
    return variable or "?"


def _states(definition: dict[str, Any], prefix: str, lines: list[str], indent: str) -> None:
    states: dict[str, Any] = definition.get("States", {})
    lines.append(f"{indent}[*] --> {_id(prefix, definition['StartAt'])}")
    for name, state in states.items():
        node = _id(prefix, name)
        kind = state.get("Type", "?")
        if node != name or kind in ("Choice", "Succeed", "Fail"):
            shown = name if kind in ("Task", "Pass", "Wait") else f"{name} ({kind})"
            lines.append(f'{indent}state "{_label(shown)}" as {node}')
        if kind == "Choice":
            lines.append(f"{indent}state {node}_choice <<choice>>")
            lines.append(f"{indent}{node} --> {node}_choice")
        branches = state.get("Branches") or (
            [state.get("ItemProcessor") or state.get("Iterator")] if kind == "Map" else []
        )
        if branches:
            lines.append(f"{indent}state {node} {{")
            for index, branch in enumerate(branches):
                if index:
                    lines.append(f"{indent}    --")
                _states(branch, f"{node}_{index}_", lines, indent + "    ")
            lines.append(f"{indent}}}")
    for name, state in states.items():
        node = _id(prefix, name)
        kind = state.get("Type", "?")
        if "Next" in state:
            lines.append(f"{indent}{node} --> {_id(prefix, state['Next'])}")
        for rule in state.get("Choices", []):
            lines.append(
                f"{indent}{node}_choice --> {_id(prefix, rule['Next'])}: {_label(condition(rule))}"
            )
        if "Default" in state:
            lines.append(f"{indent}{node}_choice --> {_id(prefix, state['Default'])}: otherwise")
        for catch in state.get("Catch", []):
            errors = ", ".join(catch.get("ErrorEquals", []))
            lines.append(f"{indent}{node} --> {_id(prefix, catch['Next'])}: {_label(errors)}")
        if state.get("End") or kind in ("Succeed", "Fail"):
            error = state.get("Error") or state.get("ErrorPath")
            suffix = f": {_label(str(error))}" if kind == "Fail" and error else ""
            lines.append(f"{indent}{node} --> [*]{suffix}")


def mermaid(definition: dict[str, Any]) -> str:
    lines = ["stateDiagram-v2"]
    _states(definition, "", lines, "    ")
    return "\n".join(lines) + "\n"


def render(asl_path: Path) -> str:
    """The Markdown page of one state machine (deterministic: same ASL, same bytes)."""
    definition = json.loads(asl_path.read_text())
    try:
        source = asl_path.resolve().relative_to(ROOT)
    except ValueError:
        source = asl_path
    comments = [
        f"| `{name}` | {state.get('Type')} | {state.get('Comment', '').replace('|', '/')} |"
        for name, state in definition.get("States", {}).items()
    ]
    return (
        f"# State machine `{diagram_name(asl_path)}`\n\n"
        f"<!-- generated from {source} by `rollout diagram` (make diagrams); do not edit -->\n\n"
        f"{definition.get('Comment', '')}\n\n"
        "```mermaid\n"
        f"{mermaid(definition)}"
        "```\n\n"
        "| state | type | what it does |\n| --- | --- | --- |\n" + "\n".join(comments) + "\n"
    )


def write(asl_path: Path, out_dir: Path = DOCS) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{diagram_name(asl_path)}.md"
    target.write_text(render(asl_path))
    return target
