"""A fault at every Task state of every state machine, built from the ASL files.

For each Task state and each fault kind (``rollout_local.faults``: a throttled AWS call, a
crashed runtime, a timed-out invocation whose work happened), the deployment ends either
exactly as the endpoint was before it (config, weights, lineage tags) or fully deployed,
never in between; no alarm, lock or half-made release is left behind. A new Task state
needs no new code here, but a state that no scenario reaches, or a state machine without a
driver, fails the suite.

The cases run concurrently (each on its own model package group and endpoint; a fault only
fires for invocations whose payload names that case's token), in shards of ``SHARD_SIZE``
that run on different test workers.
"""

from __future__ import annotations

import itertools
import json
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.safety_support import Executions, lock_entries, serving
from tests.e2e.scenario import Scenario

from rollout_local import faults
from rollout_local.workbench import Workbench

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
MACHINES = sorted((ROOT / "statemachines").glob("*.asl.json"))
FAULT_KINDS = faults.KINDS


# ---------------------------------------------------------------------- the ASL
def task_states(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every Task state, nested ones (Parallel branches, Map processors) included."""
    found: dict[str, dict[str, Any]] = {}
    for name, state in definition.get("States", {}).items():
        if state.get("Type") == "Task":
            found[name] = state
        for branch in state.get("Branches", []):
            found.update(task_states(branch))
        for key in ("ItemProcessor", "Iterator"):
            if key in state:
                found.update(task_states(state[key]))
    return found


def all_states(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every state by name, nested ones included (names are unique in a state machine)."""
    found: dict[str, dict[str, Any]] = {}
    for name, state in definition.get("States", {}).items():
        found[name] = state
        for branch in state.get("Branches", []):
            found.update(all_states(branch))
        for key in ("ItemProcessor", "Iterator"):
            if key in state:
                found.update(all_states(state[key]))
    return found


def _child_machine(state: dict[str, Any]) -> Path | None:
    """The ASL file of the state machine a ``states:startExecution`` task starts."""
    target = str((state.get("Parameters") or {}).get("StateMachineArn", ""))
    stem = target.removeprefix("${").removesuffix("StateMachineArn}").removesuffix("Arn}")
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in stem).lstrip("_")
    path = ROOT / "statemachines" / f"{snake}.asl.json"
    return path if path.is_file() else None


def function_of(state: dict[str, Any]) -> str | None:
    """The template function a Task state runs (logical id), from its substitution; for a
    task that starts a child state machine, the function of the child's first state (a
    fault there fails the child, which fails the task)."""
    resource = str(state.get("Resource", ""))
    if resource.startswith("arn:aws:states:::states:startExecution"):
        child = _child_machine(state)
        if child is None:
            return None
        definition = json.loads(child.read_text())
        return function_of(definition["States"][definition["StartAt"]])
    target = resource if resource.startswith("${") else ""
    if not target:
        target = str((state.get("Parameters") or {}).get("FunctionName", ""))
    if target.startswith("${") and target.endswith("Arn}"):
        return target[2:-4]
    return None


def successors(state: dict[str, Any]) -> list[str]:
    """States reachable without an error: Next, Choice targets, Default."""
    out = [state["Next"]] if "Next" in state else []
    out += [c["Next"] for c in state.get("Choices", []) if "Next" in c]
    out += [state["Default"]] if "Default" in state else []
    return out


def catcher(state: dict[str, Any], error: str) -> str | None:
    for catch in state.get("Catch", []):
        if error in catch["ErrorEquals"] or "States.ALL" in catch["ErrorEquals"]:
            return str(catch["Next"])
    return None


def next_path(states: dict[str, Any], start: str, goal: str) -> list[str] | None:
    """Shortest error-free path of state names from ``start`` to ``goal`` (both included)."""
    frontier, seen = [[start]], {start}
    while frontier:
        path = frontier.pop(0)
        if path[-1] == goal:
            return path
        for nxt in successors(states.get(path[-1], {})):
            if nxt not in seen:
                seen.add(nxt)
                frontier.append([*path, nxt])
    return None


def matrix() -> list[tuple[str, str, str]]:
    cases = []
    for path in MACHINES:
        definition = json.loads(path.read_text())
        for state in task_states(definition):
            for kind in FAULT_KINDS:
                cases.append((path.name.removesuffix(".asl.json"), state, kind))
    return cases


