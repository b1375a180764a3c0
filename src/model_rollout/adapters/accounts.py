"""Other accounts: boto3 clients that act there through a role this stack may assume.

A stage in another account is reached through the role that account's stack creates for it
(``<ResourcePrefix>-stage-promotion``: PutEvents on its default bus, nothing else), and a
registry in another account through ``<ResourcePrefix>-registry-access`` (read the package
and its reports, write its approval status and ``ModelLifeCycle``). Credentials are kept per
role until five minutes before they expire. Nothing here touches AWS at import time.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from model_rollout.adapters.aws import default_client

SESSION_SECONDS = 3600
_RENEW_MARGIN = 300


def role_arn(account_id: str, role_name: str, partition: str = "aws") -> str:
    return f"arn:{partition}:iam::{account_id}:role/{role_name}"


def account_of(arn: str) -> str:
    """The account field of an ARN (empty when it has none)."""
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 else ""


class AssumedRoles:
    """Clients acting as an assumed role, one session per role, renewed before it expires."""

    def __init__(self, sts: Any | None = None, *, session_name: str = "model-rollout") -> None:
        self._sts = sts
        self._session_name = session_name
        self._sessions: dict[str, tuple[float, Any]] = {}
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    @property
    def sts(self) -> Any:
        return self._sts if self._sts is not None else default_client("sts")

    def _session(self, arn: str) -> Any:
        import boto3  # lazily: handlers import fast

        with self._lock:
            found = self._sessions.get(arn)
            if found is not None and found[0] - _RENEW_MARGIN > time.time():
                return found[1]
            answer = self.sts.assume_role(
                RoleArn=arn, RoleSessionName=self._session_name, DurationSeconds=SESSION_SECONDS
            )
            credentials = answer["Credentials"]
            expires = credentials["Expiration"]
            expires_at = (
                expires.timestamp() if hasattr(expires, "timestamp") else time.time() + 3600
            )
            session = boto3.session.Session(
                aws_access_key_id=credentials["AccessKeyId"],
                aws_secret_access_key=credentials["SecretAccessKey"],
                aws_session_token=credentials["SessionToken"],
            )
            self._sessions[arn] = (expires_at, session)
            self._clients = {k: v for k, v in self._clients.items() if k[0] != arn}
            return session

    def client(self, service: str, arn: str) -> Any:
        """A client of ``service`` acting as the role ``arn``."""
        from botocore.config import Config

        session = self._session(arn)
        key = (arn, service)
        with self._lock:
            if key not in self._clients:
                self._clients[key] = session.client(
                    service, config=Config(retries={"mode": "standard", "max_attempts": 3})
                )
            return self._clients[key]
