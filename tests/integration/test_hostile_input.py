"""Hostile input, property-based (hypothesis): events, policies and quality reports that are
wrong in every way a generator can find. Each gets a *named* error and writes nothing to AWS
(checked against moto: no claim, record, lock, SageMaker resource or alarm is created).

Counts of generated inputs are in docs/guarantees.md ("Hostile input").
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.helpers.documents import ACCOUNT, REGION, approval_event, policy_document
from tests.helpers.moto_env import DEPLOYMENTS_TABLE, RolloutWorld, mocked_aws

from model_rollout import errors
from model_rollout.adapters.registry import ModelRegistry
from model_rollout.config import settings as rollout_settings
from model_rollout.domain.deployment import Deployment
from model_rollout.steps.resolve_policy import ResolveRequest, ResolveServices, resolve_policy
from model_rollout.steps.validate import validate

GROUP = "churn"
EXAMPLES = {"events": 400, "policies": 250, "reports": 120}
NAMED = {
    "InvalidEvent",
    "PolicyNotFound",
    "InvalidPolicy",
    "ModelPackageNotFound",
    "ValidationFailed",
    "InvalidMetricsReport",
}
PROPERTY = settings(
    max_examples=EXAMPLES["events"],
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)


@contextmanager
def hostile_world() -> Iterator[tuple[RolloutWorld, str]]:
    with mocked_aws() as world:
        stack = {"STACK_ACCOUNT_ID": ACCOUNT, "STACK_REGION": REGION, "LOCKS_TABLE": "test-locks"}
        with mock.patch.dict(os.environ, stack):
            rollout_settings.cache_clear()
            world.put_policy(GROUP, policy_document())
            arn = world.create_package(GROUP)
            try:
                yield world, arn
            finally:
                rollout_settings.cache_clear()


def nothing_written(world: RolloutWorld) -> None:
    """No claim, record or lock item, no SageMaker resource, no alarm."""
    for table in (DEPLOYMENTS_TABLE, "test-locks"):
        assert world.dynamodb.scan(TableName=table)["Items"] == [], table
    assert world.sagemaker.list_endpoints()["Endpoints"] == []
    assert world.sagemaker.list_endpoint_configs()["EndpointConfigs"] == []
    assert world.sagemaker.list_models()["Models"] == []
    cloudwatch = __import__("boto3").client("cloudwatch", region_name=REGION)
    assert cloudwatch.describe_alarms()["MetricAlarms"] == []


def resolve(event: Any) -> str:
    """ResolvePolicy on the event; the name of the error it raised (it must raise)."""
    request = ResolveRequest(event=event, deployment_id="d-1", execution_arn="arn:exec:d-1")
    try:
        resolve_policy(request, ResolveServices())
    except errors.RolloutError as error:
        return type(error).__name__
    raise AssertionError(f"accepted: {json.dumps(event, default=str)[:500]}")


# ---------------------------------------------------------------------- events
ODD_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"]), min_size=0, max_size=200
) | st.builds(
    lambda c, n: c * n, st.sampled_from(["\u202e", "\x00", "💥", "ℵ", "a"]), st.integers(0, 100_000)
)
ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ODD_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ODD_TEXT, inner, max_size=4),
    max_leaves=12,
)
REQUIRED = [
    ("detail-type",),
    ("source",),
    ("detail",),
    ("time",),
    ("account",),
    ("region",),
    ("detail", "ModelPackageArn"),
    ("detail", "ModelPackageGroupName"),
    ("detail", "ModelPackageVersion"),
    ("detail", "ModelApprovalStatus"),
]
FOREIGN_ARNS = [
    "arn:aws:sagemaker:us-east-1:999999999999:model-package/churn/1",  # other account
    "arn:aws:sagemaker:eu-west-1:123456789012:model-package/churn/1",  # other region
    "arn:aws:sagemaker:us-east-1:123456789012:model-package/other/1",  # other group
    "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/7",  # other version
    "arn:aws:s3:::bucket/model-package/churn/1",  # not SageMaker
    "arn:aws:sagemaker:us-east-1:123456789012:model-package-group/churn",  # a group
]


def _set(event: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    target = event
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


def _drop(event: dict[str, Any], path: tuple[str, ...]) -> None:
    target = event
    for key in path[:-1]:
        target = target[key]
    target.pop(path[-1], None)


@st.composite
def hostile_events(draw: st.DrawFn, arn: str) -> Any:
    event = approval_event(arn, group=GROUP)
    kind = draw(
        st.sampled_from(
            ["not-an-object", "missing", "wrong-type", "odd-text", "foreign", "status", "extra"]
        )
    )
    if kind == "not-an-object":
        return draw(st.none() | st.integers() | ODD_TEXT | st.lists(ANY_JSON, max_size=3))
    if kind == "missing":
        _drop(event, draw(st.sampled_from(REQUIRED)))
    elif kind == "wrong-type":
        path = draw(st.sampled_from(REQUIRED))
        value = draw(ANY_JSON.filter(lambda v: not isinstance(v, str)))
        if path == ("detail", "ModelPackageVersion") and isinstance(value, int):
            value = -abs(value) if value else "one"  # an int >= 1 could be valid
        _set(event, path, value)
    elif kind == "odd-text":
        path = draw(st.sampled_from([p for p in REQUIRED if p != ("detail",)]))
        _set(event, path, draw(ODD_TEXT.filter(lambda t: t not in {GROUP, "Approved"})))
    elif kind == "foreign":
        choice = draw(st.sampled_from(["arn", "account", "region"]))
        if choice == "arn":
            event["detail"]["ModelPackageArn"] = draw(st.sampled_from(FOREIGN_ARNS))
            event["resources"] = [event["detail"]["ModelPackageArn"]]
        elif choice == "account":
            event["account"] = draw(st.from_regex(r"\A[0-9]{12}\Z").filter(lambda a: a != ACCOUNT))
        else:
            event["region"] = draw(st.sampled_from(["eu-west-1", "us-west-2", "cn-north-1", ""]))
    elif kind == "status":
        event["detail"]["ModelApprovalStatus"] = draw(
            st.sampled_from(["Rejected", "PendingManualApproval", "approved", "APPROVED"])
        )
    # extra fields never make an event valid (nor invalid): add some to every kind but one
    if kind == "extra" or draw(st.booleans()):
        detail = event.get("detail")
        target = detail if isinstance(detail, dict) and draw(st.booleans()) else event
        target.update(draw(st.dictionaries(st.sampled_from(["x-extra", "Évent", "🙂"]), ANY_JSON)))
        if kind == "extra":  # and break one thing, or the event would be valid
            event["detail-type"] = "SageMaker Model Package State Change "
    return event


def test_hostile_events_get_a_named_error_and_write_nothing() -> None:
    seen: set[str] = set()
    with hostile_world() as (world, arn):

        @PROPERTY
        @given(event=hostile_events(arn))
        def check(event: Any) -> None:
            name = resolve(copy.deepcopy(event))
            assert name in NAMED, name
            seen.add(name)
            nothing_written(world)

        check()
    assert "InvalidEvent" in seen


def test_the_unmodified_event_is_accepted_so_the_properties_test_something() -> None:
    with hostile_world() as (world, arn):
        request = ResolveRequest(
            event=approval_event(arn, group=GROUP), deployment_id="d-1", execution_arn="x"
        )
        deployment = resolve_policy(request, ResolveServices())
        assert deployment.endpoint_name == "churn-prod"
        assert world.dynamodb.scan(TableName=DEPLOYMENTS_TABLE)["Count"] == 2  # claim + record


# ---------------------------------------------------------------------- policies
def _percent_out_of_range() -> st.SearchStrategy[float]:
    return st.floats(max_value=0, allow_nan=False) | st.floats(min_value=100, allow_nan=False)


@st.composite
def hostile_policies(draw: st.DrawFn) -> str:
    policy = policy_document()
    kind = draw(
        st.sampled_from(
            [
                "not-json",
                "not-object",
                "unknown-field",
                "wrong-type",
                "endpoint-name",
                "canary-percent",
                "canary-steps",
                "linear-step",
                "weights",
                "negative",
            ]
        )
    )
    if kind == "not-json":
        return draw(ODD_TEXT.filter(lambda t: not _is_json(t)))
    if kind == "not-object":
        return json.dumps(draw(st.lists(ANY_JSON, max_size=3) | st.integers() | st.none()))
    if kind == "unknown-field":
        policy[draw(st.sampled_from(["endpointName", "bake_secs", "x", "ℵ"]))] = draw(ANY_JSON)
    elif kind == "wrong-type":
        key = draw(st.sampled_from(["instance_count", "strategy", "alarms", "validation"]))
        policy[key] = draw(ODD_TEXT | st.lists(st.integers(), min_size=1))
    elif kind == "endpoint-name":
        policy["endpoint_name"] = draw(
            ODD_TEXT.filter(lambda t: not t.isascii() or not t.replace("-", "").isalnum())
        )
    elif kind == "canary-percent":
        policy["strategy"] = {"type": "canary", "percent": draw(_percent_out_of_range())}
    elif kind == "canary-steps":
        steps = draw(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1))
        if all(0 < s < 100 for s in steps) and steps == sorted(set(steps)):
            steps = [*steps, -1.0]
        policy["strategy"] = {"type": "canary", "steps": steps}
    elif kind == "linear-step":
        step = draw(st.floats(max_value=0, allow_nan=False) | st.floats(min_value=50.001))
        policy["strategy"] = {"type": "linear", "step_percent": step}
    elif kind == "weights":  # an A/B split that does not add up (no such strategy is valid)
        policy["strategy"] = {
            "type": "ab",
            "weights": draw(st.lists(st.integers(0, 99), max_size=3)),
        }
    else:
        field = draw(
            st.sampled_from(["instance_count", "alarms.max_error_rate", "alarms.period_seconds"])
        )
        value = draw(st.integers(max_value=-1) | st.floats(max_value=-0.001, allow_nan=False))
        if field.startswith("alarms."):
            policy["alarms"][field.split(".")[1]] = value
        else:
            policy[field] = value
    return json.dumps(policy)


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def test_hostile_policies_are_invalid_policy_and_write_nothing() -> None:
    with hostile_world() as (world, arn):

        @settings(PROPERTY, max_examples=EXAMPLES["policies"])
        @given(policy=hostile_policies())
        def check(policy: str) -> None:
            if policy.strip():
                world.put_policy(GROUP, policy)
                expected = "InvalidPolicy"
            else:  # SSM refuses an empty value: the group has no policy at all
                world.ssm.delete_parameter(Name=f"/model-rollout/policies/{GROUP}")
                expected = "PolicyNotFound"
            assert resolve(approval_event(arn, group=GROUP)) == expected
            nothing_written(world)

        check()


# ---------------------------------------------------------------------- reports
def test_quality_reports_that_are_not_json_objects_fail_the_gate_by_name() -> None:
    with hostile_world() as (world, arn):
        deployment = resolve_policy(
            ResolveRequest(
                event=approval_event(arn, group=GROUP), deployment_id="d", execution_arn="x"
            ),
            ResolveServices(),
        )
        document = deployment.model_dump(mode="json")

        @settings(PROPERTY, max_examples=EXAMPLES["reports"])
        @given(
            report=st.binary(max_size=2000).filter(lambda b: not _is_json_object(b))
            | ODD_TEXT.map(str.encode).filter(lambda b: not _is_json_object(b))
            | ANY_JSON.filter(lambda v: not isinstance(v, dict)).map(
                lambda v: json.dumps(v).encode()
            )
        )
        def check(report: bytes) -> None:
            package = world.create_package(GROUP, report=report.decode("latin-1"))
            candidate = Deployment.model_validate({**document, "model_package_arn": package})
            try:
                validate(candidate, ModelRegistry())
            except errors.RolloutError as error:
                assert type(error).__name__ == "InvalidMetricsReport", error
            else:
                raise AssertionError(f"report accepted: {report[:200]!r}")
            assert world.sagemaker.list_endpoints()["Endpoints"] == []

        check()


def _is_json_object(body: bytes) -> bool:
    try:
        return isinstance(json.loads(body), dict)
    except (UnicodeDecodeError, ValueError):
        return False
