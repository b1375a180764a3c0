"""Batch transform and asynchronous inference, driven in plain boto3 as a user would.

Used by ``make demo-inference``, the end-to-end tests and the transform benchmark. Works
against any stack serving the deployed template (found by its resource names).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from rollout_local.workbench import TERMINAL, Workbench, wait_until


class FunctionFailed(AssertionError):
    """A Lambda invoke answered with a function error."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(f"{error_type}: {message}")
        self.error_type = error_type
        self.message = message


@dataclass
class Inference:
    bench: Workbench

    # ------------------------------------------------------------------ discovery
    def _function(self, logical_id: str) -> str:
        functions = self.bench.client("lambda").list_functions()["Functions"]
        for function in functions:
            if logical_id in function["FunctionName"]:
                return str(function["FunctionName"])
        raise LookupError(f"no function named like {logical_id}")

    @property
    def bucket(self) -> str:
        for bucket in self.bench.client("s3").list_buckets()["Buckets"]:
            if "inferencebucket" in bucket["Name"].lower():
                return str(bucket["Name"])
        raise LookupError("no InferenceBucket in the stack")

    def batch_state_machine_arn(self) -> str:
        for machine in self.bench.client("stepfunctions").list_state_machines()["stateMachines"]:
            if "BatchTransform" in machine["name"]:
                return str(machine["stateMachineArn"])
        raise LookupError("no batch transform state machine")

    # ------------------------------------------------------------------ data
    def put(self, key: str, body: str | bytes) -> str:
        self.bench.client("s3").put_object(Bucket=self.bucket, Key=key, Body=body)
        return f"s3://{self.bucket}/{key}"

    def read(self, uri: str) -> str:
        bucket, key = uri[5:].split("/", 1)
        body = self.bench.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
        return str(body.decode())

    # ------------------------------------------------------------------ batch
    def start_batch(self, request: dict[str, Any]) -> str:
        started = self.bench.client("stepfunctions").start_execution(
            stateMachineArn=self.batch_state_machine_arn(), input=json.dumps(request)
        )
        return str(started["executionArn"])

    def wait_execution(self, execution_arn: str, *, timeout: float = 60) -> dict[str, Any]:
        sfn = self.bench.client("stepfunctions")

        def ended() -> dict[str, Any] | None:
            described = sfn.describe_execution(executionArn=execution_arn)
            return dict(described) if described["status"] in TERMINAL else None

        return dict(wait_until(ended, timeout=timeout, interval=0.1, what=execution_arn))

    def batch_executions(self) -> list[dict[str, Any]]:
        sfn = self.bench.client("stepfunctions")
        found = sfn.list_executions(stateMachineArn=self.batch_state_machine_arn())["executions"]
        return [dict(e) for e in found]

    def run_batch(self, request: dict[str, Any], *, timeout: float = 60) -> dict[str, Any]:
        return self.wait_execution(self.start_batch(request), timeout=timeout)

    # ------------------------------------------------------------------ async
    def invoke(self, logical_id: str, payload: dict[str, Any]) -> dict[str, Any]:
        answer = self.bench.client("lambda").invoke(
            FunctionName=self._function(logical_id), Payload=json.dumps(payload).encode()
        )
        body = json.loads(answer["Payload"].read() or b"null")
        if answer.get("FunctionError"):
            raise FunctionFailed(str(body.get("errorType")), str(body.get("errorMessage")))
        return dict(body)

    def submit_async(self, endpoint_name: str, inputs: list[dict[str, Any]]) -> dict[str, Any]:
        return self.invoke(
            "SubmitAsyncFunction", {"endpoint_name": endpoint_name, "inputs": inputs}
        )

    def async_status(self, request_id: str) -> dict[str, Any]:
        return self.invoke("AsyncStatusFunction", {"request_id": request_id})

    def wait_async(self, request_id: str, *, timeout: float = 30) -> dict[str, Any]:
        def settled() -> dict[str, Any] | None:
            found = self.async_status(request_id)
            return found if found.get("status") in ("Completed", "Failed") else None

        return dict(
            wait_until(settled, timeout=timeout, interval=0.1, what=f"request {request_id}")
        )
