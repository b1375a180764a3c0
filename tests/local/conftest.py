"""The local stack's own fixture template, deployed into the session's stack."""

from __future__ import annotations

import pytest
from tests.local.support import FIXTURE_STACK, FIXTURE_TEMPLATE

from rollout_local.server import LocalStack
from rollout_local.template import DeployedStack


@pytest.fixture(scope="session")
def fixture_stack(local_stack: LocalStack) -> DeployedStack:
    """``tests/local/fixtures/template.yaml``, deployed as stack ``rollout-fixture``."""
    return local_stack.deploy(FIXTURE_TEMPLATE, stack_name=FIXTURE_STACK)
