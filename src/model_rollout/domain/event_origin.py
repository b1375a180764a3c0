"""Where an approval event may come from: the allowed accounts, the stack's own region.

An EventBridge rule matches any event put on the bus with the right shape, including one
forwarded from another account or region, or put by anyone allowed to call ``PutEvents``.
Before anything is claimed, read or written, ResolvePolicy checks that the event's
``account`` is allowed (the template's ``AllowedEventAccounts``, by default the stack's own
account), that its ``region`` is the stack's, and that the model package it names lives in
that same account and region. Anything else is ``InvalidEvent``.
"""

from __future__ import annotations

import re
from typing import Any

from model_rollout.errors import InvalidEvent

PACKAGE_ARN = re.compile(
    r"^arn:aws[a-z-]*:sagemaker:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"model-package/[A-Za-z0-9](-*[A-Za-z0-9]){0,62}/\d{1,9}$"
)


def _clip(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_origin(
    event: dict[str, Any],
    *,
    allowed_accounts: tuple[str, ...] | list[str],
    stack_account: str,
    stack_region: str,
) -> None:
    """Raise ``InvalidEvent`` unless the event and its package come from an allowed place.

    Empty ``allowed_accounts`` means the stack's account only; an empty ``stack_account`` /
    ``stack_region`` (not configured) skips that check."""
    accounts = set(allowed_accounts) or ({stack_account} if stack_account else set())
    account = event.get("account")
    region = event.get("region")
    if accounts and account not in accounts:
        raise InvalidEvent(
            f"the approval event comes from account {_clip(account)}, which this stack does "
            f"not accept events from (allowed: {', '.join(sorted(accounts))}); set the "
            "template's AllowedEventAccounts to accept it"
        )
    if stack_region and region != stack_region:
        raise InvalidEvent(
            f"the approval event comes from region {_clip(region)}; this stack deploys "
            f"approvals of its own region {stack_region} only"
        )
    raw_detail = event.get("detail")
    detail: dict[str, Any] = raw_detail if isinstance(raw_detail, dict) else {}
    arn = str(detail.get("ModelPackageArn", ""))
    match = PACKAGE_ARN.match(arn)
    if match is None:
        raise InvalidEvent(
            f"ModelPackageArn {_clip(arn)} is not a SageMaker model package version ARN "
            "(arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version>)"
        )
    if accounts and match["account"] not in accounts:
        raise InvalidEvent(
            f"model package {arn} belongs to account {match['account']}, which this stack "
            "does not accept packages from"
        )
    if stack_region and match["region"] != stack_region:
        raise InvalidEvent(
            f"model package {arn} is in region {match['region']}; this stack deploys "
            f"packages of its own region {stack_region} only"
        )
    group, version = arn.split("/")[1], arn.split("/")[2]
    if group != detail.get("ModelPackageGroupName") or version != str(
        detail.get("ModelPackageVersion")
    ):
        raise InvalidEvent(
            f"model package {arn} is not version {_clip(detail.get('ModelPackageVersion'))} of "
            f"group {_clip(detail.get('ModelPackageGroupName'))}, as the event says"
        )
