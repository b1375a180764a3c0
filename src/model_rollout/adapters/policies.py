"""Deployment policies in SSM Parameter Store: ``<prefix><ModelPackageGroupName>``."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from model_rollout.adapters.aws import LazyClient, error_code, error_message, throttling_as
from model_rollout.config import settings
from model_rollout.domain.policy import Policy, parse_policy
from model_rollout.errors import InvalidPolicy, PolicyNotFound


class PolicyStore(LazyClient):
    """Reads the policy of a model package group (an SSM client, lazily the default one)."""

    service = "ssm"

    def __init__(self, client: Any | None = None, *, prefix: str | None = None) -> None:
        super().__init__(client)
        self._prefix = prefix

    @property
    def prefix(self) -> str:
        return self._prefix if self._prefix is not None else settings().policy_parameter_prefix

    def parameter_name(self, group: str) -> str:
        return f"{self.prefix}{group}"

    def load(self, group: str) -> Policy:
        """The group's policy; ``PolicyNotFound`` / ``InvalidPolicy`` name the parameter."""
        name = self.parameter_name(group)
        try:
            with throttling_as(f"reading policy parameter {name}"):
                response = self.client.get_parameter(Name=name, WithDecryption=True)
        except ClientError as error:
            if error_code(error) == "ParameterNotFound":
                raise PolicyNotFound(
                    f"no deployment policy for model package group {group!r}: SSM parameter "
                    f"{name} does not exist; put the group's policy JSON there"
                ) from None
            if error_code(error) in {"ValidationException", "AccessDeniedException"}:
                raise PolicyNotFound(
                    f"the deployment policy of model package group {group!r} cannot be read "
                    f"from SSM parameter {name}: {error_message(error)}"
                ) from None
            raise
        value = response.get("Parameter", {}).get("Value")
        if not isinstance(value, str) or not value.strip():
            raise InvalidPolicy(f"policy {name} is empty; it must hold the policy JSON")
        return parse_policy(value, source=name)
