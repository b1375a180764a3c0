"""`rollout deployments | show | lineage | report` against the local stack: the tables and the
`--json` shapes, checked against what the executions and the endpoint really are."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import ROOT, Cli, Story

HAPPY = [
    "ResolvePolicy",
    "Validate",
    "Tag",
    "Deploy",
    "AwaitDeploy",
    "CreateAlarms",
    "Watch",
    "Promote",
    "AwaitPromote",
    "Finalize",
    "RecordStage",
    "StageOutcome",
    "Deployed",
]
ROW_KEYS = {
    "deployment_id",
    "endpoint",
    "model_package_arn",
    "model_version",
    "strategy",
    "status",
    "started",
    "finished",
    "seconds",
    "outcome",
    "reason",
    "kind",
    "execution_arn",
    "report_url",
}


def test_deployments_lists_every_deployment_of_an_endpoint_newest_first(
    cli: Cli, story: Story
) -> None:
    rows = cli.json("deployments", "--endpoint", story.scenario.endpoint)

    assert [set(r) for r in rows] == [ROW_KEYS] * 4
    group = story.scenario.group
    assert [r["model_version"] for r in rows] == [f"{group} v{n}" for n in (4, 3, 2, 1)]
    assert [r["status"] for r in rows] == ["FAILED", "ROLLED_BACK", "PROMOTED", "PROMOTED"]
    assert [r["outcome"] for r in rows] == [
        "ValidationFailed",
        "RolledBack",
        "Deployed",
        "Deployed",
    ]
    by_version = {r["model_version"].rsplit(" ", 1)[-1]: r for r in rows}
    assert by_version["v3"]["deployment_id"] == story.executions["v3"]["name"]
    assert "error-rate entered ALARM" in by_version["v3"]["reason"]
    assert "accuracy" in by_version["v4"]["reason"]
    assert all(r["strategy"] == {"type": "all_at_once", "bake_seconds": 3} for r in rows)
    assert all(r["seconds"] > 0 and r["finished"] > r["started"] for r in rows)
    assert all(r["endpoint"] == story.scenario.endpoint for r in rows)

    table = cli.run("deployments", "--endpoint", story.scenario.endpoint).stdout
    for fragment in ("endpoint", "model version", "ROLLED_BACK", "RolledBack", f"{group} v3"):
        assert fragment in table, table


def test_deployments_without_endpoint_lists_all_endpoints(cli: Cli, story: Story) -> None:
    rows = cli.json("deployments", "--limit", "500")
    ids = {r["deployment_id"] for r in rows}
    assert {e["name"] for e in story.executions.values()} <= ids
    assert not any(i.startswith("approval#") for i in ids)  # claims are not deployments


def test_show_is_the_console_view_of_a_rollback(cli: Cli, story: Story) -> None:
    execution = story.executions["v3"]
    view = cli.json("show", execution["name"][:13])  # a unique prefix is enough

    assert view["status"] == "FAILED"
    assert view["error"] == "RolledBack"
    assert view["cause"] == execution["cause"]
    states = {s["name"]: s for s in view["states"]}
    # every state of the ASL once, in the order the ASL file defines them
    asl = json.loads((ROOT / "statemachines" / "deploy_model.asl.json").read_text())
    assert [s["name"] for s in view["states"]] == list(asl["States"])
    assert set(HAPPY) <= set(asl["States"])
    assert states["Watch"]["status"] == "caught"
    assert states["Watch"]["error"] == "AlarmFired"
    for name in ("Rollback", "AwaitRollbackTraffic", "RestoreConfig", "FinishRollback"):
        assert states[name]["status"] == "succeeded", states[name]
    assert states["RolledBack"]["status"] == "failed"
    for name in ("Promote", "Finalize", "Deployed", "RecordFailure"):
        assert states[name]["status"] == "not reached"
    assert all(s["seconds"] >= 0 for s in view["states"] if s["visits"])
    assert view["path"][0] == "ResolvePolicy" and view["path"][-1] == "RolledBack"

    text = cli.run("show", execution["name"]).stdout
    assert "AlarmFired" in text and "not reached" in text and "RolledBack" in text


def test_show_io_gives_each_states_input_and_output(cli: Cli, story: Story) -> None:
    view = cli.json("show", story.executions["v2"]["name"], "--io")
    states = {s["name"]: s for s in view["states"]}
    assert view["status"] == "SUCCEEDED"
    assert states["Validate"]["output"]["validation"]["gate"]["candidate_value"] == 0.91
    assert states["ResolvePolicy"]["input"]["detail-type"] == "SageMaker Model Package State Change"
    assert states["Watch"]["status"] == "caught"  # the bake ends by its timeout
    assert states["Watch"]["error"] == "States.Timeout"


def test_show_of_a_gate_failure(cli: Cli, story: Story) -> None:
    view = cli.json("show", story.executions["v4"]["name"])
    states = {s["name"]: s for s in view["states"]}
    assert (view["status"], view["error"]) == ("FAILED", "ValidationFailed")
    assert states["Validate"]["status"] == "caught"
    assert states["Validate"]["error"] == "ValidationFailed"
    assert states["Deploy"]["status"] == "not reached"


def test_show_of_an_unknown_deployment_is_a_clear_error(cli: Cli, story: Story) -> None:
    result = cli.run("show", "no-such-deployment", expect=1)
    assert "no deployment 'no-such-deployment'" in result.stderr


def test_lineage_names_what_serves_and_what_served_before(cli: Cli, story: Story) -> None:
    data = cli.json("lineage", story.scenario.endpoint)

    serving = data["serving"]
    package = serving["package"]
    assert package["model_package_arn"] == story.packages["v2"]
    assert (package["git_commit"], package["data_version"], package["build_id"]) == (
        "c0ffee2",
        "data-2",
        "build-2",
    )
    assert package["approval"]["status"] == "Approved"
    assert package["approval"]["description"] == "Approved by the workbench"
    assert package["approval"]["by"] and package["approval"]["at"]
    assert serving["deployment"]["deployment_id"] == story.executions["v2"]["name"]
    assert serving["gate"]["candidate_value"] == 0.91 and serving["gate"]["passed"] is True
    assert serving["gate"]["baseline_value"] == 0.9
    assert list(serving["weights"].values()) == [1.0]
    assert serving["tags"]["rollout:deployment-id"] == story.executions["v2"]["name"]
    before = [b["package"]["model_package_arn"] for b in data["served_before"]]
    assert before == [story.packages["v1"]]
    assert [r["deployment_id"] for r in data["rollbacks"]] == [story.executions["v3"]["name"]]

    text = cli.run("lineage", story.scenario.endpoint).stdout
    for fragment in ("serving now", "served before", "c0ffee2", "data-2", "build-2", "rollbacks"):
        assert fragment in text, text


def test_report_writes_a_self_contained_html_with_charts(
    cli: Cli, story: Story, tmp_path: Path
) -> None:
    target = tmp_path / "v3.html"
    summary = cli.json("report", story.executions["v3"]["name"], "-o", str(target))

    html = target.read_text()
    assert summary["path"] == str(target) and summary["bytes"] == len(html.encode())
    assert summary["status"] == "ROLLED_BACK"
    assert len(summary["variants"]) == 2 and len(summary["alarms"]) == 2
    assert summary["published"].startswith("s3://")
    for chart in ("weights", "alarms", "invocations", "errors", "latency", "states"):
        assert f'data-chart="{chart}"' in html
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert 'data-label="ALARM"' in html  # the alarm that fired
    for variant in summary["variants"]:
        assert f'data-series="{variant}"' in html
