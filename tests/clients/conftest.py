"""Real clients on the local stack: the AWS CLI v1, sagemaker-core, the classic SDK.

The stack is the session's (``tests/conftest.py``: the embedded stack on a free port, moto
in server mode, as ``rollout local up`` runs it). The clients run as other processes do
against ``rollout local up``: the AWS CLI from this venv (``awscli`` is a dev dependency)
and the SDKs from ``.venv-clients`` (``make clients-venv``: they pin their own boto3,
rich, attrs and packaging), both with only the environment a user sets
(``AWS_ENDPOINT_URL``, dummy credentials, region).

``story`` is the user story, done once per test process with the AWS CLI: put a policy,
register a model package, approve it, watch its execution deploy; then register a faulty
version and approve it while an application sends traffic, and watch the deployment roll
back (its alarm fires, the product deletes its alarms). The tests read what a user would
read afterwards. They share the story: their ids end in ``@clients`` (one worker runs them).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.scenario import default_policy

from rollout_local.local_model import model_tarball
from rollout_local.server import LocalStack
from rollout_local.workbench import Workbench, linear_model, quality_report, wait_until

REPOSITORY = Path(__file__).resolve().parents[2]
CLIENTS_PYTHON = REPOSITORY / ".venv-clients" / "bin" / "python"
SCRIPTS = Path(__file__).resolve().parent / "scripts"
AWS = Path(sys.executable).with_name("aws")
REGION = "us-east-1"
TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}

#: every test of the suite shares the story: one parametrized id per test, in this group
GROUP = "@clients"


def client_environment(endpoint_url: str) -> dict[str, str]:
    """What a user sets to point a client at the local stack (and nothing of theirs)."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "TMPDIR")}
    return {
        **keep,
        "HOME": tempfile.gettempdir(),
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "SAGEMAKER_SUPPRESS_V2_WARNING": "1",
        "PYTHONWARNINGS": "ignore",
    }


