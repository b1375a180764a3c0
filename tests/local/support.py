"""Helpers of the local stack's tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_TEMPLATE = FIXTURES / "template.yaml"
FIXTURE_STACK = "rollout-fixture"
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def wait_for(condition: Callable[[], Any], *, timeout: float, what: str) -> Any:
    """Poll ``condition`` until truthy; fail with ``what`` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout}s: {what}")
        time.sleep(0.05)
