"""Shared fixtures: one embedded local stack per test session, with the real template.

moto's backends are process-global, so every suite that needs the stack (local, e2e) reuses
this one; tests isolate themselves by unique names. Suites that need their own resources
deploy an extra template into it (``LocalStack.deploy``) under their own stack name.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rollout_local.server import LocalStack, free_port


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests on the shared stack run last: ``mock_aws`` (unit, integration) resets moto's
    process-global backends on entry and exit, which would wipe the running stack."""
    items.sort(key=lambda item: "local_stack" in getattr(item, "fixturenames", ()))


@pytest.fixture(scope="session")
def local_stack() -> Iterator[LocalStack]:
    """The embedded local stack on a free port, ``template.yaml`` deployed."""
    # A deployment queued behind a stopped one re-checks its holder every 2 s (300 s deployed).
    stack = LocalStack(port=free_port(), parameter_overrides={"EndpointLockPollSeconds": "2"})
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()