@dataclass
class Cli:
    """The stock AWS CLI v1 against the stack (``aws <service> <command> ... --output json``)."""

    endpoint_url: str
    calls: int = 0

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        self.calls += 1
        return subprocess.run(
            [str(AWS), *args, "--output", "json"],
            env=client_environment(self.endpoint_url),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def text(self, *args: str) -> str:
        """The output of a command that succeeds (``aws s3 cp`` prints text, not JSON)."""
        done = self.run(*args)
        if done.returncode != 0:
            raise AssertionError(f"aws {' '.join(args)} exited {done.returncode}: {done.stderr}")
        return done.stdout

    def __call__(self, *args: str) -> Any:
        out = self.text(*args)
        return json.loads(out) if out.strip() else None


def run_sdk(endpoint_url: str, script: str, params: dict[str, Any]) -> Any:
    """Run ``scripts/<script>`` with ``.venv-clients/bin/python``; its stdout is JSON."""
    if not CLIENTS_PYTHON.exists():
        pytest.skip(
            f"{CLIENTS_PYTHON.relative_to(REPOSITORY)} is absent: `make clients-venv` creates "
            "it (`make test` does)"
        )
    done = subprocess.run(
        [str(CLIENTS_PYTHON), str(SCRIPTS / script), json.dumps(params)],
        env=client_environment(endpoint_url),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(f"{script} exited {done.returncode}:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


@dataclass
class Story:
    """What the CLI did, for the tests to read back."""

    group: str
    endpoint: str
    bucket: str
    machine_arn: str = ""
    packages: list[str] = field(default_factory=list)
    executions: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0


def _register(cli: Cli, story: Story, work: Path, version: int, error_rate: float) -> str:
    name = f"{story.group}-v{version}"
    model = work / f"{name}.tar.gz"
    model.write_bytes(model_tarball(linear_model([0.5, -0.25, 0.1], error_rate=error_rate)))
    report = work / f"{name}.json"
    report.write_text(json.dumps(quality_report("accuracy", 0.9)))
    model_uri = f"s3://{story.bucket}/models/{name}/model.tar.gz"
    report_uri = f"s3://{story.bucket}/reports/{name}/evaluation.json"
    assert "upload:" in cli.text("s3", "cp", str(model), model_uri)
    assert "upload:" in cli.text("s3", "cp", str(report), report_uri)
    request = {
        "ModelPackageGroupName": story.group,
        "ModelApprovalStatus": "PendingManualApproval",
        "InferenceSpecification": {
            "Containers": [
                {
                    "Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
                    "ModelDataUrl": model_uri,
                }
            ],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["application/json"],
        },
        "ModelMetrics": {
            "ModelQuality": {"Statistics": {"ContentType": "application/json", "S3Uri": report_uri}}
        },
        "CustomerMetadataProperties": {
            "git_commit": f"c0ffee{version}",
            "data_version": f"data-{version}",
            "build_id": f"build-{version}",
        },
    }
    request_file = work / f"{name}-request.json"
    request_file.write_text(json.dumps(request))
    arn = str(
        cli("sagemaker", "create-model-package", "--cli-input-json", f"file://{request_file}")[
            "ModelPackageArn"
        ]
    )
    story.packages.append(arn)
    return arn


def _approve_and_watch(cli: Cli, story: Story, arn: str, timeout: float = 90) -> dict[str, Any]:
    cli(
        "sagemaker",
        "update-model-package",
        "--model-package-arn",
        arn,
        "--model-approval-status",
        "Approved",
        "--approval-description",
        "approved with the AWS CLI",
    )

    def started() -> str | None:
        listed = cli("stepfunctions", "list-executions", "--state-machine-arn", story.machine_arn)
        for item in listed["executions"]:
            described = cli(
                "stepfunctions", "describe-execution", "--execution-arn", item["executionArn"]
            )
            if arn in described.get("input", ""):
                return str(item["executionArn"])
        return None

    execution_arn = wait_until(started, timeout=30, interval=0.5, what=f"an execution for {arn}")

    def ended() -> dict[str, Any] | None:
        described = cli("stepfunctions", "describe-execution", "--execution-arn", execution_arn)
        return dict(described) if described["status"] in TERMINAL else None

    execution = wait_until(
        ended, timeout=timeout, interval=0.5, what=f"execution {execution_arn} to end"
    )
    story.executions.append(execution)
    return execution


@pytest.fixture(scope="session")
def cli(local_stack: LocalStack) -> Cli:
    return Cli(local_stack.endpoint_url)


@pytest.fixture(scope="session")
def story(local_stack: LocalStack, cli: Cli) -> Iterator[Story]:
    began = time.monotonic()
    story = Story(group="clients-churn", endpoint="clients-churn-ep", bucket="clients-artifacts")
    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        cli("s3api", "create-bucket", "--bucket", story.bucket)
        machines = cli("stepfunctions", "list-state-machines")["stateMachines"]
        story.machine_arn = next(
            m["stateMachineArn"] for m in machines if m["name"].endswith("DeployModelStateMachine")
        )
        cli("sagemaker", "create-model-package-group", "--model-package-group-name", story.group)

        def policy(**overrides: Any) -> None:
            document = default_policy(story.endpoint, **overrides)
            cli(
                "ssm",
                "put-parameter",
                "--name",
                f"/model-rollout/policies/{story.group}",
                "--type",
                "String",
                "--overwrite",
                "--value",
                json.dumps(document),
            )

        policy()
        first = _approve_and_watch(cli, story, _register(cli, story, work, 1, 0.0))
        assert first["status"] == "SUCCEEDED", first
        # the faulty version: its error-rate alarm fires under an application's traffic
        policy(strategy={"type": "all_at_once", "bake_seconds": 60})
        faulty = _register(cli, story, work, 2, 0.5)
        application = Workbench(endpoint_url=local_stack.endpoint_url)
        with application.traffic(story.endpoint, rate_per_second=30):
            second = _approve_and_watch(cli, story, faulty)
        assert (second["status"], second.get("error")) == ("FAILED", "RolledBack"), second
    story.seconds = time.monotonic() - began
    yield story
