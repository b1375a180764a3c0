"""RecordFailure's error and cause: what a person reads at the end of a failed execution."""

from __future__ import annotations

import json

from model_rollout.steps.record_failure import UNKNOWN_ERROR, clean_cause, error_and_cause


def lambda_cause(message: str, error_type: str = "ValidationFailed") -> str:
    return json.dumps(
        {
            "errorMessage": message,
            "errorType": error_type,
            "requestId": "r-1",
            "stackTrace": ['  File "/var/task/app.py", line 1'],
        }
    )


def test_lambda_cause_becomes_its_message() -> None:
    message = "accuracy 0.71 is below min_value 0.8"
    assert error_and_cause({"Error": "ValidationFailed", "Cause": lambda_cause(message)}) == (
        "ValidationFailed",
        message,
    )


def test_non_lambda_cause_is_kept() -> None:
    cause = "The Task timed out after 60 seconds"
    assert error_and_cause({"Error": "States.Timeout", "Cause": cause}) == (
        "States.Timeout",
        cause,
    )


def test_json_cause_without_error_message_is_kept() -> None:
    cause = json.dumps({"something": "else"})
    assert clean_cause("X", cause) == cause


def test_missing_cause() -> None:
    assert "no cause" in clean_cause("States.Runtime", None)
    assert "no cause" in clean_cause("States.Runtime", "  ")


def test_missing_error() -> None:
    error, cause = error_and_cause({"Cause": "boom"})
    assert error == UNKNOWN_ERROR and cause == "boom"


def test_not_a_failure_at_all() -> None:
    error, cause = error_and_cause(None)
    assert error == UNKNOWN_ERROR and "without an error record" in cause


def test_long_causes_are_cut_to_what_a_fail_state_takes() -> None:
    assert len(clean_cause("E", "x" * 100_000)) <= 32_768
