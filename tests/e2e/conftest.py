"""End-to-end fixtures: the real template and state machine on the embedded local stack.

Every test gets its own model package group and endpoint, so tests share one stack.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from tests.e2e.scenario import Scenario

from rollout_local.workbench import Workbench

_numbers = itertools.count(1)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/e2e/" in str(item.path):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def bench(local_stack: Any) -> Workbench:
    return Workbench(endpoint_url=local_stack.endpoint_url)


@pytest.fixture
def scenario(bench: Workbench, request: pytest.FixtureRequest) -> Scenario:
    number = next(_numbers)
    stem = "".join(c if c.isalnum() else "-" for c in request.node.name.lower())[:30].strip("-")
    return Scenario(bench=bench, group=f"g{number}-{stem}", endpoint=f"e{number}-{stem}")
