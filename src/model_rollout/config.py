"""Configuration of the steps: the environment variables template.yaml gives the functions.

Every variable the template sets is required, typed and validated: a missing or invalid one
raises ``ConfigurationError`` naming every such variable, when a handler first needs the
settings (not at import time, so that tests and the local stack set the environment first).

- ``Settings``: the template's ``Globals`` (every function); read once per container.
- ``InferenceSettings`` and the models built on it: the batch transform and asynchronous
  inference variables, some set on one function only. They are read at each call (cheap):
  the local stack runs every function in one process, each invocation with its own
  environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError


class ConfigurationError(RuntimeError):
    """The function's environment lacks a variable template.yaml gives it, or one is invalid."""


def _split(value: Any) -> Any:
    """A comma-separated list (CloudFormation ``!Join [",", CommaDelimitedList]``)."""
    if isinstance(value, str):
        return tuple(item.strip() for item in value.split(",") if item.strip())
    return value


Name = Annotated[str, Field(min_length=1)]
TableName = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{3,255}$")]
BucketName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
AccountId = Annotated[str, Field(pattern=r"^\d{12}$")]
RoleArn = Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")]
TopicArn = Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]+$")]
Seconds = Annotated[int, Field(ge=1)]


class _Environment(BaseModel):
    """Settings read from environment variables: each field's alias is its variable."""

    model_config = ConfigDict(frozen=True, validate_by_name=True, validate_by_alias=True)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Self:
        env = os.environ if environ is None else environ
        variables = [field.alias for field in cls.model_fields.values() if field.alias]
        found = {name: env[name] for name in variables if name in env}
        try:
            return cls.model_validate(found)
        except ValidationError as error:
            problems = []
            for e in error.errors():
                name = str(e["loc"][0]) if e["loc"] else "(environment)"
                if e["type"] == "missing":
                    problems.append(f"{name} is missing")
                else:
                    problems.append(f"{name}={e['input']!r} is invalid ({e['msg']})")
            raise ConfigurationError(
                f"the function's environment is incomplete or invalid: {'; '.join(problems)}. "
                "These variables come from template.yaml (Globals.Function.Environment, or the "
                "function's own Environment); deploy the template, or set them as it does."
            ) from None


class Settings(_Environment):
    """The template's ``Globals``: what every function gets."""

    deployments_table: TableName = Field(alias="DEPLOYMENTS_TABLE")
    waiters_table: TableName = Field(alias="WAITERS_TABLE")
    locks_table: TableName = Field(alias="LOCKS_TABLE")
    policy_parameter_prefix: str = Field(alias="POLICY_PARAMETER_PREFIX", pattern=r"^/")
    resource_prefix: Name = Field(alias="RESOURCE_PREFIX")
    retained_releases: int = Field(alias="RETAINED_RELEASES", ge=0)
    endpoint_wait_seconds: Seconds = Field(alias="ENDPOINT_WAIT_SECONDS")
    sagemaker_execution_role_arn: RoleArn = Field(alias="SAGEMAKER_EXECUTION_ROLE_ARN")
    # endpoint locks (model_rollout.steps.endpoint_lock)
    lock_poll_seconds: Seconds = Field(alias="ENDPOINT_LOCK_POLL_SECONDS")
    lock_lease_seconds: Seconds = Field(alias="ENDPOINT_LOCK_LEASE_SECONDS")
    # allowed event origins (domain.event_origin); empty: the stack's own account only
    allowed_event_accounts: Annotated[tuple[AccountId, ...], BeforeValidator(_split)] = Field(
        alias="ALLOWED_EVENT_ACCOUNTS"
    )
    stack_account: AccountId = Field(alias="STACK_ACCOUNT_ID")
    stack_region: str = Field(alias="STACK_REGION", pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")
    # where deployment reports go (reporting.reports); empty writes none
    reports_bucket: BucketName | Literal[""] = Field(alias="REPORTS_BUCKET")


@cache
def settings() -> Settings:
    return Settings.from_environment()


class InferenceSettings(_Environment):
    """The batch transform and asynchronous inference variables of the template's Globals."""

    inference_bucket: BucketName = Field(alias="INFERENCE_BUCKET")
    async_success_topic_arn: TopicArn = Field(alias="ASYNC_SUCCESS_TOPIC_ARN")
    async_error_topic_arn: TopicArn = Field(alias="ASYNC_ERROR_TOPIC_ARN")
    # not set by the template: the product's own defaults, which a function may override
    batch_output_prefix: Name = Field(default="batch/output/", alias="BATCH_OUTPUT_PREFIX")
    transform_instance_type: Name = Field(default="ml.m5.large", alias="TRANSFORM_INSTANCE_TYPE")

    @property
    def batch_output_uri(self) -> str:
        return f"s3://{self.inference_bucket}/{self.batch_output_prefix.strip('/')}"

    @property
    def async_output_uri(self) -> str:
        return f"s3://{self.inference_bucket}/async/output"

    @property
    def async_failure_uri(self) -> str:
        return f"s3://{self.inference_bucket}/async/failure"


class TransformSettings(InferenceSettings):
    """PrepareTransformFunction's environment."""

    batch_input_prefix: Name = Field(alias="BATCH_INPUT_PREFIX")
    transform_wait_seconds: Seconds = Field(alias="TRANSFORM_WAIT_SECONDS")


class AsyncSubmitSettings(InferenceSettings):
    """SubmitAsyncFunction's environment."""

    # besides the inference bucket; may be empty
    allowed_buckets: Annotated[tuple[BucketName, ...], BeforeValidator(_split)] = Field(
        alias="ASYNC_ALLOWED_BUCKETS"
    )

    @property
    def async_allowed_buckets(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([self.inference_bucket, *self.allowed_buckets]))


class AsyncRequestsSettings(_Environment):
    """SubmitAsyncFunction's, AsyncResultFunction's and AsyncStatusFunction's environment."""

    async_requests_table: TableName = Field(alias="ASYNC_REQUESTS_TABLE")


class ABResultsSettings(_Environment):
    """EvaluateABFunction's environment."""

    ab_results_table: TableName = Field(alias="AB_RESULTS_TABLE")


def inference_settings() -> InferenceSettings:
    """Read at each call (cheap): the functions set different variables, and the local stack
    runs them all in one process, each invocation with its own environment."""
    return InferenceSettings.from_environment()


def transform_settings() -> TransformSettings:
    return TransformSettings.from_environment()


def async_submit_settings() -> AsyncSubmitSettings:
    return AsyncSubmitSettings.from_environment()


def async_requests_settings() -> AsyncRequestsSettings:
    return AsyncRequestsSettings.from_environment()


def ab_results_settings() -> ABResultsSettings:
    return ABResultsSettings.from_environment()
