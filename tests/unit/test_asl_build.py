"""The checked-in ``statemachines/*.asl.json`` are what their compact sources build
(``scripts/build_asl.py``), and the builder refuses sources it cannot build faithfully."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scripts.build_asl import REGENERATE, SourceError, build, sources, target_of

ROOT = Path(__file__).resolve().parents[2]


def test_every_state_machine_has_a_source() -> None:
    built = {target_of(s).name for s in sources()}
    assert built == {p.name for p in (ROOT / "statemachines").glob("*.asl.json")}


@pytest.mark.parametrize("source", sources(), ids=lambda p: p.name)
def test_checked_in_asl_is_what_its_source_builds(source: Path) -> None:
    target = target_of(source)
    rel = target.relative_to(ROOT)
    checked_in = target.read_text(encoding="utf-8")
    built = build(source)
    assert json.loads(checked_in) == json.loads(built), (
        f"{rel} differs from what {source.relative_to(ROOT)} builds: edit the source, "
        f"then run `{REGENERATE}` (python scripts/build_asl.py) and commit both"
    )
    assert checked_in == built, f"{rel} is formatted differently: run `{REGENERATE}`"


def _source(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "src" / "machine.yaml"
    path.parent.mkdir()
    path.write_text(text, encoding="utf-8")
    return path


SOURCE = """
retry:
  transient: {ErrorEquals: [Lambda.ServiceException], IntervalSeconds: 1, MaxAttempts: 2}
catch:
  to-end: {ErrorEquals: [States.ALL], ResultPath: $.failure, Next: End}
definition:
  StartAt: Work
  States:
    Work:
      Type: Task
      Resource: ${Fn}
      Retry: transient
      Catch: [{ErrorEquals: [Oops], Next: End}, to-end]
      Next: Fan
    Fan:
      Type: Parallel
      Branches:
        - StartAt: Inner
          States:
            Inner: {Type: Task, Resource: "${Fn}", Retry: [transient], End: true}
      Next: End
    End: {Type: Succeed}
"""


def test_classes_expand_in_place_and_in_order(tmp_path: Path) -> None:
    states = json.loads(build(_source(tmp_path, SOURCE)))["States"]
    transient = {"ErrorEquals": ["Lambda.ServiceException"], "IntervalSeconds": 1, "MaxAttempts": 2}
    assert list(states["Work"]) == ["Type", "Resource", "Retry", "Catch", "Next"]
    assert states["Work"]["Retry"] == [transient]
    assert states["Work"]["Catch"] == [
        {"ErrorEquals": ["Oops"], "Next": "End"},
        {"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": "End"},
    ]
    assert states["Fan"]["Branches"][0]["States"]["Inner"]["Retry"] == [transient]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("Retry: transient", "Retry: transiant"), "Work: unknown Retry class 'transiant'"),
        (("Retry: [transient]", "Retry: [slow]"), "Fan.Branches[0].Inner: unknown Retry"),
        (("Catch: [{ErrorEquals: [Oops], Next: End}, to-end]", "Next: End"), "['to-end']"),
    ],
)
def test_unknown_and_unused_classes_are_errors(
    tmp_path: Path, edit: tuple[str, str], message: str
) -> None:
    with pytest.raises(SourceError, match=message.replace("[", r"\[").replace("]", r"\]")):
        build(_source(tmp_path, SOURCE.replace(*edit)))
