"""Step Functions task tokens: release a waiting state with success or a named failure.

A token may be released twice (the await function's own check and the endpoint event race;
EventBridge delivers at least once). The second release finds the token used or the task
gone: that is not an error.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from model_rollout.adapters.aws import LazyClient, error_code, throttling_as

ALREADY_RELEASED = frozenset({"TaskTimedOut", "InvalidToken", "TaskDoesNotExist"})
MAX_ERROR = 256
MAX_CAUSE = 32_768


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class TaskTokens(LazyClient):
    service = "stepfunctions"

    def succeed(self, task_token: str, output: Mapping[str, Any]) -> bool:
        """SendTaskSuccess; ``False`` when the token was already used or timed out."""
        return self._send(
            "SendTaskSuccess",
            lambda: self.client.send_task_success(
                taskToken=task_token, output=json.dumps(output, default=str)
            ),
        )

    def fail(self, task_token: str, *, error: str, cause: str) -> bool:
        """SendTaskFailure; ``False`` when the token was already used or timed out."""
        return self._send(
            "SendTaskFailure",
            lambda: self.client.send_task_failure(
                taskToken=task_token, error=_clip(error, MAX_ERROR), cause=_clip(cause, MAX_CAUSE)
            ),
        )

    @staticmethod
    def _send(what: str, call: Any) -> bool:
        try:
            with throttling_as(what):
                call()
        except ClientError as error:
            if error_code(error) in ALREADY_RELEASED:
                return False
            raise
        return True
