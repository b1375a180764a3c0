"""Events that AWS services emit, put onto the emulated default bus.

moto's EventBridge backend matches them against the rules of the deployed template, and
the local stack's routing (``rollout_local.extensions.eventbridge_targets``) delivers them
to the targets. They are written straight into the backend (no HTTP round trip), from
whichever thread the emulated service runs on.
"""

from __future__ import annotations

import json
from typing import Any

from moto.events.models import events_backends

from rollout_local.extensions.backends import ACCOUNT_ID, REGION


def put_event(
    *,
    source: str,
    detail_type: str,
    detail: dict[str, Any],
    resources: list[str] | None = None,
    account_id: str = ACCOUNT_ID,
    region: str = REGION,
) -> None:
    """Emit one service event onto the default bus, as the named AWS service would."""
    events_backends[account_id][region].put_events(
        [
            {
                "Source": source,
                "DetailType": detail_type,
                "Detail": json.dumps(detail, default=str),
                "Resources": resources or [],
                "EventBusName": "default",
            }
        ]
    )
