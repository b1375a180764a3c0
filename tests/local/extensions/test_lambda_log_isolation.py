"""Powertools log keys per invocation thread, as in one execution environment each."""

from __future__ import annotations

import io
import json
import threading

from aws_lambda_powertools import Logger

from rollout_local.extensions import lambda_log_isolation


def test_concurrent_invocations_keep_their_own_keys() -> None:
    lambda_log_isolation.install()
    stream = io.StringIO()
    logger = Logger(service="isolation-test", stream=stream)
    appended, cleared = threading.Event(), threading.Event()

    def deploy() -> None:  # appends its keys, then logs after the other one cleared its own
        logger.append_keys(deployment_id="d-1", model_package_arn="arn:pkg/1")
        appended.set()
        cleared.wait(5)
        logger.info("deploy")

    def endpoint_event() -> None:
        appended.wait(5)
        logger.clear_state()  # what inject_lambda_context(clear_state=True) does
        logger.append_keys(endpoint_name="e-1")
        logger.info("event")
        cleared.set()

    threads = [threading.Thread(target=deploy), threading.Thread(target=endpoint_event)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    lines = {line["message"]: line for line in map(json.loads, stream.getvalue().splitlines())}
    assert lines["deploy"]["deployment_id"] == "d-1"
    assert lines["deploy"]["model_package_arn"] == "arn:pkg/1"
    assert "endpoint_name" not in lines["deploy"]
    assert lines["event"]["endpoint_name"] == "e-1" and "deployment_id" not in lines["event"]
    for line in lines.values():  # the keys the formatter was built with stay
        assert {"level", "location", "message", "timestamp", "service"} <= set(line)
