"""The fence around moto (rollout_local.extensions._fence): the version guard and the checked
patching. No stack needed: the guard is exercised on its own and on toy classes."""

from __future__ import annotations

import logging
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from rollout_local import extensions
from rollout_local.extensions import _fence
from rollout_local.extensions._fence import (
    OVERRIDE_ENV,
    TESTED_MOTO_VERSIONS,
    MotoFenceError,
    add,
    check_moto_version,
    original,
    replace,
    restore,
)

ROOT = Path(__file__).resolve().parents[2]


def test_the_tested_version_is_the_pinned_one() -> None:
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pinned = [d.split("==", 1)[1] for d in dependencies if re.match(r"moto(\[.*\])?==", d)]
    locked = re.findall(r"^moto==(\S+)", (ROOT / "requirements.lock").read_text(), re.M)
    assert pinned and locked
    assert pinned[0] in TESTED_MOTO_VERSIONS
    assert locked[0] in TESTED_MOTO_VERSIONS


def test_the_tested_version_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(OVERRIDE_ENV, raising=False)
    assert check_moto_version("5.2.1") == "5.2.1"
    assert check_moto_version() in TESTED_MOTO_VERSIONS  # the installed one


def test_another_version_refuses_naming_both_and_the_way_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(OVERRIDE_ENV, raising=False)
    with pytest.raises(MotoFenceError) as raised:
        check_moto_version("5.3.0")
    message = str(raised.value)
    assert "tested with moto 5.2.1" in message
    assert "moto 5.3.0 is installed" in message
    assert f"{OVERRIDE_ENV}=1" in message
    assert "moto[server]==5.2.1" in message


def test_install_refuses_an_untested_moto_before_patching(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(OVERRIDE_ENV, raising=False)
    monkeypatch.setattr(_fence, "installed_moto_version", lambda: "6.0.0")
    monkeypatch.setattr(extensions, "_installed", False)
    with pytest.raises(MotoFenceError, match=r"moto 6\.0\.0 is installed"):
        extensions.install()
    with pytest.raises(MotoFenceError, match=r"moto 6\.0\.0 is installed"):
        extensions.install_routing()
    assert extensions._installed is False


def test_the_stack_refuses_to_start_on_an_untested_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    """``rollout local up`` prints a LocalStackError's message and exits 1."""
    from rollout_local.server import LocalStack, LocalStackError, free_port, running

    monkeypatch.delenv(OVERRIDE_ENV, raising=False)
    monkeypatch.setattr(_fence, "installed_moto_version", lambda: "6.0.0")
    monkeypatch.setattr(extensions, "_installed", False)
    with pytest.raises(LocalStackError, match=r"moto 6\.0\.0 is installed"):
        LocalStack(port=free_port()).start()
    assert running() is None


@pytest.mark.parametrize("value", ["0", "", "yes"])
def test_only_the_documented_override_value_counts(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv(OVERRIDE_ENV, value)
    with pytest.raises(MotoFenceError):
        check_moto_version("5.3.0")


def test_the_override_installs_anyway_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(OVERRIDE_ENV, "1")
    with caplog.at_level(logging.WARNING, logger="rollout_local.extensions"):
        assert check_moto_version("5.3.0") == "5.3.0"
    assert "moto 5.3.0 is not a version" in caplog.text
    assert "5.2.1" in caplog.text


class Toy:
    def method(self, name: str, tags: list[str]) -> str:
        return f"toy {name}"


class ToyChild(Toy):
    pass


def _patched(self: Any, name: str, tags: list[str]) -> str:
    return f"patched {name}"


def test_replace_checks_the_signature_and_restore_undoes_it() -> None:
    replace(Toy, "method", _patched, ("self", "name", "tags"))
    try:
        assert Toy().method("a", []) == "patched a"
        replace(Toy, "method", _patched, ("self", "name", "tags"))  # idempotent
        assert original(Toy, "method", ("self", "name", "tags"))(Toy(), "b", []) == "toy b"
    finally:
        restore(Toy, "method")
    assert Toy().method("a", []) == "toy a"
    restore(Toy, "method")  # nothing to undo: no error


def test_replace_of_an_inherited_function_restores_inheritance() -> None:
    replace(ToyChild, "method", _patched, ("self", "name", "tags"))
    assert ToyChild().method("a", []) == "patched a"
    assert Toy().method("a", []) == "toy a"
    restore(ToyChild, "method")
    assert "method" not in vars(ToyChild)
    assert ToyChild().method("a", []) == "toy a"


def test_replace_refuses_a_function_that_is_gone() -> None:
    with pytest.raises(MotoFenceError, match=r"Toy\.vanished does not exist"):
        replace(Toy, "vanished", _patched, ("self",))
    assert not hasattr(Toy, "vanished")


def test_replace_refuses_a_function_whose_parameters_changed() -> None:
    with pytest.raises(MotoFenceError, match=r"takes \(self, name, tags\), not the \(self, name\)"):
        replace(Toy, "method", _patched, ("self", "name"))
    assert Toy().method("a", []) == "toy a"  # nothing was patched


def test_add_refuses_what_moto_now_has_itself() -> None:
    with pytest.raises(MotoFenceError, match=r"Toy\.method exists now"):
        add(Toy, "method", _patched)
    add(Toy, "added", _patched)
    try:
        add(Toy, "added", _patched)  # idempotent
        assert Toy().added("a", []) == "patched a"  # type: ignore[attr-defined]
    finally:
        restore(Toy, "added")
    assert not hasattr(Toy, "added")


def test_every_patch_applies_to_the_installed_moto() -> None:
    """``install`` checks every replaced moto function against the parameters its patch
    expects (and raises if one differs): on the pinned moto, all of them apply."""
    from moto.sagemaker.models import SageMakerModelBackend

    from rollout_local.extensions import sagemaker_endpoints

    extensions.install()
    assert extensions._installed
    assert vars(SageMakerModelBackend)["update_endpoint"] is sagemaker_endpoints.update_endpoint


def test_every_installed_module_is_documented() -> None:
    """Each module of MODULE_NAMES has its row in the fence's README and its line in the
    package docstring (the AWS behaviour it adds)."""
    from pathlib import Path

    from rollout_local import extensions

    readme = (Path(extensions.__file__).parent / "README.md").read_text(encoding="utf-8")
    docstring = extensions.__doc__ or ""
    for name in extensions.MODULE_NAMES:
        assert f"| `{name}` |" in readme, name
        assert f"``{name}``" in docstring, name
