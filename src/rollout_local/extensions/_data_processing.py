"""Batch transform ``DataProcessing``: input filter, join with the input, output filter.

After the SageMaker developer guide, "Associate Prediction Results with Input Records"
(batch-transform-data-processing) and the ``DataProcessing`` API reference:

- A CSV record is treated as a JSON array of its fields (strings); a JSON record is the
  parsed JSON value of its line.
- ``InputFilter`` selects the part of each record passed to the model (default ``$``).
- ``JoinSource=Input`` joins the *original* (unfiltered) record with the inference: for CSV,
  the transformed row is appended to the end of the input row; for a JSON object, the
  inference is added under the key ``SageMakerOutput``; for any other JSON value, a new
  object ``{"SageMakerInput": <input>, "SageMakerOutput": <inference>}`` is made.
- ``OutputFilter`` selects the part of the joined record written to the output (default
  ``$``). An index outside the record is an error, as the API reference says.

The JSONPath subset is the one the guide lists as supported: ``$``, ``.<name>``,
``['<name>', ...]``, ``[<index>]`` (negative counts from the end), ``[<i>,<j>,...]``,
``[<start>:<end>]`` and unions of indexes and slices such as ``[0,5:]``, ``[*]`` and ``.*``.
Filters that select several items give an array (or, for names, an object with those keys).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


class FilterError(ValueError):
    """A JSONPath filter cannot be parsed or does not apply to a record."""


@dataclass(frozen=True)
class _Step:
    kind: str  # "name", "names", "indexes", "all"
    names: tuple[str, ...] = ()
    # (start, stop) slices; an index i is (i, None) with single=True
    parts: tuple[tuple[int | None, int | None, bool], ...] = ()


_NAME = re.compile(r"\.([A-Za-z_][\w-]*|\*)")
_BRACKET = re.compile(r"\[([^\]]*)\]")


def _parse_bracket(body: str, path: str) -> _Step:
    body = body.strip()
    if body == "*":
        return _Step("all")
    if body.startswith(("'", '"')):
        names = []
        for item in body.split(","):
            item = item.strip()
            if len(item) < 2 or item[0] not in "'\"" or item[-1] != item[0]:
                raise FilterError(f"JSONPath {path!r}: bad name {item!r}")
            names.append(item[1:-1])
        return _Step("names", names=tuple(names))
    parts: list[tuple[int | None, int | None, bool]] = []
    for item in body.split(","):
        item = item.strip()
        try:
            if ":" in item:
                start, _, stop = item.partition(":")
                parts.append(
                    (
                        int(start) if start.strip() else None,
                        int(stop) if stop.strip() else None,
                        False,
                    )
                )
            else:
                parts.append((int(item), None, True))
        except ValueError:
            raise FilterError(f"JSONPath {path!r}: bad index {item!r}") from None
    return _Step("indexes", parts=tuple(parts))


def parse_path(path: str | None) -> tuple[_Step, ...]:
    """Parse a supported JSONPath expression (``None`` or empty means ``$``)."""
    text = (path or "$").strip()
    if not text.startswith("$"):
        raise FilterError(f"JSONPath {path!r} must start with '$'")
    steps: list[_Step] = []
    position = 1
    while position < len(text):
        name = _NAME.match(text, position)
        if name:
            token = name.group(1)
            steps.append(_Step("all") if token == "*" else _Step("name", names=(token,)))
            position = name.end()
            continue
        bracket = _BRACKET.match(text, position)
        if bracket:
            steps.append(_parse_bracket(bracket.group(1), text))
            position = bracket.end()
            continue
        raise FilterError(f"JSONPath {path!r}: unsupported syntax at {text[position:]!r}")
    return tuple(steps)


def _select(value: Any, step: _Step, path: str) -> Any:
    if step.kind == "name":
        key = step.names[0]
        if not isinstance(value, dict) or key not in value:
            raise FilterError(f"JSONPath {path!r}: no attribute {key!r} in the record")
        return value[key]
    if step.kind == "names":
        if not isinstance(value, dict):
            raise FilterError(f"JSONPath {path!r}: the record is not a JSON object")
        missing = [n for n in step.names if n not in value]
        if missing:
            raise FilterError(f"JSONPath {path!r}: no attribute {missing[0]!r} in the record")
        if len(step.names) == 1:
            return value[step.names[0]]
        return {n: value[n] for n in step.names}
    if step.kind == "all":
        if isinstance(value, dict):
            return list(value.values())
        if isinstance(value, list):
            return list(value)
        raise FilterError(f"JSONPath {path!r}: '*' applies to arrays and objects only")
    if not isinstance(value, list):
        raise FilterError(f"JSONPath {path!r}: the record is not an array")
    size = len(value)
    if len(step.parts) == 1 and step.parts[0][2]:
        index = step.parts[0][0]
        assert index is not None
        if not -size <= index < size:
            raise FilterError(
                f"JSONPath {path!r}: index {index} is outside a record of {size} items"
            )
        return value[index]
    selected: list[Any] = []
    for start, stop, single in step.parts:
        if single:
            assert start is not None
            if not -size <= start < size:
                raise FilterError(
                    f"JSONPath {path!r}: index {start} is outside a record of {size} items"
                )
            selected.append(value[start])
        else:
            selected.extend(value[start:stop])
    return selected


def apply_path(value: Any, path: str | None, steps: tuple[_Step, ...] | None = None) -> Any:
    """The part of ``value`` that ``path`` selects (``$`` selects all of it)."""
    for step in steps if steps is not None else parse_path(path):
        value = _select(value, step, path or "$")
    return value


def join_with_input(record: Any, inference: Any, *, csv: bool) -> Any:
    """``JoinSource=Input``: the original record joined with its inference."""
    if csv:
        extra = inference if isinstance(inference, list) else [inference]
        return [*record, *extra]
    if isinstance(record, dict):
        return {**record, "SageMakerOutput": inference}
    return {"SageMakerInput": record, "SageMakerOutput": inference}
