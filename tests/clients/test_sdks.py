"""The SDKs on the local stack, from their own venv: sagemaker-core and the classic
SDK's Predictor (``.venv-clients``, ``make clients-venv``)."""

from __future__ import annotations

import pytest

from .conftest import GROUP, Story, run_sdk

pytestmark = [pytest.mark.slow, pytest.mark.stack]


@pytest.mark.parametrize("client", [f"sagemaker-core{GROUP}"])
def test_sagemaker_core_walks_registry_endpoint_config_model_and_invokes(
    story: Story, local_stack: object, client: str
) -> None:
    got = run_sdk(
        local_stack.endpoint_url,  # type: ignore[attr-defined]
        "sagemaker_core_walk.py",
        {"group": story.group, "endpoint": story.endpoint},
    )
    assert got["group"] == story.group and got["group_status"] == "Completed"
    assert set(got["packages"]) == set(story.packages)
    assert set(got["packages"].values()) <= {"Approved", "Rejected"}
    assert got["endpoint_status"] == "InService"
    assert got["variants"] == [got["invoked_variant"]]
    (container,) = got["models"].values()
    assert container["model_package_name"] == story.packages[0]  # rolled back to v1
    assert got["vpc_config"] == ["None"]
    assert float(got["body"]) == pytest.approx(0.5 * 0.5 - 0.25 * 0.25 + 0.1 * 1.0, abs=1)


@pytest.mark.parametrize("client", [f"sagemaker-predictor{GROUP}"])
def test_classic_sdk_predictor_predicts(story: Story, local_stack: object, client: str) -> None:
    got = run_sdk(
        local_stack.endpoint_url,  # type: ignore[attr-defined]
        "predictor_invoke.py",
        {"endpoint": story.endpoint, "rows": [[0.5, 0.25, 1.0], [1.0, 2.0, 3.0]]},
    )
    assert got["endpoint_status"] == "InService"
    assert got["content_type"] == "text/csv"
    assert len(got["answers"]) == 2
    for answer in got["answers"]:
        (row,) = answer
        float(row[0])
