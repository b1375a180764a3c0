"""What a data scientist and an application do around the control plane, in plain boto3.

Used by the demo, the end-to-end tests and the benchmarks: upload a local model and its
quality report, write a group's policy, register and approve versions, send traffic, and
wait (with deadlines) for the deployment an approval started. Works against any stack that
speaks the AWS APIs: the embedded one in this process or one in another process.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from rollout_local import accounts
from rollout_local.local_model import model_tarball

REGION = "us-east-1"
DEFAULT_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}


#: executions already known, in a row, after which ``ListExecutions`` (newest first) is not
#: paged further: executions started at the same instant may be listed slightly out of order
_KNOWN_RUN = 10


def package_in_input(text: str) -> str:
    """The model package an execution's input names: the approval event's
    ``detail.ModelPackageArn``, or a direct input's ``model_package_arn``; else ``""``."""
    try:
        document = json.loads(text)
    except ValueError:
        return ""
    if not isinstance(document, dict):
        return ""
    detail = document.get("detail")
    if isinstance(detail, dict):
        return str(detail.get("ModelPackageArn", ""))
    return str(document.get("model_package_arn", ""))


class DeadlineExceeded(AssertionError):
    """A condition did not hold before its deadline."""


def wait_until(
    condition: Callable[[], Any], *, timeout: float, interval: float = 0.1, what: str = ""
) -> Any:
    """Poll ``condition`` until it returns a truthy value; fail loudly at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise DeadlineExceeded(f"not within {timeout:.0f}s: {what or condition}")
        time.sleep(interval)


def linear_model(
    weights: list[float],
    *,
    bias: float = 0.0,
    error_rate: float = 0.0,
    latency_ms: float = 20,
    fail_to_start: bool = False,
) -> dict[str, Any]:
    """The local model format the embedded stack serves (see DESIGN.md, "local model")."""
    return {
        "type": "linear",
        "weights": weights,
        "bias": bias,
        "error_rate": error_rate,
        "latency_ms": latency_ms,
        "fail_to_start": fail_to_start,
    }


def quality_report(metric: str, value: float) -> dict[str, Any]:
    """A SageMaker model-quality statistics report with one binary-classification metric."""
    return {"binary_classification_metrics": {metric: {"value": value, "standard_deviation": 0.0}}}


@dataclass
class Workbench:
    endpoint_url: str | None = None
    bucket: str = ""
    #: the account whose administrator the clients are (``None``: the default account)
    account_id: str | None = None
    _clients: dict[str, Any] = field(default_factory=dict)
    _bucket_ready: bool = False
    _machine_arn: str | None = None
    #: execution ARN → the model package its input names (see ``_index_executions``)
    _packages: dict[str, str] = field(default_factory=dict)
    _index_lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if not self.bucket:  # bucket names are global: one workbench bucket per account
            account = accounts.checked(self.account_id)
            suffix = "" if account == accounts.DEFAULT_ACCOUNT_ID else f"-{account}"
            self.bucket = f"model-rollout-workbench{suffix}"

    def client(self, service: str) -> Any:
        if service not in self._clients:
            client = boto3.client(
                service,
                region_name=REGION,
                endpoint_url=self.endpoint_url,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
                config=Config(retries={"max_attempts": 3, "mode": "standard"}),
            )
            self._clients[service] = accounts.administered(client, self.account_id)
        return self._clients[service]

    # ------------------------------------------------------------------ artifacts
    def _put(self, key: str, body: bytes) -> str:
        s3 = self.client("s3")
        if not self._bucket_ready:
            try:
                s3.create_bucket(Bucket=self.bucket)
            except ClientError as error:
                if error.response["Error"]["Code"] != "BucketAlreadyOwnedByYou":
                    raise
            self._bucket_ready = True
        s3.put_object(Bucket=self.bucket, Key=key, Body=body)
        return f"s3://{self.bucket}/{key}"

    def upload_model(self, name: str, model: dict[str, Any]) -> str:
        """Upload ``model.tar.gz`` holding ``model.json``, as a training job would."""
        return self._put(f"models/{name}/model.tar.gz", model_tarball(model))

    def upload_report(self, name: str, report: dict[str, Any] | str) -> str:
        body = report if isinstance(report, str) else json.dumps(report)
        return self._put(f"reports/{name}/evaluation.json", body.encode())

    # ------------------------------------------------------------------ registry
    def put_policy(self, group: str, policy: dict[str, Any] | str) -> None:
        value = policy if isinstance(policy, str) else json.dumps(policy)
        self.client("ssm").put_parameter(
            Name=f"/model-rollout/policies/{group}", Value=value, Type="String", Overwrite=True
        )

    def ensure_group(self, group: str) -> None:
        try:
            self.client("sagemaker").create_model_package_group(ModelPackageGroupName=group)
        except ClientError as error:
            if "already exists" not in error.response["Error"]["Message"].lower():
                raise

    def register(
        self,
        group: str,
        *,
        model_url: str,
        report_url: str | None,
        metadata: dict[str, str] | None = None,
        approval: str = "PendingManualApproval",
    ) -> str:
        """Register a model version (CreateModelPackage); returns its ARN."""
        self.ensure_group(group)
        request: dict[str, Any] = {
            "ModelPackageGroupName": group,
            "ModelApprovalStatus": approval,
            "InferenceSpecification": {
                "Containers": [{"Image": DEFAULT_IMAGE, "ModelDataUrl": model_url}],
                "SupportedContentTypes": ["text/csv", "application/json"],
                "SupportedResponseMIMETypes": ["text/csv", "application/json"],
            },
            "CustomerMetadataProperties": metadata or {},
        }
        if report_url:
            request["ModelMetrics"] = {
                "ModelQuality": {
                    "Statistics": {"ContentType": "application/json", "S3Uri": report_url}
                }
            }
        return str(self.client("sagemaker").create_model_package(**request)["ModelPackageArn"])

    def set_approval(self, package_arn: str, status: str, description: str = "") -> None:
        self.client("sagemaker").update_model_package(
            ModelPackageArn=package_arn,
            ModelApprovalStatus=status,
            ApprovalDescription=description or f"{status} by the workbench",
        )

    def approve(self, package_arn: str) -> None:
        self.set_approval(package_arn, "Approved")

    # ------------------------------------------------------------------ executions
    def state_machine_arn(self) -> str:
        if self._machine_arn is None:
            machines = self.client("stepfunctions").list_state_machines()["stateMachines"]
            names = [m["name"] for m in machines]
            found = [m["stateMachineArn"] for m in machines if "DeployModel" in m["name"]]
            if not found:
                raise LookupError(f"no deploy-model state machine among {names}")
            self._machine_arn = str(found[0])
        return self._machine_arn

    def _index_executions(self, machine_arn: str) -> None:
        """Learn the package of every execution started since the last look.

        ``ListExecutions`` lists newest first; each execution is described once (its input
        never changes), and listing stops after a run of executions already known, so many
        waits on a stack with thousands of executions stay cheap.
        """
        sfn = self.client("stepfunctions")
        fresh: list[str] = []
        known_in_a_row = 0
        pages = sfn.get_paginator("list_executions").paginate(
            stateMachineArn=machine_arn, PaginationConfig={"PageSize": 2 * _KNOWN_RUN}
        )
        for page in pages:
            for item in page["executions"]:
                arn = str(item["executionArn"])
                with self._index_lock:
                    known = arn in self._packages
                if not known:
                    fresh.append(arn)
                    known_in_a_row = 0
                else:
                    known_in_a_row += 1
            if known_in_a_row >= _KNOWN_RUN:
                break
        for arn in fresh:
            package = package_in_input(sfn.describe_execution(executionArn=arn).get("input", ""))
            with self._index_lock:
                self._packages[arn] = package

    def executions_for(
        self, package_arn: str, machine_arn: str | None = None
    ) -> list[dict[str, Any]]:
        """Executions (of the deploy-model state machine unless ``machine_arn`` says
        otherwise) started for this package, oldest first, freshly described."""
        machine = machine_arn or self.state_machine_arn()
        self._index_executions(machine)
        # arn:aws:states:<region>:<account>:execution:<machine name>:<execution name>
        prefix = machine.replace(":stateMachine:", ":execution:", 1) + ":"
        with self._index_lock:
            mine = [
                arn
                for arn, package in self._packages.items()
                if package == package_arn and arn.startswith(prefix)
            ]
        sfn = self.client("stepfunctions")
        found = [sfn.describe_execution(executionArn=arn) for arn in mine]
        return sorted(found, key=lambda e: e["startDate"])

    def wait_for_execution(
        self, package_arn: str, *, timeout: float = 90, started_after: int = 0
    ) -> dict[str, Any]:
        """The first deployment execution of ``package_arn`` (after the first
        ``started_after`` ones), once it has ended."""

        def ended() -> dict[str, Any] | None:
            runs = self.executions_for(package_arn)
            if len(runs) > started_after and runs[started_after]["status"] in TERMINAL:
                return runs[started_after]
            return None

        return dict(
            wait_until(ended, timeout=timeout, interval=0.25, what=f"deployment of {package_arn}")
        )

    def wait_for_state(self, execution_arn: str, state: str, *, timeout: float = 60) -> None:
        """Wait until the execution has entered ``state``."""

        def entered() -> bool:
            return state in self.entered_states(execution_arn)

        wait_until(entered, timeout=timeout, interval=0.1, what=f"{execution_arn} enters {state}")

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        sfn = self.client("stepfunctions")
        events: list[dict[str, Any]] = []
        token = None
        while True:
            page = sfn.get_execution_history(
                executionArn=execution_arn,
                maxResults=1000,
                **({"nextToken": token} if token else {}),
            )
            events.extend(page["events"])
            token = page.get("nextToken")
            if not token:
                return events

    def explain(self, execution: dict[str, Any]) -> str:
        """One line on how an execution ended: status, error, cause, the last states entered."""
        arn = execution["executionArn"]
        described = self.client("stepfunctions").describe_execution(executionArn=arn)
        states = self.entered_states(arn)
        parts = [described["status"]]
        if described.get("error"):
            parts.append(f"error {described['error']}")
        if described.get("cause"):
            parts.append(f"cause {described['cause'][:400]}")
        parts.append("states " + " > ".join(states[-6:]))
        return f"{arn.rsplit(':', 1)[-1]}: " + "; ".join(parts)

    def entered_states(self, execution_arn: str) -> list[str]:
        return [
            e["stateEnteredEventDetails"]["name"]
            for e in self.history(execution_arn)
            if "stateEnteredEventDetails" in e
        ]

    def state_output(self, execution_arn: str, state: str) -> dict[str, Any] | None:
        """The document as ``state`` left it (its latest exit), or None if it never exited."""
        outputs = [
            e["stateExitedEventDetails"].get("output")
            for e in self.history(execution_arn)
            if e.get("stateExitedEventDetails", {}).get("name") == state
        ]
        return json.loads(outputs[-1]) if outputs and outputs[-1] else None

    def running_execution(self, package_arn: str, *, timeout: float = 30) -> str:
        """The ARN of the package's first execution, once it has started."""
        runs = wait_until(
            lambda: self.executions_for(package_arn),
            timeout=timeout,
            what=f"an execution for {package_arn}",
        )
        return str(runs[0]["executionArn"])

    # ------------------------------------------------------------------ endpoint
    def describe_endpoint(self, name: str) -> dict[str, Any] | None:
        try:
            return dict(self.client("sagemaker").describe_endpoint(EndpointName=name))
        except ClientError as error:
            if "Could not find" in error.response["Error"]["Message"]:
                return None
            raise

    def endpoint_tags(self, name: str) -> dict[str, str]:
        described = self.describe_endpoint(name)
        if described is None:
            return {}
        tags = self.client("sagemaker").list_tags(ResourceArn=described["EndpointArn"])["Tags"]
        return {t["Key"]: t["Value"] for t in tags}

    def weights(self, name: str) -> dict[str, float]:
        described = self.describe_endpoint(name) or {}
        return {
            v["VariantName"]: float(v.get("CurrentWeight", 0))
            for v in described.get("ProductionVariants", [])
        }

    @contextmanager
    def traffic(
        self, endpoint_name: str, *, rate_per_second: float = 20, features: int = 3
    ) -> Iterator[Counter[str]]:
        """Send requests to the endpoint on a thread until the block ends.

        Yields a counter of outcomes by variant: ``"<variant>:ok"`` / ``"<variant>:error"``,
        plus ``"unavailable"`` while the endpoint cannot be invoked.
        """
        runtime = self.client("sagemaker-runtime")
        outcomes: Counter[str] = Counter()
        stop = threading.Event()
        rng = random.Random(7)

        def send() -> None:
            while not stop.is_set():
                row = ",".join(f"{rng.uniform(-1, 1):.3f}" for _ in range(features))
                try:
                    answer = runtime.invoke_endpoint(
                        EndpointName=endpoint_name, ContentType="text/csv", Body=row
                    )
                    outcomes[f"{answer.get('InvokedProductionVariant', '?')}:ok"] += 1
                except ClientError as error:
                    code = error.response["Error"]["Code"]
                    if code == "ModelError":
                        variant = (
                            error.response.get("ResponseMetadata", {})
                            .get("HTTPHeaders", {})
                            .get("x-amzn-invoked-production-variant", "?")
                        )
                        outcomes[f"{variant}:error"] += 1
                    else:
                        outcomes["unavailable"] += 1
                stop.wait(1 / rate_per_second)

        worker = threading.Thread(target=send, name=f"traffic-{endpoint_name}", daemon=True)
        worker.start()
        try:
            yield outcomes
        finally:
            stop.set()
            worker.join(timeout=10)
