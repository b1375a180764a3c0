"""The functions' cached module state, kept per account: stacks of two accounts never share it.

On Lambda every function runs in containers of its own, so what its code caches for the
life of a container (``functools.cache`` of settings read from the environment, of
clients) is its own. In the local stack all functions share one process, and so the
modules of the project's code (the functions' ``CodeUri``, their layers, the packages they
import from this repository), which are imported once. Within one account's stack that
sharing is harmless (its functions get the same ``Globals``); a second stack in another
account has other table names, another ``AWS::AccountId``, ...

``isolate()`` (called by ``rollout_local.lambda_runtime`` after it imports a handler, and
after each invocation, for the modules a handler imports as it runs) replaces every
``functools.cache`` / ``lru_cache`` function of those modules (module level and one class
level down) with ``AccountCache``: one cache per account, the account the calling thread
acts as (``rollout_local.accounts.current``; the default account outside
an invocation). Installed libraries (``site-packages``) and the local stack itself are
left alone. The original cache stays the default account's (emptied when wrapped, since
an invocation of any account may have filled it). Two stacks in the same account still
share their functions' caches.
"""

from __future__ import annotations

import functools
import sys
import threading
from pathlib import Path
from typing import Any

from rollout_local import accounts

_lock = threading.RLock()
_ROOT = Path(__file__).resolve().parents[2]
_SKIPPED_PACKAGES = ("rollout_local", "tests")


class AccountCache:
    """A ``functools`` cache of ``function`` per account (``cache_clear`` clears all)."""

    def __init__(self, cached: Any) -> None:
        self.__wrapped__ = cached.__wrapped__
        parameters = cached.cache_parameters()
        self._maxsize = parameters["maxsize"]
        self._typed = parameters["typed"]
        # whoever filled it (a module imported during an invocation of another account):
        # from now on it is the default account's
        cached.cache_clear()
        self._caches: dict[str, Any] = {accounts.DEFAULT_ACCOUNT_ID: cached}
        functools.update_wrapper(self, cached.__wrapped__)

    def _cache(self) -> Any:
        account = accounts.current() or accounts.DEFAULT_ACCOUNT_ID
        found = self._caches.get(account)
        if found is None:
            with _lock:
                found = self._caches.get(account)
                if found is None:
                    found = functools.lru_cache(maxsize=self._maxsize, typed=self._typed)(
                        self.__wrapped__
                    )
                    self._caches[account] = found
        return found

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._cache()(*args, **kwargs)

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        if instance is None:
            return self
        return functools.partial(self, instance)

    def cache_clear(self) -> None:
        with _lock:
            for cache in list(self._caches.values()):
                cache.cache_clear()

    def forget_accounts(self) -> None:
        with _lock:
            default = self._caches[accounts.DEFAULT_ACCOUNT_ID]
            self._caches = {accounts.DEFAULT_ACCOUNT_ID: default}

    def cache_info(self) -> Any:
        return self._cache().cache_info()

    def cache_parameters(self) -> dict[str, Any]:
        return {"maxsize": self._maxsize, "typed": self._typed}


def _project_module(name: str, module: Any) -> bool:
    if module is None or name.split(".", 1)[0] in _SKIPPED_PACKAGES:
        return False
    file = getattr(module, "__file__", None)
    if not file:
        return False
    path = Path(file).resolve()
    return "site-packages" not in path.parts and path.is_relative_to(_ROOT)


def _cached(value: Any) -> bool:
    return isinstance(value, functools._lru_cache_wrapper)


_seen: set[str] = set()
_replacements: dict[int, AccountCache] = {}


def isolate() -> None:
    """Make the caches of the project's modules imported since the last call per account."""
    with _lock:
        fresh = [(n, m) for n, m in list(sys.modules.items()) if n not in _seen]
        _seen.update(n for n, _ in fresh)
        for name, module in fresh:
            if not _project_module(name, module):
                continue
            owners: list[Any] = [module]
            owners.extend(
                v for v in vars(module).values() if isinstance(v, type) and v.__module__ == name
            )
            for owner in owners:
                for attribute, value in list(vars(owner).items()):
                    if _cached(value):
                        wrapper = _replacements.get(id(value))
                        if wrapper is None:
                            wrapper = _replacements[id(value)] = AccountCache(value)
                        setattr(owner, attribute, wrapper)


def forget_accounts() -> None:
    """Drop the caches of the accounts other than the default one (a stack stopped: its
    other accounts are gone; the default account's caches are the functions' own)."""
    with _lock:
        for wrapper in _replacements.values():
            wrapper.forget_accounts()
