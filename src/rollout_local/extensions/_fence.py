"""The fence's guards: the moto version the patches were tested with, and checked patching.

Every patch of the local stack changes moto (or a library it runs, such as Powertools) in
ways that hold for the moto version it was tested with, and only for it. Two guards make a
change of version fail loudly at start instead of silently patching nothing:

- ``check_moto_version``: the installed moto must be one of ``TESTED_MOTO_VERSIONS`` (the
  pin of ``pyproject.toml`` / ``requirements.lock``). Another version raises
  ``MotoFenceError`` naming both, unless ``ROLLOUT_LOCAL_UNTESTED_MOTO=1`` is set (at one's
  own risk: a warning is logged and the patches are tried anyway).
- ``replace`` / ``add``: a patch names the attribute it replaces and, for a function, the
  parameter names of the signature it was written against. An attribute that is gone, or a
  function whose parameters changed, raises ``MotoFenceError``; ``add`` refuses to add an
  attribute that moto now has itself (moto gained the behaviour: check it, drop the patch).
  ``restore`` undoes a patch (the routing patches the server toggles per stack).

After a moto upgrade: run ``tests/local`` and ``tests/e2e`` on the new version, fix what the
guards name, then add the version to ``TESTED_MOTO_VERSIONS``.
"""

from __future__ import annotations

import inspect
import logging
import os
import threading
from importlib import metadata
from typing import Any

log = logging.getLogger("rollout_local.extensions")

#: the moto versions the patches were tested with (the pin in pyproject.toml)
TESTED_MOTO_VERSIONS: tuple[str, ...] = ("5.2.1",)
#: set to ``1`` to install the patches on an untested moto version anyway
OVERRIDE_ENV = "ROLLOUT_LOCAL_UNTESTED_MOTO"

_MISSING = object()
_lock = threading.Lock()
#: (owner id, name) → (owner, name, what the owner's own ``__dict__`` held before the patch)
_saved: dict[tuple[int, str], tuple[Any, str, Any]] = {}


class MotoFenceError(RuntimeError):
    """moto is not what the patches were written against: they refuse to install."""


def installed_moto_version() -> str:
    return metadata.version("moto")


def check_moto_version(found: str | None = None) -> str:
    """Raise ``MotoFenceError`` unless moto (``found``, else the installed one) is tested."""
    version = installed_moto_version() if found is None else found
    if version in TESTED_MOTO_VERSIONS:
        return version
    tested = ", ".join(TESTED_MOTO_VERSIONS)
    if os.environ.get(OVERRIDE_ENV, "").strip() == "1":
        log.warning(
            "moto %s is not a version the local stack's patches were tested with (%s); "
            "installing them anyway because %s=1",
            version,
            tested,
            OVERRIDE_ENV,
        )
        return version
    raise MotoFenceError(
        f"the local stack's moto patches were tested with moto {tested}, but moto {version} "
        f"is installed. Install the tested version (make venv, or pip install "
        f"'moto[server]=={TESTED_MOTO_VERSIONS[-1]}'), or set {OVERRIDE_ENV}=1 to try the "
        "patches on this version at your own risk (then run tests/local and tests/e2e, and "
        "add the version to TESTED_MOTO_VERSIONS in rollout_local/extensions/_fence.py)."
    )


def _label(owner: Any, name: str) -> str:
    module = getattr(owner, "__module__", None)
    qualname = getattr(owner, "__qualname__", None) or getattr(owner, "__name__", repr(owner))
    prefix = f"{module}.{qualname}" if module and not inspect.ismodule(owner) else qualname
    return f"{prefix}.{name}"


def _fail(owner: Any, name: str, problem: str) -> MotoFenceError:
    return MotoFenceError(
        f"{_label(owner, name)} {problem} (moto {installed_moto_version()}; the patch was "
        f"written for moto {', '.join(TESTED_MOTO_VERSIONS)}): the local stack refuses to "
        "start rather than patch nothing. Install the tested moto version, or update the patch."
    )


def _parameters(value: Any) -> tuple[str, ...]:
    function = value.__func__ if isinstance(value, staticmethod | classmethod) else value
    return tuple(inspect.signature(function).parameters)


def original(owner: Any, name: str, params: tuple[str, ...] | None = None) -> Any:
    """``owner.name`` as moto defines it, checked: it exists and (if given) takes ``params``."""
    with _lock:
        saved = _saved.get((id(owner), name))
    if saved is not None and saved[2] is not _MISSING:
        current = saved[2]
        if isinstance(current, staticmethod | classmethod):
            current = current.__func__
    else:
        current = getattr(owner, name, _MISSING)
    if current is _MISSING:
        raise _fail(owner, name, "does not exist")
    if params is not None:
        found = _parameters(current)
        if found != params:
            raise _fail(
                owner,
                name,
                f"takes ({', '.join(found)}), not the ({', '.join(params)}) the patch expects",
            )
    return current


def _record(owner: Any, name: str) -> None:
    key = (id(owner), name)
    if key not in _saved:
        _saved[key] = (owner, name, vars(owner).get(name, _MISSING))


def replace(owner: Any, name: str, value: Any, params: tuple[str, ...] | None = None) -> None:
    """Replace moto's ``owner.name`` with ``value``, checking it exists (with ``params``).

    Idempotent: a ``value`` already in place stays. ``params`` are the parameter names of
    the replaced function the patch was written against (``None``: not a function, or its
    parameters do not matter to the patch).
    """
    if vars(owner).get(name, _MISSING) is value:
        return
    original(owner, name, params)
    with _lock:
        _record(owner, name)
        setattr(owner, name, value)


def add(owner: Any, name: str, value: Any) -> None:
    """Give ``owner`` an attribute moto lacks; refuse if moto has one of its own now."""
    if vars(owner).get(name, _MISSING) is value:
        return
    with _lock:
        key = (id(owner), name)
        ours = key in _saved and _saved[key][2] is _MISSING
        if not ours and getattr(owner, name, _MISSING) is not _MISSING:
            raise _fail(owner, name, "exists now, where the patch adds it because moto lacked it")
        _record(owner, name)
        setattr(owner, name, value)


def restore(owner: Any, name: str) -> None:
    """Undo ``replace``/``add`` of ``owner.name`` (nothing if it was not patched)."""
    with _lock:
        saved = _saved.pop((id(owner), name), None)
        if saved is None:
            return
        if saved[2] is _MISSING:
            delattr(owner, name)
        else:
            setattr(owner, name, saved[2])
