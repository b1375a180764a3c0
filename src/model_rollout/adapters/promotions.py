"""EventBridge: the promotion event onto the next stage's default bus, in this account or,
through the role that account's stack lets this one assume, in another."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from model_rollout.adapters.accounts import AssumedRoles
from model_rollout.adapters.aws import LazyClient, error_code, error_message, throttling_as
from model_rollout.domain.stages import PROMOTION_DETAIL_TYPE, PROMOTION_SOURCE
from model_rollout.errors import PromotionFailed


class PromotionEvents(LazyClient):
    """``PutEvents`` with this account's client (lazily the default), or a role's."""

    service = "events"

    def __init__(self, client: Any | None = None, *, roles: AssumedRoles | None = None) -> None:
        super().__init__(client)
        self._roles = roles

    def _client_for(self, role_arn: str | None, what: str) -> Any:
        if role_arn is None:
            return self.client
        if self._roles is None:
            self._roles = AssumedRoles()
        try:
            return self._roles.client("events", role_arn)
        except ClientError as error:
            raise PromotionFailed(
                f"{what}: cannot assume {role_arn}: {error_code(error)}: {error_message(error)}"
            ) from None

    def put(
        self, detail: dict[str, Any], *, bus: str, resource: str, role_arn: str | None, what: str
    ) -> str | None:
        """Put one promotion event on ``bus``; its event id. ``PromotionFailed`` when the role
        cannot be assumed or EventBridge refuses the event."""
        events = self._client_for(role_arn, what)
        via = f"role {role_arn}" if role_arn else "this account's bus"
        try:
            with throttling_as(what):
                answer = events.put_events(
                    Entries=[
                        {
                            "Source": PROMOTION_SOURCE,
                            "DetailType": PROMOTION_DETAIL_TYPE,
                            "Detail": json.dumps(detail),
                            "Resources": [resource],
                            "EventBusName": bus,
                        }
                    ]
                )
        except ClientError as error:
            raise PromotionFailed(
                f"{what} through {via}: {error_code(error)}: {error_message(error)}"
            ) from None
        entry = (answer.get("Entries") or [{}])[0]
        if answer.get("FailedEntryCount") or entry.get("ErrorCode"):
            raise PromotionFailed(
                f"{what}: PutEvents refused the event: {entry.get('ErrorCode')}: "
                f"{entry.get('ErrorMessage')}"
            )
        event_id = entry.get("EventId")
        return str(event_id) if event_id else None
