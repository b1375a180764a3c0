"""Configuration of the batch transform and asynchronous inference steps (environment).

Read on first use, not at import time. The template sets these on the functions that need
them; the defaults are the local stack's names.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class InferenceSettings:
    inference_bucket: str
    batch_input_prefix: str
    batch_output_prefix: str
    transform_wait_seconds: int
    transform_instance_type: str
    async_requests_table: str
    async_success_topic_arn: str
    async_error_topic_arn: str
    async_allowed_buckets: tuple[str, ...]

    @property
    def batch_output_uri(self) -> str:
        return f"s3://{self.inference_bucket}/{self.batch_output_prefix.strip('/')}"

    @property
    def async_output_uri(self) -> str:
        return f"s3://{self.inference_bucket}/async/output"

    @property
    def async_failure_uri(self) -> str:
        return f"s3://{self.inference_bucket}/async/failure"

    @classmethod
    def from_environment(cls) -> InferenceSettings:
        env = os.environ
        bucket = env.get("INFERENCE_BUCKET", "model-rollout-inference")
        allowed = [b.strip() for b in env.get("ASYNC_ALLOWED_BUCKETS", "").split(",")]
        return cls(
            inference_bucket=bucket,
            batch_input_prefix=env.get("BATCH_INPUT_PREFIX", "batch/incoming/"),
            batch_output_prefix=env.get("BATCH_OUTPUT_PREFIX", "batch/output/"),
            transform_wait_seconds=int(env.get("TRANSFORM_WAIT_SECONDS", "86400")),
            transform_instance_type=env.get("TRANSFORM_INSTANCE_TYPE", "ml.m5.large"),
            async_requests_table=env.get("ASYNC_REQUESTS_TABLE", "model-rollout-async-requests"),
            async_success_topic_arn=env.get("ASYNC_SUCCESS_TOPIC_ARN", ""),
            async_error_topic_arn=env.get("ASYNC_ERROR_TOPIC_ARN", ""),
            async_allowed_buckets=tuple(dict.fromkeys([bucket, *(b for b in allowed if b)])),
        )


def inference_settings() -> InferenceSettings:
    """Read at each call (cheap): the functions set different variables, and the local stack
    runs them all in one process, each invocation with its own environment."""
    return InferenceSettings.from_environment()
