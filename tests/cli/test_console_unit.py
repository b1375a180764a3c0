"""The console without a stack: the graph's layout of the real ASL files and of small
definitions, each state's status from a synthetic execution history, the page escaping
hostile names and values, and the server's refusals (read-only, token, origin, host)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
from tests.cli.conftest import ROOT

from model_rollout.reporting.reports import ExecutionTrace
from rollout_cli import views
from rollout_cli.console import graph
from rollout_cli.console.app import create_app
from rollout_cli.context import Context

ASL_FILES = sorted((ROOT / "statemachines").glob("*.asl.json"))
HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="alert(1)">'

# Start → Loop → Check (Again → Loop, otherwise → Done); Done catches into Handle → Failed
SMALL: dict[str, Any] = {
    "StartAt": "Start",
    "States": {
        "Start": {"Type": "Task", "Next": "Loop"},
        "Loop": {"Type": "Task", "Next": "Check"},
        "Check": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.again", "BooleanEquals": True, "Next": "Loop"}],
            "Default": "Done",
        },
        "Done": {
            "Type": "Task",
            "Next": "Succeeded",
            "Catch": [{"ErrorEquals": ["Boom", "States.Timeout"], "Next": "Handle"}],
        },
        "Handle": {"Type": "Pass", "Next": "Failed"},
        "Succeeded": {"Type": "Succeed"},
        "Failed": {"Type": "Fail", "Error": "Handled"},
        "Never": {"Type": "Task", "End": True},
    },
}


def test_edges_come_from_next_choices_default_and_catch() -> None:
    found = [(e.source, e.target, e.kind, e.label) for e in graph.edges(SMALL)]
    assert found == [
        ("Start", "Loop", "next", ""),
        ("Loop", "Check", "next", ""),
        ("Check", "Loop", "choice", "again == True"),
        ("Check", "Done", "default", "otherwise"),
        ("Done", "Succeeded", "next", ""),
        ("Done", "Handle", "catch", "Boom, States.Timeout"),
        ("Handle", "Failed", "next", ""),
    ]
    assert graph.back_edges(SMALL) == {("Check", "Loop")}


def test_small_layout_layers_states_along_their_edges() -> None:
    drawn = graph.layout(SMALL)
    layers = {n: node.layer for n, node in drawn.nodes.items()}
    assert list(drawn.nodes) == list(SMALL["States"])  # every state, in the ASL's order
    assert layers["Start"] == 0 and layers["Never"] == 0  # nothing leads to Never
    assert layers["Loop"] == 1 and layers["Check"] == 2 and layers["Done"] == 3
    assert layers["Succeeded"] == 4 and layers["Handle"] == 4 and layers["Failed"] == 5
    routes = {(r.source, r.target): r for r in drawn.routes}
    assert set(routes) == {(e.source, e.target) for e in graph.edges(SMALL)}
    loop = routes[("Check", "Loop")]
    assert loop.back and loop.kind == "choice"
    # a loop's line goes up: from the top of Check to the bottom of Loop
    check, start_of_loop = drawn.nodes["Check"], drawn.nodes["Loop"]
    assert loop.points[0] == (round(check.x, 1), check.y)
    assert loop.points[-1] == (round(start_of_loop.x, 1), start_of_loop.y + graph.NODE_HEIGHT)


@pytest.mark.parametrize("path", ASL_FILES, ids=lambda p: p.name)
def test_every_state_of_the_real_asl_is_placed_without_overlap(path: Any) -> None:
    definition = json.loads(path.read_text())
    drawn = graph.layout(definition)

    assert list(drawn.nodes) == list(definition["States"])
    for node in drawn.nodes.values():  # inside the drawing
        assert node.left >= 0 and node.x + node.width / 2 <= drawn.width
        assert node.y >= 0 and node.y + node.height <= drawn.height
    by_layer: dict[int, list[graph.Node]] = {}
    for node in drawn.nodes.values():
        by_layer.setdefault(node.layer, []).append(node)
    for row in by_layer.values():  # states of one layer side by side, never on each other
        row.sort(key=lambda n: n.x)
        for left, right in pairwise(row):
            assert left.x + left.width / 2 + 2 * graph.POINT_GAP <= right.left + 0.01, (left, right)
    pairs = {(e.source, e.target) for e in graph.edges(definition)}
    assert {(r.source, r.target) for r in drawn.routes} == pairs  # a line for every edge
    back = graph.back_edges(definition)
    for route in drawn.routes:
        source, target = drawn.nodes[route.source], drawn.nodes[route.target]
        assert route.back == ((route.source, route.target) in back)
        if route.back:  # up from the top of the source to the bottom of its target
            assert target.layer < source.layer
            assert route.points[0][1] == source.y
            assert route.points[-1][1] == target.y + target.height
        else:  # down from the bottom of the source to the top of its target
            assert target.layer > source.layer
            assert route.points[0][1] == source.y + source.height
            assert route.points[-1][1] == target.y
        assert route.path.startswith("M") and route.path.count("C") == len(route.points) - 1


def test_the_deploy_model_graph_loops_and_merges_parallel_edges() -> None:
    definition = json.loads((ROOT / "statemachines" / "deploy_model.asl.json").read_text())
    assert {("StepVerdict", "WatchStep"), ("StepVerdict", "NextStep")} <= graph.back_edges(
        definition
    )
    routes = {(r.source, r.target): r for r in graph.layout(definition).routes}
    # Watch's Next and its catch of the bake's timeout both go to Promote: one line
    watch = routes[("Watch", "Promote")]
    assert watch.kinds == ("next", "catch") and watch.kind == "next"
    assert "States.Timeout" in watch.label
    assert routes[("Strategy", "NextStep")].kinds == ("default",)
    assert routes[("Deploy", "Rollback")].kind == "catch"


def _history(*steps: tuple[str, str, str]) -> list[dict[str, Any]]:
    """Events of a history from (event type, state, error): one second apart."""
    at = datetime(2026, 12, 1, tzinfo=UTC)
    events = []
    for number, (kind, name, error) in enumerate(steps):
        if kind.endswith("Entered"):
            details = {"stateEnteredEventDetails": {"name": name, "input": "{}"}}
        elif kind.endswith("Exited"):
            output = json.dumps({"state": name})
            details = {"stateExitedEventDetails": {"name": name, "output": output}}
        else:
            details = {"taskFailedEventDetails": {"error": error, "cause": f"{error} cause"}}
        events.append({"type": kind, "timestamp": at + timedelta(seconds=number), **details})
    return events


def _trace(status: str, events: list[dict[str, Any]]) -> ExecutionTrace:
    start = datetime(2026, 12, 1, tzinfo=UTC)
    execution = {
        "executionArn": "arn:aws:states:us-east-1:123456789012:execution:M:d-1",
        "status": status,
        "startDate": start,
        **({"stopDate": start + timedelta(seconds=len(events))} if status != "RUNNING" else {}),
        **({"error": "Handled", "cause": HOSTILE} if status == "FAILED" else {}),
    }
    return ExecutionTrace.from_history(execution, events)


def _view(trace: ExecutionTrace) -> dict[str, Any]:
    record = {"deployment_id": "d-1"}
    return views.execution_view_of(record, trace, SMALL, "arn:aws:states:::stateMachine:M")


def test_statuses_from_a_synthetic_history_caught_failed_repeated_not_reached() -> None:
    events = _history(
        ("TaskStateEntered", "Start", ""),
        ("TaskStateExited", "Start", ""),
        ("TaskStateEntered", "Loop", ""),
        ("TaskStateExited", "Loop", ""),
        ("ChoiceStateEntered", "Check", ""),
        ("ChoiceStateExited", "Check", ""),
        ("TaskStateEntered", "Loop", ""),
        ("TaskStateExited", "Loop", ""),
        ("ChoiceStateEntered", "Check", ""),
        ("ChoiceStateExited", "Check", ""),
        ("TaskStateEntered", "Done", ""),
        ("TaskFailed", "Done", "Boom"),
        ("TaskStateExited", "Done", ""),
        ("PassStateEntered", "Handle", ""),
        ("PassStateExited", "Handle", ""),
        ("FailStateEntered", "Failed", ""),
    )
    states = graph.statuses(_view(_trace("FAILED", events))["states"])

    assert {n: (s["status"], s["visits"]) for n, s in states.items()} == {
        "Start": ("succeeded", 1),
        "Loop": ("succeeded", 2),
        "Check": ("succeeded", 2),
        "Done": ("caught", 1),
        "Handle": ("succeeded", 1),
        "Succeeded": ("not reached", 0),
        "Failed": ("failed", 1),
        "Never": ("not reached", 0),
    }
    assert states["Done"]["error"] == "Boom"


def test_statuses_of_a_running_execution() -> None:
    events = _history(
        ("TaskStateEntered", "Start", ""),
        ("TaskStateExited", "Start", ""),
        ("TaskStateEntered", "Loop", ""),
    )
    states = graph.statuses(_view(_trace("RUNNING", events))["states"])
    assert states["Start"]["status"] == "succeeded"
    assert (states["Loop"]["status"], states["Loop"]["visits"]) == ("running", 1)
    assert states["Check"]["status"] == "not reached"


# ---------------------------------------------------------------------- the app, offline


def _app(allow_decisions: bool = False) -> Any:
    ctx = Context.create(endpoint_url="http://127.0.0.1:9")  # never reached by these tests
    ctx.__dict__["deployments_table"] = "model-rollout-DeploymentsTable"  # as if looked up
    return create_app(ctx, allow_decisions=allow_decisions)


def _hostile_page_data(app: Any) -> dict[str, Any]:
    """A deployment page's data, built as the console builds it, from a synthetic history
    of a state machine whose state names and the execution's cause are hostile."""
    definition = json.loads(json.dumps(SMALL).replace('"Handle"', json.dumps(HOSTILE)))
    events = _history(
        ("TaskStateEntered", "Start", ""),
        ("TaskStateExited", "Start", ""),
        ("TaskStateEntered", HOSTILE, ""),
        ("TaskFailed", HOSTILE, "Boom"),
    )
    trace = _trace("FAILED", events)
    machine = "arn:aws:states:us-east-1:123456789012:stateMachine:M"
    record = {"deployment_id": "d-1", "endpoint_name": HOSTILE, "cause": HOSTILE}
    execution = views.execution_view_of(record, trace, definition, machine)
    row = views.deployment_row(record)
    row["strategy_text"] = HOSTILE
    console = app.config["CONSOLE"]
    console.definition = lambda arn: definition
    data = {
        "deployment": row,
        "execution": {k: v for k, v in execution.items() if k != "runs"},
        "runs": execution["runs"],
        "current": None,
        "live": {"ended": True, "weights": {"variants": {HOSTILE: 1.0}}, "alarms": {}},
        "traffic": {"start": 0, "end": 1, "samples": [], "now": {}},
        "comparison": [[HOSTILE, HOSTILE]],
        "decisions": {"allowed": False, "pending": None},
    }
    console.deployment = lambda ref: data
    console.deployments = lambda **_: [row]
    return data


