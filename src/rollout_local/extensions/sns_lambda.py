"""SNS delivery to Lambda subscribers: the real handler runs, with the event AWS sends.

moto hands a Lambda subscription a canned event (fixed ``MessageId``, ``TopicArn`` of
``arn:aws:sns:EXAMPLE``, made-up message attributes) through a code path that, without
Docker, never reaches a handler. Implements, after the Lambda developer guide ("Using Lambda
with Amazon SNS", the example event) and the SNS developer guide (message delivery to
Lambda is asynchronous):

- A message published to a topic reaches each ``lambda`` subscription whose filter policy
  matches (moto's matcher), as an asynchronous (``Event``) invocation of the function's
  in-process handler (``rollout_local.lambda_runtime``): ``Publish`` returns at once.
- The event: ``{"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0",
  "EventSubscriptionArn": <subscription>, "Sns": {"Type": "Notification", "MessageId",
  "TopicArn", "Subject", "Message", "Timestamp" (ISO 8601, milliseconds, Z),
  "SignatureVersion", "Signature", "SigningCertUrl", "UnsubscribeUrl",
  "MessageAttributes": {name: {"Type", "Value"}}}}]}``.
- Raw delivery does not apply to Lambda subscriptions (as on AWS); ``MessageStructure=json``
  selects the ``lambda`` (or ``default``) entry, as moto already does.

Subscriptions to functions that are not registered in-process keep moto's behaviour.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from moto.sns.models import Subscription

from rollout_local import lambda_runtime
from rollout_local.extensions._fence import replace

_moto_publish = Subscription.publish


def sns_event(
    subscription: Subscription,
    message: str,
    message_id: str,
    subject: str | None,
    message_attributes: dict[str, Any] | None,
) -> dict[str, Any]:
    """The event Lambda receives for one SNS message (the documented example's shape)."""
    now = datetime.now(UTC)
    timestamp = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
    region = subscription.topic_arn.split(":")[3]
    return {
        "Records": [
            {
                "EventVersion": "1.0",
                "EventSubscriptionArn": subscription.arn,
                "EventSource": "aws:sns",
                "Sns": {
                    "SignatureVersion": "1",
                    "Timestamp": timestamp,
                    "Signature": "EXAMPLE",
                    "SigningCertUrl": f"https://sns.{region}.amazonaws.com/local.pem",
                    "MessageId": message_id,
                    "Message": message,
                    "MessageAttributes": {
                        name: {"Type": value.get("Type"), "Value": value.get("Value")}
                        for name, value in (message_attributes or {}).items()
                    },
                    "Type": "Notification",
                    "UnsubscribeUrl": (
                        f"https://sns.{region}.amazonaws.com/?Action=Unsubscribe"
                        f"&SubscriptionArn={subscription.arn}"
                    ),
                    "TopicArn": subscription.topic_arn,
                    "Subject": subject,
                },
            }
        ]
    }


def publish(
    self: Subscription,
    message: str,
    message_id: str,
    subject: str | None = None,
    message_attributes: dict[str, Any] | None = None,
    group_id: str | None = None,
    deduplication_id: str | None = None,
    message_structure: str | None = None,
) -> None:
    spec = None
    if self.protocol == "lambda":
        parts = self.endpoint.split(":")
        function_name = parts[6] if len(parts) >= 7 else self.endpoint
        account = parts[4] if len(parts) >= 7 else self.account_id
        spec = lambda_runtime.registered(function_name, account)
    if spec is None:
        _moto_publish(
            self,
            message,
            message_id,
            subject=subject,
            message_attributes=message_attributes,
            group_id=group_id,
            deduplication_id=deduplication_id,
            message_structure=message_structure,
        )
        return
    matcher = self._filter_policy_matcher
    if matcher is not None and not matcher.matches(message_attributes, message):
        return
    if message_structure == "json":
        message = self._parse_message_structure(message, self.protocol)
    event = sns_event(self, message, message_id, subject, message_attributes)
    lambda_runtime.run_async(spec, json.dumps(event))


def install() -> None:
    replace(
        Subscription,
        "publish",
        publish,
        (
            "self",
            "message",
            "message_id",
            "subject",
            "message_attributes",
            "group_id",
            "deduplication_id",
            "message_structure",
        ),
    )
