"""What the operator commands show, as plain data (the ``--json`` output is exactly this).

Read-only: the deployments table, the execution and its history, DescribeEndpoint,
DescribeAlarms, the Model Registry and the endpoint's lineage tags.
"""

from __future__ import annotations

import json
import time
from typing import Any

from botocore.exceptions import ClientError

from model_rollout.adapters.dynamodb import from_item
from model_rollout.adapters.records import APPROVAL_PREFIX, DeploymentRecords
from model_rollout.domain.lineage import TAG_DEPLOYMENT_ID, TAG_MODEL_PACKAGE_ARN, TAG_PREFIX
from model_rollout.reporting.reports import (
    ExecutionTrace,
    StateVisit,
    epoch,
    iso,
    read_trace,
    strategy_text,  # noqa: F401 (re-exported for the commands)
)
from rollout_cli.context import CliError, Context

# how long one watch lasts, by strategy (all_at_once/canary, linear, shadow)
BAKE_KEYS = ("bake_seconds", "interval_seconds", "duration_seconds")
ROLLBACK_PREFIX = "rollback-"  # execution names of operators' rollbacks (rollout rollback)
OUTCOMES = {
    "PROMOTED": "Deployed",
    "ROLLED_BACK": "RolledBack",
    "ROLLBACK_FAILED": "RollbackFailed",
}


def records(ctx: Context) -> DeploymentRecords:
    return DeploymentRecords(ctx.client("dynamodb"), table_name=ctx.deployments_table)


# ---------------------------------------------------------------------- deployments


def deployment_row(item: dict[str, Any], *, now: float | None = None) -> dict[str, Any]:
    now = now if now is not None else time.time()
    started = item.get("started_at")
    finished = item.get("finished_at")
    seconds = None
    if started:
        seconds = round((epoch(finished) if finished else now) - epoch(started), 1)
    status = item.get("status", "?")
    details = item.get("details") or {}
    arn = item.get("model_package_arn") or details.get("model_package_arn")
    version = item.get("model_package_version") or details.get("model_package_version")
    group = item.get("model_package_group") or (arn.split("/")[-2] if arn else None)
    return {
        "deployment_id": item["deployment_id"],
        "endpoint": item.get("endpoint_name") or details.get("endpoint_name"),
        "model_package_arn": arn,
        "model_version": f"{group} v{version}" if group and version else None,
        "strategy": item.get("strategy"),
        "status": status,
        "started": started,
        "finished": finished,
        "seconds": seconds,
        "outcome": OUTCOMES.get(status)
        or item.get("error")
        or ("" if status == "RUNNING" else status),
        "reason": item.get("cause"),
        "kind": "rollback" if item["deployment_id"].startswith(ROLLBACK_PREFIX) else "approval",
        "execution_arn": item.get("execution_arn"),
        "report_url": details.get("report_url"),
    }


