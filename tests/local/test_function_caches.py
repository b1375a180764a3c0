"""The functions' functools caches, kept per account (``rollout_local.function_caches``)."""

from __future__ import annotations

import functools

from rollout_local import accounts
from rollout_local.function_caches import AccountCache

STAGING = "111111111111"


def test_a_cached_function_keeps_one_cache_per_account() -> None:
    calls: list[str | None] = []

    @functools.cache
    def settings() -> str:
        calls.append(accounts.current())
        return accounts.current() or accounts.DEFAULT_ACCOUNT_ID

    cached = AccountCache(settings)
    assert cached() == accounts.DEFAULT_ACCOUNT_ID
    with accounts.acting(STAGING):
        assert cached() == STAGING
        assert cached() == STAGING
    assert cached() == accounts.DEFAULT_ACCOUNT_ID
    assert calls == [None, STAGING]
    assert settings() == accounts.DEFAULT_ACCOUNT_ID  # the original is the default account's

    cached.cache_clear()
    with accounts.acting(STAGING):
        assert cached() == STAGING
    assert calls == [None, STAGING, STAGING]

    cached.forget_accounts()
    assert settings.cache_info().currsize == 0  # cleared above, not refilled since
    assert cached.cache_parameters() == {"maxsize": None, "typed": False}


def test_threads_inherit_the_account_of_their_creator() -> None:
    seen: list[str | None] = []
    with accounts.acting(STAGING):
        thread = accounts.InheritingThread(target=lambda: seen.append(accounts.current()))
    thread.start()
    thread.join()
    assert seen == [STAGING]
    assert accounts.current() is None
    assert accounts.account_of("arn:aws:lambda:us-east-1:222222222222:function:f") == (
        "222222222222"
    )