MATRIX = matrix()
# Found by this matrix, not yet fixed (strict: the case fails the suite once it passes, so
# the entry is removed with the fix).
KNOWN = {
    ("batch_transform", "PrepareTransform", "timeout"): (
        "PrepareTransform created the temporary model, then its result was lost: "
        "FinishTransform cannot name the model without $.transform, so it is left behind"
    ),
}
#: the cases of a state machine are split into shards of about this many; a shard runs its
#: cases concurrently on one local stack. A case's id ends in ``@<shard>``: under
#: pytest-xdist a shard's cases go to one worker (``tests/conftest.py``), and the shards run
#: on different workers' stacks
SHARD_SIZE = 16


def shard_of(case: tuple[str, str, str]) -> int:
    same_machine = [c for c in MATRIX if c[0] == case[0]]
    shards = max(1, round(len(same_machine) / SHARD_SIZE))
    return same_machine.index(case) % shards


def case_id(case: tuple[str, str, str]) -> str:
    return f"{'-'.join(case)}@faults-{case[0]}-{shard_of(case)}"


CASES = [
    pytest.param(
        *case,
        id=case_id(case),
        marks=[pytest.mark.xfail(strict=True, reason=KNOWN[case])] if case in KNOWN else [],
    )
    for case in MATRIX
]


#: one sequence of case tokens per process (a worker may run several shards on its stack);
#: ``next`` on an ``itertools.count`` is atomic
_TOKENS = itertools.count(1)


# ---------------------------------------------------------------------- deploy-model
PRESETS: dict[str, dict[str, Any]] = {
    "all_at_once": {"strategy": {"type": "all_at_once", "bake_seconds": 2}},
    "canary": {"strategy": {"type": "canary", "percent": 50, "bake_seconds": 2}},
    "approval": {
        "strategy": {"type": "all_at_once", "bake_seconds": 2},
        "require_approval": {"timeout_seconds": 2},
    },
    "shadow": {
        "strategy": {
            "type": "shadow",
            "sample_percent": 100,
            "duration_seconds": 2,
            "comparison": {"min_pairs": 1},
            "then": {"type": "all_at_once", "bake_seconds": 2},
        }
    },
    "ab": {
        "strategy": {
            "type": "ab",
            "metric": {"name": "Converted", "kind": "conversion"},
            "min_samples_per_variant": 2,
            "duration_seconds": 2,
            "on_insufficient_data": "keep_incumbent",
        }
    },
    "fixed_set": {"strategy": {"type": "all_at_once", "bake_seconds": 2}},  # + the set below
    # + stages: staging on the scenario's endpoint, prod on another (see ``stages``)
    "stages": {"strategy": {"type": "all_at_once", "bake_seconds": 2}},
    "stages_manual": {"strategy": {"type": "all_at_once", "bake_seconds": 2}},
}


# how a fault-free v2 deployment of each preset ends (the others end as they end)
EXPECTED_BASE = {
    "all_at_once": "SUCCEEDED",
    "canary": "SUCCEEDED",
    "fixed_set": "SUCCEEDED",
    "stages": "SUCCEEDED",
    "stages_manual": "SUCCEEDED",
}


def stages(preset: str, token: str) -> list[dict[str, Any]]:
    """Staging deploys the scenario's endpoint; prod another, whose name does not start with
    it (its alarms, configs and models are not the case's)."""
    staging: dict[str, Any] = {"name": "staging"}
    if preset == "stages_manual":  # no decision: not promoted after 2 s
        staging.update(promotion="manual", promotion_timeout_seconds=2)
    return [staging, {"name": "prod", "endpoint_name": f"{token}-p"}]


FIXED_SET = "\n".join(
    f"{int(0.5 * a - 0.25 * b + 0.1 * c >= 0)},{a},{b},{c}"
    for a, b, c in [(1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0.5, 0.5, 1)]
)


@dataclass
class Outcome:
    """What one deployment (v2, after v1 was deployed) did and left."""

    token: str
    status: str = ""
    error: str | None = None
    path: list[str] = field(default_factory=list)
    history_errors: list[str] = field(default_factory=list)
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    package: str = ""
    deployment: str = ""
    alarms_left: list[str] = field(default_factory=list)
    locks_left: int = 0
    record_status: str | None = None
    release_left: list[str] = field(default_factory=list)
    hits: list[int] = field(default_factory=list)
    explained: str = ""  # status, error, cause and last states, when it did not succeed
    applied: list[int] = field(default_factory=list)
    failure: str | None = None


