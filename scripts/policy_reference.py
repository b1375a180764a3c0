"""The policy reference (docs/policy.md), rendered from the policy's pydantic models.

`make docs` (or `python scripts/policy_reference.py`) rewrites the part of docs/policy.md
between the `policy-reference:start` / `policy-reference:end` markers; the prose around them
is kept. `--check` exits 1 when the committed part differs (tests/unit/test_docs.py checks
the same). Everything comes from `Policy.model_json_schema()`: each model's fields with their
type, default, constraints and description, the strategies by their `type`, and an example
policy that the models validate.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from pydantic.json_schema import GenerateJsonSchema
from pydantic_core import core_schema

# The one place that names where the policy's models live.
from model_rollout.domain.policy import Policy

ROOT = Path(__file__).resolve().parent.parent


DOC = ROOT / "docs" / "policy.md"
START = "<!-- policy-reference:start -->"
END = "<!-- policy-reference:end -->"
COMMAND = "make docs"

# A policy that uses most sections; the generator validates it, so it cannot go stale.
EXAMPLE: dict[str, Any] = {
    "endpoint_name": "churn-prod",
    "instance_type": "ml.m5.large",
    "instance_count": 1,
    "strategy": {"type": "canary", "steps": [10, 50], "bake_seconds": 600,
                 "min_invocations": 100, "on_low_traffic": "hold", "max_hold_seconds": 1800},
    "alarms": {"max_error_rate": 0.01, "max_p99_latency_ms": 500, "period_seconds": 60,
               "evaluation_periods": 1, "extra_alarm_names": []},
    "validation": {"metric": "accuracy", "greater_is_better": True, "min_value": 0.80,
                   "max_regression": 0.02},
    "required_metadata": ["git_commit", "data_version", "build_id"],
    "require_approval": {"timeout_seconds": 3600},
    "autoscaling": {"min_capacity": 1, "max_capacity": 4,
                    "target_invocations_per_instance": 100},
}  # fmt: skip


class _FactoryDefaults(GenerateJsonSchema):
    """pydantic leaves a ``default_factory``'s value out of the schema; the reference shows it."""

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> Any:
        factory = schema.get("default_factory")
        if factory is not None and not schema.get("default_factory_takes_data"):
            schema = {**schema, "default": factory()}  # type: ignore[call-arg]
            schema.pop("default_factory")
        return super().default_schema(schema)


def policy_schema() -> dict[str, Any]:
    return Policy.model_json_schema(schema_generator=_FactoryDefaults)


def _name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _link(name: str) -> str:
    return f"[{name}](#{name.lower()})"


def _type(prop: dict[str, Any]) -> str:
    if "$ref" in prop:
        return _link(_name(prop["$ref"]))
    if "const" in prop:
        return f"`{json.dumps(prop['const'])}`"
    if "enum" in prop:
        return " \\| ".join(f"`{json.dumps(v)}`" for v in prop["enum"])
    if "oneOf" in prop:
        kinds = " \\| ".join(_type(option) for option in prop["oneOf"])
        key = prop.get("discriminator", {}).get("propertyName")
        return f"one of {kinds}, by `{key}`" if key else kinds
    if "anyOf" in prop:
        options = [o for o in prop["anyOf"] if o.get("type") != "null"]
        nullable = len(options) < len(prop["anyOf"])
        shown = " \\| ".join(_type(option) for option in options)
        return f"{shown} \\| null" if nullable else shown
    kind = prop.get("type")
    if kind == "array":
        return f"list of {_type(prop.get('items', {}))}"
    if kind == "object" and isinstance(prop.get("additionalProperties"), dict):
        return f"map of string to {_type(prop['additionalProperties'])}"
    return {"integer": "integer", "number": "number", "string": "string", "boolean": "boolean"}.get(
        str(kind), str(kind or "any")
    )


_BOUNDS = {
    "minimum": "≥ {}",
    "exclusiveMinimum": "> {}",
    "maximum": "≤ {}",
    "exclusiveMaximum": "< {}",
    "minLength": "length ≥ {}",
    "maxLength": "length ≤ {}",
    "minItems": "items ≥ {}",
    "maxItems": "items ≤ {}",
}


def _constraints(prop: dict[str, Any]) -> str:
    found: list[str] = []
    for part in [prop, *prop.get("anyOf", []), prop.get("items", {})]:
        for key, shown in _BOUNDS.items():
            if key in part:
                found.append(shown.format(part[key]))
        if "pattern" in part:
            found.append(f"pattern `{part['pattern']}`")
    return ", ".join(found)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _description(text: str) -> str:
    """A docstring as Markdown: reST's ``code`` as `code`, its lines joined."""
    return " ".join(text.replace("``", "`").split())


def _model(name: str, schema: dict[str, Any], level: str) -> list[str]:
    lines = [f"{level} {name}", ""]
    if schema.get("description"):
        lines += [_description(schema["description"]), ""]
    required = set(schema.get("required", []))
    lines += [
        "| field | type | default | constraints | description |",
        "| --- | --- | --- | --- | --- |",
    ]
    for field, prop in schema["properties"].items():
        default = "required" if field in required else f"`{json.dumps(prop.get('default'))}`"
        lines.append(
            f"| `{field}` | {_type(prop)} | {_cell(default)} | {_cell(_constraints(prop))} "
            f"| {_cell(_description(prop.get('description', '')))} |"
        )
    return [*lines, ""]


def render() -> str:
    """The generated part of docs/policy.md, markers excluded."""
    schema = policy_schema()
    defs: dict[str, Any] = schema.get("$defs", {})
    strategies = [_name(o["$ref"]) for o in schema["properties"]["strategy"]["oneOf"]]
    lines = [
        f"<!-- generated by `{COMMAND}` from the policy's pydantic models: do not edit -->",
        "",
        "Unknown fields are an error at every level (`additionalProperties: false`).",
        "",
    ]
    lines += _model("Policy", schema, "###")
    lines += ["### Strategies", ""]
    lines += [
        "`strategy` is one of these, chosen by its `type`; "
        + ", ".join(f"`{defs[n]['properties']['type']['const']}`: {_link(n)}" for n in strategies)
        + ".",
        "",
    ]
    for name in strategies:
        lines += _model(name, defs[name], "####")
    lines += ["### Sections", ""]
    for name in sorted(set(defs) - set(strategies)):
        lines += _model(name, defs[name], "####")
    Policy.model_validate(EXAMPLE)
    lines += [
        "### Example",
        "",
        "A canary policy with an approval step and autoscaling:",
        "",
        "```json",
        json.dumps(EXAMPLE, indent=2),
        "```",
        "",
        'The smallest valid policy, `{"endpoint_name": "churn-prod"}`, means in full:',
        "",
        "```json",
        json.dumps(Policy(endpoint_name="churn-prod").model_dump(mode="json"), indent=2),
        "```",
    ]
    return "\n".join(lines) + "\n"


_MARKED = re.compile(re.escape(START) + r"\n(.*?)" + re.escape(END), re.S)


def committed(text: str) -> str | None:
    """The generated part of a docs/policy.md text, or None without both markers."""
    found = _MARKED.search(text)
    return found.group(1) if found else None


def main(argv: list[str]) -> int:
    text = DOC.read_text()
    if committed(text) is None:
        print(f"{DOC.relative_to(ROOT)}: no {START} ... {END} markers", file=sys.stderr)
        return 1
    generated = render()
    if "--check" in argv:
        if committed(text) != generated:
            print(f"{DOC.relative_to(ROOT)} is stale: run `{COMMAND}`", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(_MARKED.sub(lambda _: f"{START}\n{generated}{END}", text))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