def _scan(ctx: Context) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": ctx.deployments_table}
    client = ctx.client("dynamodb")
    while True:
        page = client.scan(**kwargs)
        items.extend(from_item(i) for i in page.get("Items", []))
        if not page.get("LastEvaluatedKey"):
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def list_deployments(
    ctx: Context, *, endpoint: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """Newest first; approval claims are not deployments."""
    if endpoint:
        items = records(ctx).list_for_endpoint(endpoint, limit=limit)
    else:
        items = [
            i
            for i in _scan(ctx)
            if not str(i.get("deployment_id", "")).startswith(APPROVAL_PREFIX)
            and i.get("kind") != "approval"
        ]
    items.sort(key=lambda i: str(i.get("started_at") or i.get("finished_at") or ""), reverse=True)
    return [deployment_row(i) for i in items[:limit]]


def find_record(ctx: Context, ref: str) -> dict[str, Any]:
    """A deployment by id (the execution name), execution ARN, or a unique id prefix."""
    deployment_id = ref.rsplit(":", 1)[-1] if ref.startswith("arn:") else ref
    found = records(ctx).get(deployment_id)
    if found is not None:
        return found
    matches = [
        i
        for i in _scan(ctx)
        if str(i.get("deployment_id", "")).startswith(deployment_id)
        and not str(i.get("deployment_id", "")).startswith(APPROVAL_PREFIX)
    ]
    if len(matches) == 1:
        return matches[0]
    if matches:
        names = ", ".join(sorted(str(m["deployment_id"]) for m in matches)[:5])
        raise CliError(f"{ref!r} matches {len(matches)} deployments ({names}…); give more of it")
    raise CliError(f"no deployment {ref!r} in table {ctx.deployments_table}")


def execution_arn_of(ctx: Context, record: dict[str, Any]) -> str:
    if record.get("execution_arn"):
        return str(record["execution_arn"])
    machine = ctx.state_machine_arn
    return machine.replace(":stateMachine:", ":execution:") + f":{record['deployment_id']}"


def trace_of(ctx: Context, record: dict[str, Any]) -> ExecutionTrace:
    arn = execution_arn_of(ctx, record)
    try:
        return read_trace(ctx.client("stepfunctions"), arn)
    except ClientError as error:
        raise CliError(f"cannot read execution {arn}: {error}") from error


# ---------------------------------------------------------------------- show


def state_order(definition: dict[str, Any]) -> list[str]:
    """The states in the order the ASL file defines them (its authors' reading order)."""
    return list(definition.get("States", {}))


def execution_view(ctx: Context, ref: str, *, io: bool = False) -> dict[str, Any]:
    record = find_record(ctx, ref)
    trace = trace_of(ctx, record)
    described = ctx.client("stepfunctions").describe_execution(executionArn=trace.execution_arn)
    definition = definition_of(ctx, described["stateMachineArn"])
    return execution_view_of(record, trace, definition, described["stateMachineArn"], io=io)


def definition_of(ctx: Context, state_machine_arn: str) -> dict[str, Any]:
    """The state machine's ASL, as deployed (DescribeStateMachine)."""
    machine = ctx.client("stepfunctions").describe_state_machine(stateMachineArn=state_machine_arn)
    definition: dict[str, Any] = json.loads(machine["definition"])
    return definition


def state_machine_of(execution_arn: str) -> str:
    """``arn:…:execution:<machine>:<name>`` → ``arn:…:stateMachine:<machine>``."""
    return execution_arn.replace(":execution:", ":stateMachine:").rsplit(":", 1)[0]


def execution_view_of(
    record: dict[str, Any],
    trace: ExecutionTrace,
    definition: dict[str, Any],
    state_machine_arn: str,
    *,
    io: bool = False,
    now: float | None = None,
) -> dict[str, Any]:
    """``show``'s view of an execution already read: every run of every state, then each
    state of the ASL once (its last run's status, its number of runs)."""
    now = now if now is not None else time.time()
    end = trace.stopped or now
    asl_types = {name: state.get("Type", "?") for name, state in definition["States"].items()}
    # every run of every state, in the order they ran: a state of a progressive strategy
    # runs once per traffic step
    counts = {name: sum(v.name == name for v in trace.visits) for name in asl_types}
    seen: dict[str, int] = {}
    runs = []
    for visit in trace.visits:
        seen[visit.name] = seen.get(visit.name, 0) + 1
        run = visit.as_dict(end, io=io)
        run["type"] = asl_types.get(visit.name, visit.type)
        run["run"] = seen[visit.name]
        run["runs"] = counts.get(visit.name, seen[visit.name])
        run["traffic_step"] = traffic_step(visit)
        runs.append(run)
    states = []
    for name in state_order(definition):
        mine = [r for r in runs if r["name"] == name]
        if not mine:
            states.append(
                {"name": name, "type": asl_types[name], "status": "not reached", "visits": 0}
            )
            continue
        entry = dict(mine[-1])  # the last run's status, as the console shows the state
        entry["visits"] = len(mine)
        states.append(entry)
    return {
        "deployment_id": record["deployment_id"],
        "execution_arn": trace.execution_arn,
        "state_machine_arn": state_machine_arn,
        "status": trace.status,
        "started": iso(trace.started),
        "stopped": iso(trace.stopped),
        "seconds": round(end - trace.started, 3),
        "error": trace.error,
        "cause": trace.cause,
        "path": [v.name for v in trace.visits],
        "runs": runs,
        "states": states,
    }


def traffic_step(visit: StateVisit) -> dict[str, Any] | None:
    """The traffic step a run of a state belongs to (``$.step`` of its output, else of its
    input; 1-based), when the deployment's strategy has steps."""
    for text in (visit.output, visit.input):
        try:
            document = json.loads(text) if text else None
        except ValueError:
            continue
        step = document.get("step") if isinstance(document, dict) else None
        if isinstance(step, dict) and isinstance(step.get("index"), int) and step.get("count"):
            return {
                "number": step["index"] + 1,
                "count": step["count"],
                "percent": step.get("percent"),
            }
    return None


# ---------------------------------------------------------------------- watch


def endpoint_weights(ctx: Context, endpoint: str) -> dict[str, Any]:
    try:
        described = ctx.client("sagemaker").describe_endpoint(EndpointName=endpoint)
    except ClientError:
        return {"status": "absent", "config": None, "variants": {}}
    variants = {
        v["VariantName"]: float(v.get("CurrentWeight", 0))
        for v in described.get("ProductionVariants", [])
    }
    total = sum(variants.values())
    return {
        "status": described.get("EndpointStatus"),
        "config": described.get("EndpointConfigName"),
        "variants": {k: (v / total if total else 0.0) for k, v in variants.items()},
        "shadow_variants": [
            v["VariantName"] for v in described.get("ShadowProductionVariants", [])
        ],
    }


def alarm_states(ctx: Context, names: list[str]) -> dict[str, str]:
    if not names:
        return {}
    found = ctx.client("cloudwatch").describe_alarms(AlarmNames=names[:100])["MetricAlarms"]
    states = {a["AlarmName"]: a["StateValue"] for a in found}
    return {n: states.get(n, "deleted") for n in names}


def snapshot(
    ctx: Context,
    record: dict[str, Any],
    path: list[str],
    *,
    trace: ExecutionTrace | None = None,
) -> dict[str, Any]:
    """One look at a deployment: what ``watch`` draws each poll (``trace``: the execution,
    when the caller has just read it)."""
    trace = trace if trace is not None else trace_of(ctx, record)
    now = time.time()
    current = trace.current_state()
    document = trace.document
    endpoint = record.get("endpoint_name") or document.get("endpoint_name")
    visited = [v.name for v in trace.visits]
    on_path = [n for n in path if n in visited]
    bake: dict[str, Any] | None = None
    watches = trace.watches()
    watch = watches[-1] if watches else None
    strategy = document.get("strategy") or record.get("strategy") or {}
    bake_seconds = (
        next((strategy[k] for k in BAKE_KEYS if strategy.get(k)), None)
        if isinstance(strategy, dict)
        else None
    )
    if watch is not None and watch.name != "AwaitApproval" and bake_seconds:
        elapsed = (watch.exited or now) - watch.entered
        bake = {
            "state": watch.name,
            "seconds": bake_seconds,
            "elapsed": round(min(elapsed, bake_seconds), 1),
            "left": round(max(0.0, bake_seconds - elapsed), 1) if watch.exited is None else 0.0,
            "ended_by": watch.error if watch.exited else None,
        }
    ended = trace.status != "RUNNING"
    progress = 1.0 if ended else (len(on_path) - 0.5) / max(len(path), 1)
    return {
        "deployment_id": record["deployment_id"],
        "endpoint": endpoint,
        "status": trace.status,
        "current_state": current.name if current else None,
        "state_seconds": round(now - current.entered, 1) if current else None,
        "step": len(on_path),
        # the Next chain of the ASL; once ended, the states this deployment needed
        "steps": len(on_path) if ended else max(len(path), len(on_path)),
        "progress": round(max(0.0, min(progress, 1.0)), 3),
        "weights": endpoint_weights(ctx, endpoint) if endpoint else None,
        "alarms": alarm_states(ctx, trace.alarm_names()),
        "bake": bake,
        "ended": ended,
        "error": trace.error,
        "cause": trace.cause,
        "at": iso(now),
    }


def happy_path(ctx: Context, record: dict[str, Any]) -> list[str]:
    """The states a deployment passes when all goes well (the ``Next`` chain), for progress."""
    definition = definition_of(ctx, state_machine_of(execution_arn_of(ctx, record)))
    return next_chain(definition)


def next_chain(definition: dict[str, Any]) -> list[str]:
    """From ``StartAt``, each state's ``Next`` (a Choice's ``Default``) until an end."""
    path: list[str] = []
    name = definition.get("StartAt")
    states = definition.get("States", {})
    while isinstance(name, str) and name in states and name not in path:
        path.append(name)
        state = states[name]
        name = state.get("Next") or state.get("Default")
    return path


# ---------------------------------------------------------------------- lineage


def _package(ctx: Context, arn: str | None) -> dict[str, Any] | None:
    if not arn:
        return None
    try:
        described = ctx.client("sagemaker").describe_model_package(ModelPackageName=arn)
    except ClientError as error:
        return {"model_package_arn": arn, "error": str(error)}
    metadata = described.get("CustomerMetadataProperties") or {}
    modified_by = described.get("LastModifiedBy") or {}
    approver = (
        modified_by.get("IamIdentity", {}).get("Arn")
        or modified_by.get("UserProfileName")
        or modified_by.get("UserProfileArn")
    )
    quality = (described.get("ModelMetrics") or {}).get("ModelQuality") or {}
    return {
        "model_package_arn": arn,
        "group": described.get("ModelPackageGroupName"),
        "version": described.get("ModelPackageVersion"),
        "git_commit": metadata.get("git_commit"),
        "data_version": metadata.get("data_version"),
        "build_id": metadata.get("build_id"),
        "metadata": metadata,
        "model_data_url": next(
            (
                c.get("ModelDataUrl")
                for c in (described.get("InferenceSpecification") or {}).get("Containers", [])
            ),
            None,
        ),
        "metrics_report": (quality.get("Statistics") or {}).get("S3Uri"),
        "approval": {
            "status": described.get("ModelApprovalStatus"),
            "description": described.get("ApprovalDescription"),
            "by": approver,
            "last_modified_by": modified_by or None,
            "at": iso(epoch(described["LastModifiedTime"]))
            if described.get("LastModifiedTime")
            else None,
        },
        "created": iso(epoch(described["CreationTime"])) if described.get("CreationTime") else None,
    }


def _gate(ctx: Context, record: dict[str, Any]) -> dict[str, Any] | None:
    try:
        trace = trace_of(ctx, record)
    except CliError:
        return None
    validation = next(
        (d.get("validation") for _, name, d in trace.documents if name == "Validate"), None
    )
    return validation.get("gate") if isinstance(validation, dict) else None


def lineage(ctx: Context, endpoint: str) -> dict[str, Any]:
    sagemaker = ctx.client("sagemaker")
    try:
        described = sagemaker.describe_endpoint(EndpointName=endpoint)
        tags = {
            t["Key"]: t["Value"]
            for t in sagemaker.list_tags(ResourceArn=described["EndpointArn"])["Tags"]
        }
    except ClientError:
        described, tags = None, {}
    history = list_deployments(ctx, endpoint=endpoint, limit=200)
    if described is None and not history:
        raise CliError(
            f"endpoint {endpoint} does not exist and no deployment of it is recorded in table "
            f"{ctx.deployments_table}: check the name (rollout deployments lists the endpoints)"
        )
    by_id = {row["deployment_id"]: row for row in history}
    serving_id = tags.get(TAG_DEPLOYMENT_ID)
    serving: dict[str, Any] | None = None
    if described is not None:
        serving = {
            "endpoint_config": described.get("EndpointConfigName"),
            "status": described.get("EndpointStatus"),
            "weights": endpoint_weights(ctx, endpoint)["variants"],
            "tags": {k: v for k, v in tags.items() if k.startswith(TAG_PREFIX)},
            "package": _package(ctx, tags.get(TAG_MODEL_PACKAGE_ARN)),
            "deployment": by_id.get(serving_id or ""),
        }
        record = records(ctx).get(serving_id) if serving_id else None
        serving["gate"] = _gate(ctx, record) if record else None
    served_before = []
    for row in history:
        if row["status"] != "PROMOTED" or row["deployment_id"] == serving_id:
            continue
        served_before.append(
            {
                "deployment": row,
                "package": _package(ctx, row["model_package_arn"]),
                "same_package_as_serving": row["model_package_arn"]
                == tags.get(TAG_MODEL_PACKAGE_ARN),
            }
        )
    rollbacks = [
        row
        for row in history
        if row["status"] in {"ROLLED_BACK", "ROLLBACK_FAILED"} or row["kind"] == "rollback"
    ]
    return {
        "endpoint": endpoint,
        "exists": described is not None,
        "serving": serving,
        "served_before": served_before,
        "rollbacks": rollbacks,
        "deployments": len(history),
    }


# ---------------------------------------------------------------------- experiments


def experiments(ctx: Context, endpoint: str) -> dict[str, Any]:
    """Every A/B result of ``endpoint`` in time order, as its staleness curve: the
    incumbent's age at each test (from its package's ``CreationTime``) and the lift."""
    from model_rollout.adapters.ab_results import ABResults
    from model_rollout.strategies.ab import list_ab_results, staleness_curve

    results = list_ab_results(
        endpoint, results=ABResults(ctx.client("dynamodb"), table_name=ctx.ab_results_table)
    )
    packages: dict[str, dict[str, Any] | None] = {}
    for result in results:
        for key in ("incumbent_package_arn", "challenger_package_arn"):
            arn = result.get(key)
            if arn and arn not in packages:
                packages[arn] = _package(ctx, arn)
    created = {
        arn: epoch(package["created"]) if package and package.get("created") else None
        for arn, package in packages.items()
    }
    curve = staleness_curve(results, created)
    versions = {arn: (package or {}).get("version") for arn, package in packages.items()}
    for row in curve:
        row["incumbent_version"] = versions.get(row["incumbent_package_arn"])
        row["challenger_version"] = versions.get(row["challenger_package_arn"])
    return {"endpoint": endpoint, "experiments": curve}
