"""What the control plane logs: facts about a deployment, never its payloads or secrets.

A deployment runs on the local stack (whose function logs land in CloudWatch Logs as on
Lambda); then every log line of every function is read back and searched for the task tokens
the execution used (a token completes a task: it is a credential) and the raw approval
event.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.e2e.scenario import Scenario


def _all_log_text(scenario: Scenario) -> str:
    logs = scenario.bench.client("logs")
    text = []
    for page in logs.get_paginator("describe_log_groups").paginate(
        logGroupNamePrefix="/aws/lambda/"
    ):
        for group in page["logGroups"]:
            for events in logs.get_paginator("filter_log_events").paginate(
                logGroupName=group["logGroupName"]
            ):
                text += [e["message"] for e in events["events"]]
    return "\n".join(text)


def _task_tokens(history: list[dict[str, Any]]) -> list[str]:
    tokens = []
    for event in history:
        parameters = event.get("taskScheduledEventDetails", {}).get("parameters")
        if parameters:
            payload = json.loads(parameters).get("Payload", {})
            if isinstance(payload, dict) and payload.get("task_token"):
                tokens.append(str(payload["task_token"]))
    return tokens


def test_no_task_token_event_or_payload_is_ever_logged(
    scenario: Scenario, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario.policy()
    _, execution = scenario.deploy()
    assert execution["status"] == "SUCCEEDED", execution
    tokens = _task_tokens(scenario.bench.history(execution["executionArn"]))
    # the functions' log lines: CloudWatch Logs, or this test's captured stdout where pytest
    # captured them first
    captured = capsys.readouterr()
    text = _all_log_text(scenario) + captured.out + captured.err

    assert execution["name"] in text  # the deployment's own logs were read
    assert len(tokens) >= 3
    for token in tokens:
        assert token[:40] not in text, "a task token was logged"
    assert '"detail-type"' not in text, "a raw event was logged"
