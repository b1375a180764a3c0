"""Fixtures of the operator CLI's tests: the session's local stack, deployments made through
it as a data scientist and an application would (tests/e2e/scenario.py), and the ``rollout``
command run against it in its own process (``--endpoint-url``), output captured."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.scenario import Scenario

from rollout_local.workbench import Workbench

_numbers = itertools.count(1)
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Ran:
    exit_code: int
    stdout: str
    stderr: str


@dataclass
class Cli:
    """The installed command, run as an operator runs it: its own process, ``--endpoint-url``."""

    endpoint_url: str

    def run(
        self,
        *args: str,
        expect: int | None = 0,
        timeout: float = 120,
        env: dict[str, str] | None = None,
    ) -> Ran:
        """``env``: variables over the default ones (``COLUMNS=220``, output to a pipe)."""
        done = subprocess.run(
            [sys.executable, "-m", "rollout_cli.main", *args, "--endpoint-url", self.endpoint_url],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=ROOT,
            env={**os.environ, "COLUMNS": "220", "PYTHONPATH": str(ROOT / "src"), **(env or {})},
        )
        ran = Ran(done.returncode, done.stdout, done.stderr)
        if expect is not None:
            assert ran.exit_code == expect, ran
        return ran

    def json(self, *args: str, expect: int | None = 0) -> Any:
        return json.loads(self.run(*args, "--json", expect=expect).stdout)


@pytest.fixture(scope="session")
def cli(local_stack: Any) -> Cli:
    return Cli(local_stack.endpoint_url)


@pytest.fixture(scope="session")
def cli_bench(local_stack: Any) -> Workbench:
    return Workbench(endpoint_url=local_stack.endpoint_url)


def new_scenario(bench: Workbench, stem: str) -> Scenario:
    number = next(_numbers)
    return Scenario(bench=bench, group=f"cli{number}-{stem}", endpoint=f"cli{number}-{stem}")


@pytest.fixture
def cli_scenario(cli_bench: Workbench, request: pytest.FixtureRequest) -> Scenario:
    stem = "".join(c if c.isalnum() else "-" for c in request.node.name.lower())[:24].strip("-")
    return new_scenario(cli_bench, stem)


@dataclass
class Story:
    """Four deployments of one endpoint: v1 created it, v2 promoted, v3 rolled back by its
    error alarm, v4 rejected by the gate."""

    scenario: Scenario
    executions: dict[str, dict[str, Any]]
    packages: dict[str, str]


@pytest.fixture(scope="session")
def story(cli_bench: Workbench) -> Story:
    scenario = new_scenario(cli_bench, "story")
    scenario.policy(strategy={"type": "all_at_once", "bake_seconds": 3})
    executions, packages = {}, {}
    packages["v1"], executions["v1"] = scenario.deploy(accuracy=0.90)
    packages["v2"], executions["v2"] = scenario.deploy(accuracy=0.91)
    with cli_bench.traffic(scenario.endpoint, rate_per_second=25):
        packages["v3"], executions["v3"] = scenario.deploy(accuracy=0.92, error_rate=0.5)
    packages["v4"], executions["v4"] = scenario.deploy(accuracy=0.70)
    expected = {
        "v1": ("SUCCEEDED", None),
        "v2": ("SUCCEEDED", None),
        "v3": ("FAILED", "RolledBack"),
        "v4": ("FAILED", "ValidationFailed"),
    }
    for version, (status, error) in expected.items():
        assert (executions[version]["status"], executions[version].get("error")) == (
            status,
            error,
        ), executions[version]
    return Story(scenario, executions, packages)
