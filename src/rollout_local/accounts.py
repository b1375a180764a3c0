"""Which AWS account the code running on this thread acts as, in the local stack.

moto keeps each account's resources in backends of their own (``<service>_backends[account]``)
and decides per request which account it serves (``BaseResponse.get_current_account``): an
``x-moto-account-id`` header first, else the account that issued the request's access key
(IAM users' keys, STS sessions), else the default account ``123456789012``.

The local stack's own code records here the account a piece of work belongs to, for the
thread that does it: an in-process Lambda invocation acts as its function's account, a
Step Functions execution as its state machine's (``acting``). The extension layer
(``rollout_local.extensions.account_routing``) then adds the header to every request this
thread signs with credentials moto did not issue (the local stack's dummy keys), so that
those requests act in that account; requests signed with issued credentials keep the
account the credentials belong to. Threads started through ``InheritingThread`` act as the
thread that created them.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

#: moto's default account: everything not deployed into another account lives in it
DEFAULT_ACCOUNT_ID = "123456789012"
#: the request header moto's ``get_current_account`` honours before the access key
ACCOUNT_HEADER = "x-moto-account-id"

_ACCOUNT = re.compile(r"^\d{12}$")
_local = threading.local()


def checked(account_id: str | None) -> str:
    """``account_id`` (the default account for ``None``); a ``ValueError`` unless 12 digits."""
    if account_id is None:
        return DEFAULT_ACCOUNT_ID
    if not isinstance(account_id, str) or not _ACCOUNT.match(account_id):
        raise ValueError(f"an AWS account id is 12 digits, not {account_id!r}")
    return account_id


def account_of(arn: str, default: str = DEFAULT_ACCOUNT_ID) -> str:
    """The account field of ``arn`` (``arn:aws:svc:region:account:...``), else ``default``."""
    parts = arn.split(":")
    if len(parts) > 4 and _ACCOUNT.match(parts[4]):
        return parts[4]
    return default


def current() -> str | None:
    """The account this thread acts as (``None``: nothing recorded, the caller's own)."""
    found: str | None = getattr(_local, "account", None)
    return found


@contextmanager
def acting(account_id: str | None) -> Iterator[None]:
    """Act as ``account_id`` on this thread until the block ends (``None``: no change)."""
    if account_id is None:
        yield
        return
    outer = current()
    _local.account = checked(account_id)
    try:
        yield
    finally:
        _local.account = outer


class InheritingThread(threading.Thread):
    """A thread that acts as the account its creator acted as when it created it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._rollout_account = current()

    def run(self) -> None:
        with acting(self._rollout_account):
            super().run()


def administered(client: Any, account_id: str | None) -> Any:
    """``client`` (a boto3 client with the local stack's dummy credentials), made the
    administrator of ``account_id``: each of its requests carries moto's
    ``x-moto-account-id`` header (added before signing). For the default account (or
    ``None``) the client is returned unchanged."""
    account = checked(account_id)
    if account != DEFAULT_ACCOUNT_ID:

        def add_header(request: Any, **_: Any) -> None:
            request.headers[ACCOUNT_HEADER] = account

        client.meta.events.register("before-sign", add_header)
    return client


def bind(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function``, to run on another thread acting as this thread's account now."""
    account = current()

    def bound(*args: Any, **kwargs: Any) -> Any:
        with acting(account):
            return function(*args, **kwargs)

    return bound
