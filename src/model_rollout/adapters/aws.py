"""Shared plumbing of the AWS adapters: lazily created clients and error translation.

Nothing here touches AWS at import time. A default client is created on first use and then
reused for the life of the container (``default_client`` is cached).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any
from urllib.parse import urlparse

from botocore.exceptions import ClientError

from model_rollout.errors import Throttled

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceededException",
        "SlowDown",
    }
)


@cache
def default_client(service: str) -> Any:
    """One boto3 client per service and container, created on first use."""
    import boto3  # imported lazily: handlers import fast
    from botocore.config import Config

    return boto3.client(service, config=Config(retries={"mode": "standard", "max_attempts": 3}))


def s3_location(uri: str) -> tuple[str, str] | None:
    """``(bucket, key)`` of an ``s3://bucket/key`` URI (the key may be empty: a bucket or a
    prefix); ``None`` when it is not one. Callers raise their own named error."""
    parsed = urlparse(uri)
    if parsed.scheme != "s3" or not parsed.netloc:
        return None
    return parsed.netloc, parsed.path.lstrip("/")


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def error_message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", "")) or str(error)


def is_throttling(error: ClientError) -> bool:
    return error_code(error) in THROTTLING_CODES


@contextmanager
def throttling_as(what: str) -> Iterator[None]:
    """Translate a throttling ClientError into ``Throttled`` (the state machine retries it)."""
    try:
        yield
    except ClientError as error:
        if is_throttling(error):
            raise Throttled(
                f"{what}: AWS throttled the call ({error_code(error)}); the step is retried"
            ) from error
        raise


class LazyClient:
    """Base of adapters: a boto3 client given to the constructor, or the lazy default."""

    service: str = ""

    def __init__(self, client: Any | None = None) -> None:
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is not None:
            return self._client
        return default_client(self.service)