@dataclass
class Plan:
    """A case: the preset that reaches the state, an error that diverts to it, the fault."""

    preset: str
    kind: str
    state: str
    function: str
    skip: int
    divert: tuple[str, int] | None = None  # (function, skip) of a crash that leads there


class DeployModelDriver:
    machine = "deploy_model"

    def __init__(self, bench: Workbench, stack: Any) -> None:
        self.bench = bench
        self.stack = stack
        self.executions = Executions(bench)
        self.machine_arn = stack.resources["DeployModelStateMachine"]
        self.deployments = stack.resources["DeploymentsTable"]
        self.locks = stack.resources["EndpointLocksTable"]
        self.states = all_states(
            json.loads((ROOT / "statemachines" / "deploy_model.asl.json").read_text())
        )

    def token(self) -> str:
        return f"fx{next(_TOKENS)}x"

    def run(
        self,
        preset: str,
        arm: list[tuple[str, str, int, int | None]],
        timeout: float = 240,
    ) -> Outcome:
        """Deploy v1, arm the faults (function, kind, skip, times), deploy v2; observe."""
        token = self.token()
        outcome = Outcome(token=token)
        scenario = Scenario(bench=self.bench, group=f"{token}-g", endpoint=f"{token}-e")
        armed: list[faults.Fault] = []
        try:
            preset_policy = dict(PRESETS[preset])
            if preset == "fixed_set":
                dataset = self.bench._put(f"fixed/{token}.csv", FIXED_SET.encode())
                preset_policy["validation"] = {
                    "metric": "accuracy",
                    "min_value": 0.5,
                    "dataset": {"s3_uri": dataset},
                }
            if preset.startswith("stages"):
                preset_policy["stages"] = stages(preset, token)
            scenario.policy(**preset_policy)
            if preset == "approval":  # v1 must be promoted: no approval needed for it
                scenario.policy(**PRESETS["all_at_once"])
            v1 = scenario.register()
            scenario.bench.approve(v1)
            first = self.executions.ended(v1, self.machine_arn, timeout)
            assert first["status"] == "SUCCEEDED", f"v1 of {token}: {self.bench.explain(first)}"
            scenario.policy(**preset_policy)
            outcome.before = serving(scenario)
            for function, kind, skip, times in arm:
                armed.append(faults.arm(function, kind, match=token, skip=skip, times=times))  # type: ignore[arg-type]
            v2 = scenario.register(accuracy=0.91)
            outcome.package = v2
            scenario.bench.approve(v2)
            run = self.executions.ended(v2, self.machine_arn, timeout)
            outcome.status, outcome.error = run["status"], run.get("error")
            outcome.deployment = run["name"]
            if run["status"] != "SUCCEEDED":
                outcome.explained = self.bench.explain(run)
            history = self.bench.history(run["executionArn"])
            outcome.path = [
                e["stateEnteredEventDetails"]["name"]
                for e in history
                if "stateEnteredEventDetails" in e
            ]
            outcome.history_errors = [
                str(details.get("error"))
                for e in history
                for key, details in e.items()
                if key.endswith("FailedEventDetails") and isinstance(details, dict)
            ]
            outcome.after = serving(scenario)
            outcome.alarms_left = [
                a["AlarmName"]
                for a in self.bench.client("cloudwatch").describe_alarms(
                    AlarmNamePrefix=f"model-rollout-{scenario.endpoint}-"
                )["MetricAlarms"]
            ]
            outcome.locks_left = len(lock_entries(self.bench, self.locks, scenario.endpoint))
            item = self.bench.client("dynamodb").get_item(
                TableName=self.deployments,
                Key={"deployment_id": {"S": run["name"]}},
                ConsistentRead=True,
            )
            outcome.record_status = item.get("Item", {}).get("status", {}).get("S")
            sagemaker = self.bench.client("sagemaker")
            version = f"-v{scenario.versions}-"
            configs = sagemaker.list_endpoint_configs(NameContains=scenario.endpoint)
            models = sagemaker.list_models(NameContains=scenario.endpoint)
            ours = f"-{scenario.endpoint}-"
            outcome.release_left = [
                c["EndpointConfigName"]
                for c in configs["EndpointConfigs"]
                if ours in c["EndpointConfigName"] and version in c["EndpointConfigName"]
            ] + [
                m["ModelName"]
                for m in models["Models"]
                if ours in m["ModelName"] and version in m["ModelName"] + "-"
            ]
        except Exception as error:  # reported by the case's test
            outcome.failure = f"{type(error).__name__}: {error}"
        finally:
            outcome.hits = [f.hits for f in armed]
            outcome.applied = [f.applied for f in armed]
            for fault in armed:
                faults.disarm(fault)
        return outcome

    # -- planning ------------------------------------------------------------------
    def probe(self) -> dict[str, list[str]]:
        """The path of a fault-free v2 deployment under each preset."""
        results: dict[str, Outcome] = {}
        threads = [
            threading.Thread(target=lambda p=p: results.__setitem__(p, self.run(p, [])))
            for p in PRESETS
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for preset, outcome in results.items():
            assert outcome.failure is None, (preset, outcome.failure)
            # a path is the plan of every case under its preset: a base run that ended
            # otherwise than its preset always does (a slow step under load) would plan
            # cases through states a faulted run never reaches; run it again
            for _ in range(2):
                if EXPECTED_BASE.get(preset, outcome.status) == outcome.status:
                    break
                warnings.warn(
                    f"fault matrix probe {preset}: {outcome.status}, expected "
                    f"{EXPECTED_BASE[preset]}; running it again: {outcome.explained}",
                    stacklevel=1,
                )
                outcome = results[preset] = self.run(preset, [])
            assert EXPECTED_BASE.get(preset, outcome.status) == outcome.status, (
                preset,
                outcome.explained,
            )
        self.base_status = {preset: outcome.status for preset, outcome in results.items()}
        return {preset: outcome.path for preset, outcome in results.items()}

    def _skip(self, path: list[str], function: str, upto: int) -> int:
        return sum(1 for s in path[:upto] if function_of(self.states.get(s, {})) == function)

    def plan(self, state: str, kind: str, paths: dict[str, list[str]]) -> Plan | str:
        function = function_of(self.states[state])
        if function is None:
            return f"{state} runs no template function: the local stack cannot inject there"
        ordered = [(p, paths[p]) for p in PRESETS if p in paths]
        for preset, path in ordered:
            if state in path:
                skip = self._skip(path, function, path.index(state))
                return Plan(preset, kind, state, function, skip)
        # reached only through an error: crash the last state on a path whose Catch leads
        # (error-free) to this one
        for preset, path in ordered:
            for index in range(len(path) - 1, -1, -1):
                source = self.states.get(path[index], {})
                source_function = function_of(source)
                target = catcher(source, "Runtime.ExitError")
                if source.get("Type") != "Task" or source_function is None or target is None:
                    continue
                tail = next_path(self.states, target, state)
                if tail is None:
                    continue
                full = [*path[: index + 1], *tail]
                return Plan(
                    preset,
                    kind,
                    state,
                    function,
                    self._skip(full, function, len(full) - 1),
                    divert=(source_function, self._skip(path, source_function, index)),
                )
        return f"no scenario reaches {state}: add a preset to PRESETS"

    def run_plan(self, plan: Plan) -> Outcome:
        arm: list[tuple[str, str, int, int | None]] = []
        if plan.divert is not None:
            arm.append((plan.divert[0], "error", plan.divert[1], 1))
        arm.append((plan.function, plan.kind, plan.skip, 2 if plan.kind == "throttle" else 1))
        return self.run(plan.preset, arm)

    def check(self, plan: Plan, outcome: Outcome, base_failed: bool) -> None:
        assert outcome.failure is None, outcome.failure
        assert outcome.hits and all(h >= 1 for h in outcome.hits), (
            f"the fault never fired: {outcome.hits}; {outcome.explained}"
        )
        assert outcome.status in {"SUCCEEDED", "FAILED"}, outcome.explained
        deployed = (
            outcome.after.get("exists")
            and outcome.after["tags"].get("rollout:model-package-arn") == outcome.package
            and list(outcome.after["weights"].values()) == [1.0]
            and outcome.after["status"] == "InService"
        )
        unchanged = outcome.after == outcome.before
        assert deployed or unchanged, (
            f"{outcome.status}/{outcome.error}: the endpoint is neither as before nor fully "
            f"deployed:\nbefore {outcome.before}\nafter  {outcome.after}"
        )
        if outcome.status == "FAILED" and outcome.error == "PromotionFailed":
            # deployed on its stage; only the hand-over to the next stage failed
            assert deployed, f"PromotionFailed, but the stage's endpoint is {outcome.after}"
        elif outcome.status == "FAILED":
            assert unchanged, f"FAILED ({outcome.error}) but the endpoint changed"
        if plan.kind == "throttle":
            # retried with backoff and jitter, then the deployment went on as without it
            expected = "FAILED" if base_failed or plan.divert else "SUCCEEDED"
            assert outcome.status == expected, (outcome.status, outcome.error, outcome.path)
            direct = not str(self.states[plan.state].get("Resource", "")).startswith(
                "arn:aws:states:::states:"
            )
            # (a step that made no AWS call was not hit; a child machine retried it itself)
            if direct and outcome.applied[-1]:
                assert "Throttled" in outcome.history_errors, outcome.history_errors
        assert outcome.alarms_left == [], f"alarms left behind: {outcome.alarms_left}"
        assert outcome.locks_left == 0, "the endpoint's lock or queue entry was left behind"
        assert outcome.record_status not in {None, "RUNNING"}, outcome.record_status
        if "RecordFailure" in outcome.path:  # failed before touching the endpoint
            assert outcome.release_left == [], f"half-made release left: {outcome.release_left}"


class BatchTransformDriver:
    """Batch transform: a package's model run over an S3 data set. No endpoint: the
    invariants are the job's outcome and that no temporary model is left behind."""

    machine = "batch_transform"

    def __init__(self, bench: Workbench, stack: Any) -> None:
        from rollout_local.inference_workbench import Inference

        self.bench = bench
        self.inference = Inference(bench)
        self.states = all_states(
            json.loads((ROOT / "statemachines" / "batch_transform.asl.json").read_text())
        )

    def run(self, arm: list[tuple[str, str, int, int | None]]) -> Outcome:
        token = f"bx{next(_TOKENS)}x"
        outcome = Outcome(token=token)
        scenario = Scenario(bench=self.bench, group=f"{token}-g", endpoint=f"{token}-e")
        armed: list[faults.Fault] = []
        try:
            package = scenario.register()
            uri = self.inference.put(f"data/{token}/input.csv", "0.1,0.2,0.3\n0.4,0.5,0.6\n")
            for function, kind, skip, times in arm:
                armed.append(faults.arm(function, kind, match=token, skip=skip, times=times))  # type: ignore[arg-type]
            run = self.inference.run_batch(
                {"model_package_arn": package, "input_s3_uri": uri}, timeout=240
            )
            outcome.status, outcome.error = run["status"], run.get("error")
            history = self.bench.history(run["executionArn"])
            outcome.path = [
                e["stateEnteredEventDetails"]["name"]
                for e in history
                if "stateEnteredEventDetails" in e
            ]
            outcome.history_errors = [
                str(details.get("error"))
                for e in history
                for key, details in e.items()
                if key.endswith("FailedEventDetails") and isinstance(details, dict)
            ]
            outcome.after = json.loads(run.get("output") or "null") or {}
            models = self.bench.client("sagemaker").list_models(NameContains=token)["Models"]
            outcome.release_left = [m["ModelName"] for m in models if token in m["ModelName"]]
        except Exception as error:  # reported by the case's test
            outcome.failure = f"{type(error).__name__}: {error}"
        finally:
            outcome.hits = [f.hits for f in armed]
            outcome.applied = [f.applied for f in armed]
            for fault in armed:
                faults.disarm(fault)
        return outcome

    def probe(self) -> dict[str, list[str]]:
        outcome = self.run([])
        assert outcome.failure is None and outcome.status == "SUCCEEDED", outcome
        return {"batch": outcome.path}

    def plan(self, state: str, kind: str, paths: dict[str, list[str]]) -> Plan | str:
        function = function_of(self.states[state])
        path = paths["batch"]
        if function is None or state not in path:
            return f"no scenario reaches {state} of batch_transform"
        skip = sum(1 for s in path[: path.index(state)] if function_of(self.states[s]) == function)
        return Plan("batch", kind, state, function, skip)

    def run_plan(self, plan: Plan) -> Outcome:
        times = 2 if plan.kind == "throttle" else 1
        return self.run([(plan.function, plan.kind, plan.skip, times)])

    def check(self, plan: Plan, outcome: Outcome, base_failed: bool) -> None:
        assert outcome.failure is None, outcome.failure
        assert outcome.hits and all(h >= 1 for h in outcome.hits), outcome.hits
        assert outcome.status in {"SUCCEEDED", "FAILED"}, outcome.status
        if outcome.status == "SUCCEEDED":
            assert outcome.after.get("status") == "Completed", outcome.after
        if plan.kind == "throttle":
            assert "Throttled" in outcome.history_errors, outcome.history_errors
            assert outcome.status == "SUCCEEDED", (outcome.error, outcome.path)
        assert outcome.release_left == [], f"temporary model left: {outcome.release_left}"


DRIVERS: dict[str, Any] = {
    DeployModelDriver.machine: DeployModelDriver,
    BatchTransformDriver.machine: BatchTransformDriver,
}


class Results:
    """Runs every case of a shard of a state machine's cases once (concurrently), on first
    use."""

    def __init__(self, bench: Workbench, stack: Any) -> None:
        self.bench, self.stack = bench, stack
        self._done: dict[tuple[str, int], dict[tuple[str, str], Any]] = {}
        self.plans: dict[tuple[str, str], Plan | str] = {}
        self.base_failed: dict[str, bool] = {}

    def get(self, machine: str, state: str, kind: str) -> tuple[Any, Any, Any]:
        """The plan of a case, its outcome, and the driver that can check it."""
        shard = (machine, shard_of((machine, state, kind)))
        if shard not in self._done:
            try:
                self._done[shard] = self._run(*shard)
            except BaseException as error:  # every case of the shard reports it; run once
                self._done[shard] = {"error": f"{type(error).__name__}: {error}"}
        done = self._done[shard]
        if "error" in done:
            pytest.fail(f"the fault matrix of {machine} could not run: {done['error']}")
        return self.plans.get((state, kind)), done.get((state, kind)), done["driver"]

    def _run(self, machine: str, shard: int) -> dict[tuple[str, str], Any]:
        driver = DRIVERS[machine](self.bench, self.stack)
        paths = driver.probe()
        statuses = getattr(driver, "base_status", {})
        self.base_failed.update({p: statuses.get(p) == "FAILED" for p in paths})
        mine = {
            (state, kind): driver.plan(state, kind, paths)
            for name, state, kind in MATRIX
            if name == machine and shard_of((name, state, kind)) == shard
        }
        self.plans.update(mine)
        runnable = {k: p for k, p in mine.items() if isinstance(p, Plan)}
        outcomes: dict[tuple[str, str], Any] = {}
        lock = threading.Lock()
        gate = threading.Semaphore(24)

        def work(key: tuple[str, str], plan: Plan) -> None:
            with gate:
                result = driver.run_plan(plan)
            with lock:
                outcomes[key] = result

        threads = [threading.Thread(target=work, args=(k, p)) for k, p in runnable.items()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        outcomes["driver"] = driver  # type: ignore[index]
        return outcomes


@pytest.fixture(scope="module")
def results(bench: Workbench, local_stack: Any) -> Iterator[Results]:
    yield Results(bench, local_stack)
    faults.disarm()


# the first case of a shard runs all of the shard's cases (concurrently): minutes, not seconds
@pytest.mark.timeout(3600)
@pytest.mark.parametrize(("machine", "state", "kind"), CASES)
def test_a_fault_at_every_task_state_leaves_the_endpoint_before_or_deployed(
    results: Results, machine: str, state: str, kind: str
) -> None:
    if machine not in DRIVERS:
        pytest.fail(f"no fault driver for state machine {machine}: add one to {__name__}")
    plan, outcome, driver = results.get(machine, state, kind)
    if isinstance(plan, str):
        pytest.fail(plan)
    assert outcome is not None
    driver.check(plan, outcome, results.base_failed.get(plan.preset, False))


def test_the_matrix_covers_every_task_state_of_every_state_machine() -> None:
    covered = {(m, s) for m, s, _ in MATRIX}
    for path in MACHINES:
        for state in task_states(json.loads(path.read_text())):
            assert (path.name.removesuffix(".asl.json"), state) in covered
    assert {k for _, _, k in MATRIX} == set(FAULT_KINDS)
