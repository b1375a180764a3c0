"""Helpers of the delivery, serialization, fault and load tests (issue 6), in plain boto3."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from tests.e2e.scenario import Scenario

from rollout_local.workbench import TERMINAL, Workbench, wait_until

DETAIL_TYPE = "SageMaker Model Package State Change"


def approval_detail(bench: Workbench, package_arn: str, **changes: Any) -> dict[str, Any]:
    """The ``detail`` SageMaker sends for the package's approval (as the registry extension
    emits it: same LastModifiedTime, so every copy is the same change)."""
    described = bench.client("sagemaker").describe_model_package(ModelPackageName=package_arn)
    modified = described.get("LastModifiedTime") or described["CreationTime"]
    detail = {
        "ModelPackageGroupName": described["ModelPackageGroupName"],
        "ModelPackageVersion": described["ModelPackageVersion"],
        "ModelPackageArn": package_arn,
        "CreationTime": described["CreationTime"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "ModelPackageStatus": described.get("ModelPackageStatus", "Completed"),
        "ModelApprovalStatus": described["ModelApprovalStatus"],
        "UpdatedModelPackageFields": ["ModelApprovalStatus"],
        "LastModifiedTime": modified.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    detail.update(changes)
    return {k: v for k, v in detail.items() if v is not None}


def put_event(
    bench: Workbench,
    detail: dict[str, Any],
    *,
    source: str = "aws.sagemaker",
    detail_type: str = DETAIL_TYPE,
) -> dict[str, Any]:
    entry = {
        "Source": source,
        "DetailType": detail_type,
        "Detail": json.dumps(detail),
        "Resources": [str(detail.get("ModelPackageArn", ""))],
    }
    response = bench.client("events").put_events(Entries=[entry])
    assert response["FailedEntryCount"] == 0, response
    return dict(response)


def concurrently(calls: Iterable[Callable[[], Any]]) -> list[Any]:
    """Run the calls on threads started together (a barrier), return their results."""
    calls = list(calls)
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def ended_executions(
    bench: Workbench, package_arn: str, count: int, *, timeout: float = 90
) -> list[dict[str, Any]]:
    """The package's executions once there are ``count`` and all of them ended."""

    def ended() -> list[dict[str, Any]] | None:
        runs = bench.executions_for(package_arn)
        if len(runs) >= count and all(r["status"] in TERMINAL for r in runs):
            return runs
        return None

    return list(
        wait_until(ended, timeout=timeout, interval=0.5, what=f"{count} runs of {package_arn}")
    )


def records(bench: Workbench, table: str, endpoint: str) -> list[dict[str, Any]]:
    """The deployments table's records of an endpoint (plain values), oldest first."""
    from boto3.dynamodb.types import TypeDeserializer

    plain = TypeDeserializer()
    response = bench.client("dynamodb").query(
        TableName=table,
        IndexName="by-endpoint",
        KeyConditionExpression="endpoint_name = :e",
        ExpressionAttributeValues={":e": {"S": endpoint}},
    )
    return [{k: plain.deserialize(v) for k, v in item.items()} for item in response["Items"]]


def lock_entries(bench: Workbench, table: str, endpoint: str) -> list[dict[str, Any]]:
    response = bench.client("dynamodb").query(
        TableName=table,
        KeyConditionExpression="endpoint_name = :e",
        ExpressionAttributeValues={":e": {"S": endpoint}},
        ConsistentRead=True,
    )
    return list(response["Items"])


def state_times(bench: Workbench, execution_arn: str, state: str) -> tuple[datetime, datetime]:
    """When the execution (last) entered and exited ``state``."""
    entered = exited = None
    for event in bench.history(execution_arn):
        if event.get("stateEnteredEventDetails", {}).get("name") == state:
            entered = event["timestamp"]
        if event.get("stateExitedEventDetails", {}).get("name") == state:
            exited = event["timestamp"]
    assert entered is not None and exited is not None, f"{execution_arn} never ran {state}"
    return entered, exited


def serving(scenario: Scenario) -> dict[str, Any]:
    """The endpoint's config, weights and lineage tags (what a failed deployment restores)."""
    described = scenario.endpoint_state()
    if described is None:
        return {"exists": False}
    tags = scenario.tags()
    return {
        "exists": True,
        "status": described["EndpointStatus"],
        "config": described["EndpointConfigName"],
        "weights": scenario.weights(),
        "tags": {k: v for k, v in tags.items() if k.startswith("rollout:")},
    }


class Executions:
    """Waits for a package's execution of one state machine, on the workbench's index of
    executions (each described once), so many concurrent waits stay cheap."""

    def __init__(self, bench: Workbench) -> None:
        self.bench = bench

    def ended(self, package_arn: str, machine_arn: str, timeout: float) -> dict[str, Any]:
        def done() -> dict[str, Any] | None:
            runs = self.bench.executions_for(package_arn, machine_arn)
            return runs[0] if runs and runs[0]["status"] in TERMINAL else None

        return dict(wait_until(done, timeout=timeout, interval=2.0, what=package_arn))
