"""Shared fixtures: one embedded local stack per test process, with the real template.

moto's backends are process-global, so every suite that needs the stack (local, e2e, cli)
reuses this one; tests isolate themselves by unique names. Suites that need their own
resources deploy an extra template into it (``LocalStack.deploy``) under their own stack name.

Under pytest-xdist (``make test``) every worker is a process of its own, so each worker has
its own stack. A parametrized test whose id ends in ``@<group>`` (``test[case@group]``) runs
on one worker with the others of its group (a shard of the fault matrix shares one run of
its cases); every other test is a unit of its own.

The stack the tests start is configured faster than ``rollout local up`` (the local
contract's defaults): an endpoint update provisions in ``PROVISION_SECONDS``, a weight shift
in ``WEIGHT_SECONDS``. Every path still runs (``Updating`` → ``InService``, the weight shift
observed by the steps); only the waiting is shorter.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from rollout_local import server
from rollout_local.extensions.sagemaker_endpoints import PROVISION_ENV, WEIGHT_ENV
from rollout_local.server import LocalStack, free_port

PROVISION_SECONDS = "0.3"
WEIGHT_SECONDS = "0.1"


_GROUP = re.compile(r"@([\w.-]+)\]$")


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """xdist's ``loadgroup`` marks groups by rewriting node ids, which pytest 9 ignores: the
    group is read from the test id instead. Tests are handed out in collection order, so
    each worker runs its tests in the order ``pytest_collection_modifyitems`` gives."""
    from xdist.scheduler import LoadScopeScheduling

    config.option.loadscopereorder = False  # units in collection order, not largest first

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            found = _GROUP.search(nodeid)
            return found.group(1) if found else nodeid

    return GroupScheduling(config, log)


def uses_stack(item: pytest.Item) -> bool:
    return "local_stack" in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests on the shared stack run last: ``mock_aws`` (unit, integration) resets moto's
    process-global backends on entry and exit, which would wipe the running stack. (xdist
    hands each worker its tests in this order, so the rule holds on every worker.) Among
    them the long ones (``slow``: the fault matrix's shards, the load tests) start first, so
    that the short ones fill the workers around them instead of waiting behind them."""
    items.sort(key=lambda item: (uses_stack(item), item.get_closest_marker("slow") is None))
    for item in items:
        if uses_stack(item):
            item.add_marker(pytest.mark.stack)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if server.running() is not None and not uses_stack(item):
        pytest.fail(
            f"{item.nodeid} was scheduled after the local stack started in this process: a "
            "mock_aws in it would wipe the stack's state (keep the tests ordered as "
            "pytest_collection_modifyitems sorts them)"
        )


@pytest.fixture(autouse=True)
def template_environment(request: pytest.FixtureRequest) -> Iterator[None]:
    """The variables template.yaml gives the functions, for tests that call steps in this
    process (model_rollout.config requires them). Tests on the local stack get them from the
    template itself, per invocation."""
    if "local_stack" in request.fixturenames:
        yield
        return
    from tests.helpers.moto_env import TEMPLATE_ENVIRONMENT

    from model_rollout.config import settings

    with pytest.MonkeyPatch.context() as patch:
        for name, value in TEMPLATE_ENVIRONMENT.items():
            patch.setenv(name, value)
        settings.cache_clear()
        try:
            yield
        finally:
            settings.cache_clear()


@pytest.fixture(scope="session")
def local_stack() -> Iterator[LocalStack]:
    """The embedded local stack on a free port, ``template.yaml`` deployed."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(PROVISION_ENV, PROVISION_SECONDS)
        patch.setenv(WEIGHT_ENV, WEIGHT_SECONDS)
        # A deployment queued behind a stopped one re-checks its holder every 2 s (300 s
        # deployed).
        stack = LocalStack(port=free_port(), parameter_overrides={"EndpointLockPollSeconds": "2"})
        stack.start()
        try:
            yield stack
        finally:
            stack.stop()
