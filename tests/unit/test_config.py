"""The settings: every variable template.yaml gives the functions is required and validated."""

from __future__ import annotations

import pytest
from tests.helpers.moto_env import TEMPLATE_ENVIRONMENT

from model_rollout.config import (
    AsyncSubmitSettings,
    ConfigurationError,
    Settings,
    TransformSettings,
)
from rollout_local.template import load_template


def test_the_settings_read_the_template_environment() -> None:
    settings = Settings.from_environment(
        {**TEMPLATE_ENVIRONMENT, "ALLOWED_EVENT_ACCOUNTS": "111122223333, 444455556666"}
    )
    assert settings.retained_releases == 3 and settings.lock_lease_seconds == 172_800
    assert settings.allowed_event_accounts == ("111122223333", "444455556666")
    assert Settings.from_environment(TEMPLATE_ENVIRONMENT).allowed_event_accounts == ()
    submit = AsyncSubmitSettings.from_environment(
        {**TEMPLATE_ENVIRONMENT, "ASYNC_ALLOWED_BUCKETS": "shared,model-rollout-inference"}
    )
    assert submit.async_allowed_buckets == ("model-rollout-inference", "shared")


def test_a_missing_or_invalid_variable_is_named_with_every_other() -> None:
    environment = {
        k: v
        for k, v in TEMPLATE_ENVIRONMENT.items()
        if k not in ("DEPLOYMENTS_TABLE", "STACK_REGION")
    }
    environment["SAGEMAKER_EXECUTION_ROLE_ARN"] = "model-rollout-sagemaker"
    environment["RETAINED_RELEASES"] = "three"
    with pytest.raises(ConfigurationError) as caught:
        Settings.from_environment(environment)
    message = str(caught.value)
    for name in (
        "DEPLOYMENTS_TABLE is missing",
        "STACK_REGION is missing",
        "SAGEMAKER_EXECUTION_ROLE_ARN='model-rollout-sagemaker' is invalid",
        "RETAINED_RELEASES='three' is invalid",
        "template.yaml",
    ):
        assert name in message


def test_a_function_scoped_variable_is_required_where_it_is_read() -> None:
    without = {k: v for k, v in TEMPLATE_ENVIRONMENT.items() if k != "TRANSFORM_WAIT_SECONDS"}
    Settings.from_environment(without)  # the globals do not need it
    with pytest.raises(ConfigurationError, match="TRANSFORM_WAIT_SECONDS is missing"):
        TransformSettings.from_environment(without)


def test_every_variable_of_the_template_is_a_setting() -> None:
    """What the template gives the functions is what the settings read (and the tests set)."""
    from pathlib import Path

    template = load_template(Path(__file__).resolve().parents[2] / "template.yaml")
    variables = set(template["Globals"]["Function"]["Environment"]["Variables"])
    for resource in template["Resources"].values():
        if resource.get("Type") == "AWS::Serverless::Function":
            variables |= set(resource["Properties"].get("Environment", {}).get("Variables", {}))
    variables = {v for v in variables if not v.startswith("POWERTOOLS_")}
    from model_rollout import config

    read = {
        field.alias
        for model in (
            config.Settings,
            config.TransformSettings,
            config.AsyncSubmitSettings,
            config.AsyncRequestsSettings,
            config.ABResultsSettings,
        )
        for field in model.model_fields.values()
        if field.is_required()
    }
    assert variables == read
    assert variables <= set(TEMPLATE_ENVIRONMENT)