def test_pages_escape_every_value_and_embed_data_as_json() -> None:
    app = _app()
    _hostile_page_data(app)
    client = app.test_client()
    for path in ("/deployments/d-1", "/"):
        answer = client.get(path)
        html = answer.get_data(as_text=True)
        assert answer.status_code == 200, html
        assert "<script>window.__pwned" not in html and "<img src=x" not in html
        assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
    html = client.get("/deployments/d-1").get_data(as_text=True)
    embedded = re.search(r'<script type="application/json" id="initial">(.*?)</script>', html, re.S)
    assert embedded is not None
    assert "</script" not in embedded.group(1) and "\\u003cscript\\u003e" in embedded.group(1)
    assert json.loads(embedded.group(1))["deployment"]["reason"] == HOSTILE
    # the hostile state is drawn, its name as text and in attributes, escaped
    assert 'data-state="&lt;script&gt;window.__pwned=1&lt;/script&gt;' in html
    # only the page's own scripts may run (nonce), nothing is fetched from elsewhere
    policy = client.get("/deployments/d-1").headers["Content-Security-Policy"]
    assert "script-src 'nonce-" in policy and "default-src 'none'" in policy
    scripts = re.findall(r"<script(?![^>]*application/json)([^>]*)>", html)
    assert scripts and all("nonce=" in attributes for attributes in scripts)
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_read_only_refuses_decisions_and_shows_no_buttons() -> None:
    app = _app(allow_decisions=False)
    _hostile_page_data(app)
    client = app.test_client()
    html = client.get("/deployments/d-1").get_data(as_text=True)
    assert 'id="decision-panel"' not in html and "data-action=" not in html
    assert "data-token" not in html
    for action in ("promote", "abort", "approve"):
        answer = client.post(f"/api/deployments/d-1/decisions/{action}", json={"reason": "x"})
        assert answer.status_code == 403
        assert "read-only" in answer.get_json()["error"]


