"""Shared plumbing of the extension modules: timers, settings, time formats.

Background transitions (an endpoint finishing an update, say) run on daemon
``threading.Timer`` threads registered here, so that ``stop_all_timers`` (called by the
stop function of ``rollout_local.extensions.start_background``) cancels the pending ones
and joins the running ones: no transition outlives the local stack.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger("rollout_local.extensions")

#: one lock for every patched backend mutation done by the extensions (request threads,
#: timers and the alarm evaluator all take it; held only for short, in-memory work)
STATE_LOCK = threading.RLock()

_timers: set[threading.Timer] = set()
_timers_lock = threading.Lock()


def env_seconds(name: str, default: float) -> float:
    """A non-negative number of seconds from the environment, read at each use."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return max(0.0, float(raw))
    except ValueError:
        log.warning("ignoring %s=%r: not a number", name, raw)
        return default


def schedule(delay: float, fn: Callable[[], Any], name: str = "rollout-local-timer") -> None:
    """Run ``fn`` once after ``delay`` seconds on a daemon thread (errors are logged)."""

    def run() -> None:
        try:
            fn()
        except Exception:
            log.exception("background transition %s failed", name)
        finally:
            with _timers_lock:
                _timers.discard(timer)

    timer = threading.Timer(delay, run)
    timer.name = name
    timer.daemon = True
    with _timers_lock:
        _timers.add(timer)
    timer.start()


def stop_all_timers(timeout: float = 5.0) -> None:
    """Cancel pending timers and wait for the ones already running."""
    with _timers_lock:
        timers = list(_timers)
    for timer in timers:
        timer.cancel()
    for timer in timers:
        if timer is not threading.current_thread():
            timer.join(timeout)
    with _timers_lock:
        for timer in timers:
            _timers.discard(timer)


def as_utc(value: datetime) -> datetime:
    """moto keeps naive UTC datetimes; API-parsed ones are aware. Make both aware."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def iso_seconds(value: datetime) -> str:
    """``2021-02-24T17:00:14Z``, the timestamp format of SageMaker registry events."""
    return as_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch_millis(value: datetime) -> float:
    """Milliseconds since the epoch (a float), as SageMaker endpoint events carry times."""
    return float(int(as_utc(value).timestamp() * 1000))
