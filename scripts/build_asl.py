"""Build each ``statemachines/<name>.asl.json`` from its compact source
``statemachines/src/<name>.yaml``.

Step Functions JSON has no references, so a definition repeats its ``Retry`` and ``Catch``
blocks at every task. The source writes states exactly as they are in ASL, except that a
state's ``Retry`` or ``Catch`` may name classes defined once at the top of the file::

    retry:                      # name -> one ASL retrier
      lambda-transient: {ErrorEquals: [...], IntervalSeconds: 1, MaxAttempts: 5, ...}
    catch:                      # name -> one ASL catcher
      rollback: {ErrorEquals: [States.ALL], ResultPath: $.failure, Next: Rollback}
    definition:                 # the state machine, as in ASL
      StartAt: ...
      States:
        Deploy:
          Type: Task
          Retry: lambda-transient                  # one class
          Catch: [endpoint-conflict, rollback]     # classes in order (first match wins)
        Watch:
          Catch:
            - {ErrorEquals: [States.Timeout], ResultPath: $.bake, Next: Promote}  # inline
            - rollback

A ``Retry``/``Catch`` value is a class name, or a list whose items are class names or inline
ASL retriers/catchers; the build expands them in place and keeps every other key, in its
order. An unknown or an unused class is an error. The ``.asl.json`` files stay checked in
(``DefinitionUri`` and the local stack load them as they are);
``tests/unit/test_asl_build.py`` fails when one differs from what its source builds.

    python scripts/build_asl.py            # (make asl) rewrite every .asl.json
    python scripts/build_asl.py --check    # exit 1, naming the stale files
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
STATEMACHINES = ROOT / "statemachines"
SOURCES = STATEMACHINES / "src"
REGENERATE = "make asl"  # (python scripts/build_asl.py)


class SourceError(ValueError):
    """A compact source that does not build (unknown or unused class, bad shape)."""


def target_of(source: Path) -> Path:
    return source.parent.parent / f"{source.stem}.asl.json"


def sources() -> list[Path]:
    return sorted(SOURCES.glob("*.yaml"))


def _states(definition: dict[str, Any], where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every state, with its path, including Parallel branches and Map iterators."""
    for name, state in (definition.get("States") or {}).items():
        path = f"{where}{name}"
        yield path, state
        for i, branch in enumerate(state.get("Branches") or []):
            yield from _states(branch, f"{path}.Branches[{i}].")
        for key in ("ItemProcessor", "Iterator"):
            if isinstance(state.get(key), dict):
                yield from _states(state[key], f"{path}.{key}.")


def _expand(
    value: Any, classes: dict[str, Any], kind: str, state: str, used: set[str]
) -> list[Any]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        raise SourceError(f"{state}: {kind} must be a class name or a list, not {value!r}")
    expanded: list[Any] = []
    for item in items:
        if isinstance(item, dict):
            expanded.append(item)
        elif isinstance(item, str) and item in classes:
            used.add(item)
            expanded.append(classes[item])
        else:
            known = ", ".join(sorted(classes)) or "none"
            raise SourceError(f"{state}: unknown {kind} class {item!r} (defined: {known})")
    return expanded


def build(source: Path) -> str:
    """The ``.asl.json`` text that ``source`` gives (2-space JSON, ASCII, final newline)."""
    document = yaml.safe_load(source.read_text(encoding="utf-8"))
    if not isinstance(document, dict) or not isinstance(document.get("definition"), dict):
        raise SourceError(f"{source.name}: needs a 'definition' mapping (the state machine)")
    unknown = set(document) - {"retry", "catch", "definition"}
    if unknown:
        raise SourceError(f"{source.name}: unknown top-level keys {sorted(unknown)}")
    classes = {"Retry": document.get("retry") or {}, "Catch": document.get("catch") or {}}
    used: dict[str, set[str]] = {"Retry": set(), "Catch": set()}
    definition = document["definition"]
    for path, state in _states(definition, ""):
        for kind in ("Retry", "Catch"):
            if kind in state:
                state[kind] = _expand(state[kind], classes[kind], kind, path, used[kind])
    for kind, section in (("Retry", "retry"), ("Catch", "catch")):
        unused = sorted(set(classes[kind]) - used[kind])
        if unused:
            raise SourceError(f"{source.name}: {section} classes used by no state: {unused}")
    return json.dumps(definition, indent=2) + "\n"


def stale() -> list[Path]:
    """The checked-in ``.asl.json`` files that differ from what their sources build."""
    out = []
    for source in sources():
        target = target_of(source)
        if not target.exists() or target.read_text(encoding="utf-8") != build(source):
            out.append(target)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if a file is stale"
    )
    args = parser.parse_args(argv)
    if args.check:
        outdated = stale()
        for target in outdated:
            print(f"{target.relative_to(ROOT)} is out of date: run `{REGENERATE}`")
        return 1 if outdated else 0
    for source in sources():
        target = target_of(source)
        text = build(source)
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
            print(f"wrote {target.relative_to(ROOT)}")
        else:
            print(f"{target.relative_to(ROOT)} is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
