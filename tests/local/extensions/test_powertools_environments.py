"""Powertools' cold start, metric set and log keys per execution environment, as on Lambda
where each environment is a process of its own (rollout_local.execution_environments)."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import logger as powertools_logger

from rollout_local import execution_environments
from rollout_local.extensions import lambda_log_isolation, powertools_environments


def _install() -> None:
    lambda_log_isolation.install()
    powertools_environments.install()


def _at_once(*calls: Callable[[threading.Barrier], Any]) -> list[Any]:
    """Run each call on its own thread; they meet at the barrier they are given."""
    barrier = threading.Barrier(len(calls), timeout=5)
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        results[index] = calls[index](barrier)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return results


def test_cold_start_is_true_only_for_the_invocation_that_created_the_environment() -> None:
    _install()
    function = "fn-cold-start"

    def invoke(barrier: threading.Barrier | None = None) -> bool:
        with execution_environments.invocation(function):
            cold = powertools_logger._is_cold_start()
            if barrier is not None:
                barrier.wait()  # the other one is running: it cannot take this environment
            return cold

    assert _at_once(invoke, invoke) == [True, True]  # two at once: two new environments
    assert execution_environments.free(function) == 2
    assert [invoke(), invoke()] == [False, False]  # warm, one after the other


def test_environments_running_at_once_keep_their_own_metric_sets() -> None:
    _install()
    metrics = Metrics(namespace="Isolation", service="isolation-test")
    other = Metrics()  # another instance shares the set within one environment, as on Lambda

    def invoke(name: str) -> Callable[[threading.Barrier], list[str]]:
        def run(barrier: threading.Barrier) -> list[str]:
            with execution_environments.invocation("fn-metrics"):
                metrics.add_metric(name=name, unit="Count", value=1)
                other.add_metric(name=f"{name}Too", unit="Count", value=1)
                barrier.wait()  # both added before either serializes and clears
                document = metrics.serialize_metric_set()
                metrics.clear_metrics()
                barrier.wait()
                names = document["_aws"]["CloudWatchMetrics"][0]["Metrics"]
                return sorted(m["Name"] for m in names)

        return run

    assert _at_once(invoke("A"), invoke("B")) == [["A", "AToo"], ["B", "BToo"]]
    assert metrics.metric_set == {}  # outside an environment: Powertools' own (untouched) set


def test_log_keys_stay_in_their_environment_for_its_next_invocation() -> None:
    _install()
    stream = io.StringIO()
    logger = Logger(service="environment-keys", stream=stream)

    def first(barrier: threading.Barrier) -> None:
        with execution_environments.invocation("fn-keys"):
            logger.append_keys(deployment_id=f"d-{threading.get_ident()}")
            barrier.wait()

    _at_once(first, first)  # two environments, each with its own key
    with execution_environments.invocation("fn-keys"):  # a warm one: its key is still there
        logger.info("warm")
    line = json.loads(stream.getvalue().splitlines()[-1])
    assert line["message"] == "warm" and line["deployment_id"].startswith("d-")
    logger.info("outside")  # no invocation: the formatter's own keys
    assert "deployment_id" not in json.loads(stream.getvalue().splitlines()[-1])
