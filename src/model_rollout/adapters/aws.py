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

from model_rollout.errors import DeploymentFailed, Throttled

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


# What SageMaker says when a named resource is absent. Its describe and delete calls on an
# endpoint, endpoint config or model answer ``ValidationException`` with "Could not find
# endpoint ..." (DescribeModelPackage: "... does not exist"; other implementations: "...
# not found"); other APIs answer ``ResourceNotFound``, which needs no message to mean it.
_NOT_FOUND_MESSAGES = ("could not find", "does not exist", "not found")


def is_not_found(error: ClientError) -> bool:
    """The named resource does not exist. A ``ValidationException`` says so only in its
    message: the same code also rejects malformed input, which is not an absence."""
    code = error_code(error)
    if code == "ResourceNotFound":
        return True
    message = error_message(error).lower()
    return code == "ValidationException" and any(text in message for text in _NOT_FOUND_MESSAGES)


def is_already_exists(error: ClientError) -> bool:
    """A create call found its resource there already (a retried step's own)."""
    return error_code(error) in {"ValidationException", "ResourceInUse"} and (
        "already exist" in error_message(error).lower()
    )


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


@contextmanager
def rejection_as(what: str) -> Iterator[None]:
    """For a mutation: throttling → ``Throttled``; any other rejection → ``DeploymentFailed``
    with AWS's own code and message, which name what to fix."""
    try:
        with throttling_as(what):
            yield
    except ClientError as error:
        raise DeploymentFailed(
            f"{what} was rejected: {error_code(error)}: {error_message(error)}"
        ) from error


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