def test_decisions_need_the_pages_token_and_origin() -> None:
    app = _app(allow_decisions=True)
    token = app.config["TOKEN"]
    client = app.test_client()
    url = "/api/deployments/d-1/decisions/promote"
    assert client.post(url, json={}).status_code == 403  # no token: another page's form
    assert client.post(url, json={}, headers={"X-Rollout-Token": "guess"}).status_code == 403
    other_origin = {"X-Rollout-Token": token, "Origin": "http://attacker.example"}
    assert client.post(url, json={}, headers=other_origin).status_code == 403
    not_json = client.post(url, data="reason=x", headers={"X-Rollout-Token": token})
    assert not_json.status_code == 400
    unknown = client.post("/api/deployments/d-1/decisions/deploy", json={})
    assert unknown.status_code == 404


def test_only_requests_to_a_loopback_name_are_answered() -> None:
    client = _app().test_client()
    answer = client.get("/api/deployments", headers={"Host": "rebound.example:8080"})
    assert answer.status_code == 403
    assert "not this console's address" in answer.get_json()["error"]


def test_committed_screenshots_are_small() -> None:
    for name in ("console-canary.png", "console-rolled-back.png"):
        path = ROOT / "docs" / "images" / name
        assert path.exists(), f"{name}: ROLLOUT_SCREENSHOTS=1 pytest tests/cli/test_console.py"
        assert path.stat().st_size < 200_000, (name, path.stat().st_size)
