"""Every error name the state machines use is defined in ``model_rollout.errors`` (or owned by
AWS), and every error defined there is used by a state machine or raised by the code."""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import model_rollout
from model_rollout import errors

ROOT = Path(__file__).resolve().parents[2]
ASL_FILES = sorted((ROOT / "statemachines").glob("*.asl.json"))


def _states(definition: dict[str, Any], where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    for name, state in (definition.get("States") or {}).items():
        yield f"{where}{name}", state
        for branch in state.get("Branches") or []:
            yield from _states(branch, f"{where}{name}/")
        for key in ("ItemProcessor", "Iterator"):
            if isinstance(state.get(key), dict):
                yield from _states(state[key], f"{where}{name}/")


def _rules(choices: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for rule in choices:
        yield rule
        yield from _rules(rule.get("And") or rule.get("Or") or [])
        if isinstance(rule.get("Not"), dict):
            yield from _rules([rule["Not"]])


def asl_error_names() -> dict[str, set[str]]:
    """Error name -> where the state machines use it (file:state (how))."""
    used: dict[str, set[str]] = {}

    def use(name: str, where: str) -> None:
        used.setdefault(name, set()).add(where)

    for path in ASL_FILES:
        for state_name, state in _states(json.loads(path.read_text(encoding="utf-8"))):
            where = f"{path.name}:{state_name}"
            for kind in ("Retry", "Catch"):
                for entry in state.get(kind) or []:
                    for name in entry["ErrorEquals"]:
                        use(name, f"{where} ({kind})")
            if state["Type"] == "Fail" and "Error" in state:
                use(state["Error"], f"{where} (Fail)")
            # an error the state machine sets itself (a Pass putting {Error, Cause} at $.failure)
            parameters = state.get("Parameters") if state["Type"] == "Pass" else None
            if isinstance(parameters, dict) and isinstance(parameters.get("Error"), str):
                use(parameters["Error"], f"{where} (Pass Error)")
            # a Choice on an error name ($.outcome.error, $.failure.Error)
            for rule in _rules(state.get("Choices") or []):
                variable = str(rule.get("Variable", ""))
                if variable.lower().endswith(".error") and "StringEquals" in rule:
                    use(rule["StringEquals"], f"{where} (Choice)")
    return used


def defined_error_names() -> set[str]:
    return {
        name
        for name, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, errors.RolloutError) and cls is not errors.RolloutError
    }


def python_sources() -> dict[Path, str]:
    """The code that may raise or report an error: model_rollout, the functions, src/."""
    package = Path(model_rollout.__file__).resolve().parent
    files = {
        p.resolve() for d in (package, ROOT / "functions", ROOT / "src") for p in d.rglob("*.py")
    }
    files.discard(Path(errors.__file__).resolve())
    return {p: p.read_text(encoding="utf-8") for p in sorted(files)}


def raised_or_reported(name: str, sources: dict[Path, str]) -> list[str]:
    """Where the code constructs the error (to raise it) or reports its name as an error
    (SendTaskFailure's ``error=``, an outcome's error)."""
    pattern = re.compile(rf"(?<![\w.]){name}\(|\b{name}\.__name__\b|\berror=[\"']{name}[\"']")
    return [str(p.relative_to(ROOT)) for p, text in sources.items() if pattern.search(text)]


def test_the_state_machines_use_error_names() -> None:
    used = asl_error_names()
    assert {"States.ALL", "Throttled", "RolledBack", "DuplicateDelivery"} <= set(used)


def test_every_error_name_in_the_asl_is_defined_in_errors_py() -> None:
    defined = defined_error_names()
    missing = {
        name: sorted(where)
        for name, where in asl_error_names().items()
        if name not in defined and not errors.is_aws_error_name(name)
    }
    assert not missing, (
        "error names the state machines use that model_rollout/errors.py does not define "
        "(add a RolloutError subclass of that name, or, if AWS owns the name, add it to "
        "errors.LAMBDA_ERROR_NAMES):\n"
        + "\n".join(f"  {name}: used by {', '.join(where)}" for name, where in missing.items())
    )


def test_no_error_class_shadows_an_aws_name() -> None:
    assert not {n for n in defined_error_names() if errors.is_aws_error_name(n)}


def test_every_error_defined_is_used_by_the_asl_or_raised() -> None:
    used, sources = asl_error_names(), python_sources()
    unused = sorted(
        name
        for name in defined_error_names()
        if name not in used and not raised_or_reported(name, sources)
    )
    assert not unused, (
        "errors.py defines error names that no state machine uses (ErrorEquals, Fail Error, "
        "a Pass's Error, a Choice on an error) and no code raises or reports "
        f'(Name(...), Name.__name__, error="Name"): {unused}. Remove them, or use them.'
    )
