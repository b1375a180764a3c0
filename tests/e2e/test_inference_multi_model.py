"""Multi-model endpoints (policy ``mode: multi_model``) on the real template: the first
version creates a ``Mode: MultiModel`` endpoint on the artifact prefix; later versions are
copied under the prefix, smoke-tested with ``TargetModel`` and become the logical model's
pointer (the endpoint's ``rollout:mme-target:<model>`` tag), the endpoint config unchanged;
an alarm in the bake moves the pointer back; a broken artifact fails its smoke test by name.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.e2e.safety_support import records
from tests.e2e.scenario import Scenario

from model_rollout.modes.multi_model import resolve_target
from rollout_local.workbench import linear_model, quality_report

LOGICAL = "churn"
ROW = "1,0,0"  # the answer is sigmoid(first weight): tells the versions apart


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def mme_policy(scenario: Scenario, bake_seconds: int = 3) -> dict[str, Any]:
    return scenario.policy(
        mode="multi_model",
        multi_model={"model_name": LOGICAL, "smoke_test_body": "0.1,0.2,0.3"},
        strategy={"type": "all_at_once", "bake_seconds": bake_seconds},
    )


def register(
    scenario: Scenario,
    first_weight: float,
    *,
    error_rate: float = 0.0,
    artifact: bytes | None = None,
) -> str:
    """Register the next version: a linear model (or raw ``artifact`` bytes)."""
    bench = scenario.bench
    scenario.versions += 1
    name = f"{scenario.group}-v{scenario.versions}"
    if artifact is None:
        model = linear_model([first_weight, 0.0, 0.0], error_rate=error_rate)
        model_url = bench.upload_model(name, model)
    else:
        model_url = bench._put(f"models/{name}/model.tar.gz", artifact)
    arn = bench.register(
        scenario.group,
        model_url=model_url,
        report_url=bench.upload_report(name, quality_report("accuracy", 0.9)),
        metadata={
            "git_commit": f"c0ffee{scenario.versions}",
            "data_version": f"data-{scenario.versions}",
            "build_id": f"build-{scenario.versions}",
        },
    )
    scenario.packages.append(arn)
    return arn


def deploy(scenario: Scenario, arn: str, timeout: float = 90) -> dict[str, Any]:
    scenario.bench.approve(arn)
    return scenario.bench.wait_for_execution(arn, timeout=timeout)


def pointer(scenario: Scenario) -> str | None:
    return resolve_target(scenario.tags(), LOGICAL)


def invoke_via_pointer(scenario: Scenario) -> float:
    """What an application does: resolve the pointer, call with TargetModel."""
    target = pointer(scenario)
    assert target is not None
    answer = scenario.bench.client("sagemaker-runtime").invoke_endpoint(
        EndpointName=scenario.endpoint, TargetModel=target, ContentType="text/csv", Body=ROW
    )
    return float(answer["Body"].read().decode())


@contextmanager
def traffic_via_pointer(scenario: Scenario, rate_per_second: float = 20) -> Iterator[Counter[str]]:
    """Application traffic on a thread: each request resolves the pointer first."""
    runtime = scenario.bench.client("sagemaker-runtime")
    outcomes: Counter[str] = Counter()
    stop = threading.Event()

    def send() -> None:
        while not stop.is_set():
            target = pointer(scenario) or "none"
            try:
                runtime.invoke_endpoint(
                    EndpointName=scenario.endpoint,
                    TargetModel=target,
                    ContentType="text/csv",
                    Body=ROW,
                )
                outcomes[f"{target}:ok"] += 1
            except ClientError as error:
                outcomes[f"{target}:{error.response['Error']['Code']}"] += 1
            stop.wait(1 / rate_per_second)

    worker = threading.Thread(target=send, name=f"mme-traffic-{scenario.endpoint}", daemon=True)
    worker.start()
    try:
        yield outcomes
    finally:
        stop.set()
        worker.join(timeout=10)


def target(version: int) -> str:
    return f"{LOGICAL}-v{version}.tar.gz"


@pytest.fixture
def two_versions(scenario: Scenario) -> dict[str, Any]:
    """v1 creates the multi-model endpoint, v2 is deployed to it: both succeed."""
    mme_policy(scenario)
    v1 = register(scenario, 1.0)
    first = deploy(scenario, v1)
    assert first["status"] == "SUCCEEDED", first
    described = scenario.endpoint_state()
    assert described is not None
    config = described["EndpointConfigName"]
    v2 = register(scenario, -1.0)
    second = deploy(scenario, v2)
    assert second["status"] == "SUCCEEDED", second
    return {"v1": v1, "v2": v2, "config": config, "first": first, "second": second}


def test_first_version_creates_a_multi_model_endpoint_and_the_second_moves_the_pointer(
    scenario: Scenario, two_versions: dict[str, Any]
) -> None:
    bench = scenario.bench
    sagemaker = bench.client("sagemaker")
    described = scenario.endpoint_state()
    assert described is not None and described["EndpointStatus"] == "InService"
    # the config was made by v1 and not changed by v2
    assert described["EndpointConfigName"] == two_versions["config"]
    config = sagemaker.describe_endpoint_config(EndpointConfigName=two_versions["config"])
    (variant,) = config["ProductionVariants"]
    container = sagemaker.describe_model(ModelName=variant["ModelName"])["PrimaryContainer"]
    prefix = container["ModelDataUrl"]
    assert container["Mode"] == "MultiModel"
    assert prefix.endswith(f"/multi-model/{scenario.endpoint}/")

    # both versions' artifacts are under the prefix, with their lineage as metadata
    bucket, key_prefix = prefix[5:].split("/", 1)
    s3 = bench.client("s3")
    keys = {
        o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=key_prefix).get("Contents", [])
    }
    assert keys == {key_prefix + target(1), key_prefix + target(2)}
    head = s3.head_object(Bucket=bucket, Key=key_prefix + target(2))
    assert head["Metadata"]["rollout-model-package-arn"] == two_versions["v2"]

    # v2 was smoke-tested, then the pointer and the lineage moved to it
    tags = scenario.tags()
    assert tags["rollout:mme-target:churn"] == target(2)
    assert tags["rollout:model-package-arn"] == two_versions["v2"]
    assert tags["rollout:git-commit"] == "c0ffee2"
    assert invoke_via_pointer(scenario) == pytest.approx(sigmoid(-1.0))
    # v1 stays loadable by its own name (an application pinned to it keeps working)
    answer = bench.client("sagemaker-runtime").invoke_endpoint(
        EndpointName=scenario.endpoint, TargetModel=target(1), ContentType="text/csv", Body=ROW
    )
    assert float(answer["Body"].read().decode()) == pytest.approx(sigmoid(1.0))
    states = bench.entered_states(two_versions["second"]["executionArn"])
    assert states[-6:] == [
        "Promote",
        "AwaitPromote",
        "Finalize",
        "RecordStage",
        "StageOutcome",
        "Deployed",
    ]


def test_an_alarm_in_the_bake_moves_the_pointer_back_and_keeps_the_config(
    scenario: Scenario, two_versions: dict[str, Any]
) -> None:
    mme_policy(scenario, bake_seconds=60)
    v3 = register(scenario, 3.0, error_rate=0.5)  # every other answer is a 5XX
    with traffic_via_pointer(scenario) as outcomes:
        scenario.bench.approve(v3)
        execution = scenario.bench.wait_for_execution(v3, timeout=120)

    assert (execution["status"], execution["error"]) == ("FAILED", "RolledBack"), execution
    assert "error-rate" in execution["cause"]
    assert (
        f"rollout:mme-target:churn of endpoint {scenario.endpoint} names {target(2)}"
        in (execution["cause"])
    )
    # the traffic reached v3 through the pointer (and failed), then v2 again
    assert outcomes[f"{target(3)}:ModelError"] > 0, outcomes
    assert pointer(scenario) == target(2)
    assert scenario.tags()["rollout:model-package-arn"] == two_versions["v2"]
    described = scenario.endpoint_state()
    assert described is not None
    assert described["EndpointConfigName"] == two_versions["config"]
    assert described["EndpointStatus"] == "InService"
    assert invoke_via_pointer(scenario) == pytest.approx(sigmoid(-1.0))
    states = scenario.bench.entered_states(execution["executionArn"])
    assert "Watch" in states and "Promote" not in states
    assert states[-8:] == [
        "Rollback",
        "AwaitRollbackTraffic",
        "RestoreConfig",
        "AwaitRestore",
        "FinishRollback",
        "RecordStage",
        "StageOutcome",
        "RolledBack",
    ]


def test_a_broken_artifact_fails_its_smoke_test_by_name_and_the_pointer_stays(
    scenario: Scenario, two_versions: dict[str, Any]
) -> None:
    broken = register(scenario, 0.0, artifact=b"not a model archive")
    execution = deploy(scenario, broken)

    assert (execution["status"], execution["error"]) == ("FAILED", "RolledBack"), execution
    assert "SmokeTestFailed" in execution["cause"]
    assert f"TargetModel={target(3)} answered ModelError" in execution["cause"]
    states = scenario.bench.entered_states(execution["executionArn"])
    assert "CreateAlarms" not in states
    assert pointer(scenario) == target(2)
    assert scenario.tags()["rollout:model-package-arn"] == two_versions["v2"]
    described = scenario.endpoint_state()
    assert described is not None
    assert described["EndpointConfigName"] == two_versions["config"]
    assert invoke_via_pointer(scenario) == pytest.approx(sigmoid(-1.0))


def test_a_version_stopped_mid_bake_has_its_pointer_moved_back_by_the_next(
    scenario: Scenario, two_versions: dict[str, Any], local_stack: Any
) -> None:
    bench = scenario.bench
    mme_policy(scenario, bake_seconds=300)
    v3 = register(scenario, 3.0)  # bakes for 300 s: it will be stopped mid-bake
    bench.approve(v3)
    run3 = bench.running_execution(v3)
    bench.wait_for_state(run3, "Watch")
    assert pointer(scenario) == target(3)
    mme_policy(scenario, bake_seconds=3)
    v4 = register(scenario, 4.0)
    bench.approve(v4)
    run4 = bench.running_execution(v4)
    bench.wait_for_state(run4, "AcquireEndpointLock")
    bench.client("stepfunctions").stop_execution(executionArn=run3, cause="operator")
    ended = bench.wait_for_execution(v4, timeout=90)

    assert ended["status"] == "SUCCEEDED", ended
    recovered = bench.state_output(ended["executionArn"], "RecoverEndpoint")
    assert recovered is not None
    assert recovered["recovery"]["action"] == "restore-pointer"
    # v4's rollback target was v2 (the pointer as before the stopped v3), not v3
    assert recovered["previous"]["endpoint_tags"]["rollout:mme-target:churn"] == target(2)
    assert recovered["previous"]["model_package_arn"] == two_versions["v2"]
    by_id = {
        r["deployment_id"]: r
        for r in records(bench, local_stack.resources["DeploymentsTable"], scenario.endpoint)
    }
    assert by_id[run3.rsplit(":", 1)[-1]]["status"] == "ABORTED"
    assert by_id[ended["name"]]["status"] == "PROMOTED"
    assert pointer(scenario) == target(4)
    assert scenario.tags()["rollout:model-package-arn"] == v4
    described = scenario.endpoint_state()
    assert described is not None
    assert described["EndpointConfigName"] == two_versions["config"]
    assert invoke_via_pointer(scenario) == pytest.approx(sigmoid(4.0))
