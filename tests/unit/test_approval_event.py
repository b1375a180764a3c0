"""Parsing the "SageMaker Model Package State Change" event."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from tests.helpers.examples import APPROVED_EVENT, EVENTS, SHARED_EXAMPLES

from model_rollout.domain.approval import describe_raw_event, parse_approval_event
from model_rollout.errors import InvalidEvent

EXAMPLE = APPROVED_EVENT
ARN = "arn:aws:sagemaker:us-east-2:111122223333:model-package/versionedmp-p-idy6c3e1fiqj/2"


@pytest.fixture
def event() -> dict[str, Any]:
    return json.loads(EXAMPLE.read_text())


def test_the_documented_event(event: dict[str, Any]) -> None:
    approved = parse_approval_event(event)
    assert approved.model_package_arn == ARN
    assert approved.model_package_group == "versionedmp-p-idy6c3e1fiqj"
    assert approved.model_package_version == 2
    assert approved.event_id == "844e2571-85d4-695f-b930-0153b71dcb42"
    assert approved.event_time == "2021-02-24T17:00:14Z"
    assert approved.last_modified_time == "2021-02-24T17:00:14Z"
    assert approved.dedup_key == f"{ARN}@2021-02-24T17:00:14Z"
    assert approved.approval().event_id == approved.event_id


def test_duplicate_deliveries_share_the_key(event: dict[str, Any]) -> None:
    again = copy.deepcopy(event)
    again["id"] = "another-delivery"
    again["time"] = "2021-02-24T17:00:15Z"
    assert parse_approval_event(event).dedup_key == parse_approval_event(again).dedup_key


def test_a_later_reapproval_has_a_new_key(event: dict[str, Any]) -> None:
    later = copy.deepcopy(event)
    later["detail"]["LastModifiedTime"] = "2021-03-01T08:00:00Z"
    assert parse_approval_event(event).dedup_key != parse_approval_event(later).dedup_key


def test_without_last_modified_time_the_event_time_is_the_key(event: dict[str, Any]) -> None:
    del event["detail"]["LastModifiedTime"]
    event["time"] = "2021-02-24T18:00:00+01:00"
    approved = parse_approval_event(event)
    assert approved.last_modified_time is None
    assert approved.dedup_key == f"{ARN}@2021-02-24T17:00:00Z"


def test_created_approved_without_updated_fields(event: dict[str, Any]) -> None:
    del event["detail"]["UpdatedModelPackageFields"]
    assert parse_approval_event(event).model_package_version == 2


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda e: e.update({"detail-type": "SageMaker Endpoint State Change"}), "detail-type"),
        (lambda e: e.pop("detail-type"), "detail-type"),
        (lambda e: e.update({"source": "custom.app"}), "source"),
        (lambda e: e["detail"].update({"ModelApprovalStatus": "Rejected"}), "'Rejected'"),
        (
            lambda e: e["detail"].update({"ModelApprovalStatus": "PendingManualApproval"}),
            "PendingManualApproval",
        ),
        (lambda e: e["detail"].pop("ModelPackageArn"), "detail.ModelPackageArn"),
        (lambda e: e["detail"].pop("ModelPackageGroupName"), "detail.ModelPackageGroupName"),
        (lambda e: e["detail"].pop("ModelPackageVersion"), "detail.ModelPackageVersion"),
        (lambda e: e["detail"].update({"ModelPackageVersion": "two"}), "ModelPackageVersion"),
        (lambda e: e["detail"].update({"ModelPackageArn": ""}), "ModelPackageArn"),
        (lambda e: e.update({"detail": "not an object"}), "detail"),
        (lambda e: e.pop("time"), "time"),
        (
            lambda e: e["detail"].update(
                {"UpdatedModelPackageFields": ["CustomerMetadataProperties"]}
            ),
            "without an approval change",
        ),
    ],
)
def test_malformed_events_are_named(event: dict[str, Any], mutate: Any, fragment: str) -> None:
    mutate(event)
    with pytest.raises(InvalidEvent) as caught:
        parse_approval_event(event)
    assert fragment in str(caught.value)


@pytest.mark.parametrize("raw", [None, "text", [], 42])
def test_not_an_object(raw: Any) -> None:
    with pytest.raises(InvalidEvent, match="not a JSON object"):
        parse_approval_event(raw)


def test_describe_raw_event_is_best_effort(event: dict[str, Any]) -> None:
    assert describe_raw_event(event)["model_package_arn"] == ARN
    assert describe_raw_event("junk") == {}
    assert describe_raw_event({"detail": 5}) == {}


def test_the_repositorys_example_events_are_awss_examples() -> None:
    originals = sorted(SHARED_EXAMPLES.glob("*.json")) if SHARED_EXAMPLES.is_dir() else []
    if not originals:
        pytest.skip(f"no AWS examples beside the project ({SHARED_EXAMPLES.name} not found)")
    for original in originals:
        copy = EVENTS / original.name
        assert copy.is_file(), f"events/ lacks {original.name}"
        assert json.loads(copy.read_text()) == json.loads(original.read_text()), original.name
