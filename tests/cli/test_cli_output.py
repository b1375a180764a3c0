"""What the operator commands print for people (a terminal of 80 columns) and for pipes,
and the errors they exit with: tables fit or are plain, every run of a state is shown,
an unknown endpoint and a refused approval say one true thing."""

from __future__ import annotations

import re

from tests.cli.conftest import Cli, Story
from tests.cli.test_cli_steering import LONG_BAKE, start
from tests.e2e.scenario import Scenario

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
BOX = set("─│┃━┏┓┗┛┡┩╇╭╮╰╯┌┐└┘├┤┬┴┼═║╔╗╚╝")
TERMINAL_80 = {"COLUMNS": "80", "TTY_COMPATIBLE": "1", "NO_COLOR": "1"}
PIPE_80 = {"COLUMNS": "80"}


def lines_of(text: str) -> list[str]:
    return ANSI.sub("", text).splitlines()


# ---------------------------------------------------------------------- lineage


def test_lineage_of_an_unknown_endpoint_exits_1_with_a_clear_message(cli: Cli) -> None:
    for extra in ((), ("--json",)):
        ran = cli.run("lineage", "no-such-endpoint", *extra, expect=1)
        assert "endpoint no-such-endpoint does not exist" in ran.stderr
        assert "no deployment of it is recorded" in ran.stderr
        assert ran.stdout == ""


# ---------------------------------------------------------------------- show


def test_show_lists_every_run_of_a_state_with_its_count_and_traffic_step(
    cli: Cli, cli_scenario: Scenario
) -> None:
    cli_scenario.policy()
    cli_scenario.deploy()
    cli_scenario.policy(strategy={"type": "canary", "steps": [20, 50], "bake_seconds": 1})
    _, execution = cli_scenario.deploy(accuracy=0.91)
    assert execution["status"] == "SUCCEEDED", execution

    view = cli.json("show", execution["name"])

    watches = [r for r in view["runs"] if r["name"] == "WatchStep"]
    assert [(r["run"], r["runs"]) for r in watches] == [(1, 3), (2, 3), (3, 3)]
    assert [r["traffic_step"] for r in watches] == [
        {"number": 1, "count": 3, "percent": 20.0},
        {"number": 2, "count": 3, "percent": 50.0},
        {"number": 3, "count": 3, "percent": 100.0},
    ]
    assert [r["name"] for r in view["runs"]] == view["path"]  # in the order they ran
    states = {s["name"]: s for s in view["states"]}
    assert states["WatchStep"]["visits"] == 3

    text = cli.run("show", execution["name"], env=PIPE_80).stdout
    rows = [line.split() for line in text.splitlines() if " WatchStep " in f" {line} "]
    assert [row[4:7] for row in rows] == [
        ["1/3", "1/3", "at"],
        ["2/3", "2/3", "at"],
        ["3/3", "3/3", "at"],
    ]
    assert all(row[7] in {"20%", "50%", "100%"} for row in rows)


# ---------------------------------------------------------------------- tables


def test_tables_fit_a_terminal_of_80_columns_cut_with_an_ellipsis_and_name_hidden_columns(
    cli: Cli, story: Story
) -> None:
    endpoint = story.scenario.endpoint

    ran = cli.run("deployments", "--endpoint", endpoint, env=TERMINAL_80)

    lines = lines_of(ran.stdout)
    assert all(len(line.rstrip()) <= 80 for line in lines), lines
    assert any("…" in line for line in lines)  # the rolled-back one's reason is cut, visibly
    text = " ".join(" ".join(lines).split())
    note = re.search(r"hidden for width \(80 columns\): (.*?) \(widen", text)
    assert note is not None, lines
    hidden = note.group(1).split(", ")
    header = next(line for line in lines if line.startswith("deployment "))
    shown = re.split(r"\s{2,}", header.strip())
    assert hidden and not set(hidden) & set(shown)  # the note names exactly what is missing
    all_columns = ["deployment", "endpoint", "model version", "strategy", "status", "started"]
    all_columns += ["duration", "outcome", "reason"]
    assert sorted(hidden + shown) == sorted(all_columns)
    assert {"deployment", "status", "outcome"} <= set(shown)  # what matters most stays
    assert not any(ch in BOX for line in lines for ch in line)


def test_tables_in_a_pipe_are_plain_complete_and_uncut(cli: Cli, story: Story) -> None:
    endpoint = story.scenario.endpoint
    rolled_back = story.executions["v3"]

    ran = cli.run("deployments", "--endpoint", endpoint, env=PIPE_80)

    assert "\x1b[" not in ran.stdout
    lines = ran.stdout.splitlines()
    assert not any(ch in BOX for line in lines for ch in line)
    assert "…" not in ran.stdout and "hidden for width" not in ran.stdout
    header = lines[1].split()
    assert header[:2] == ["deployment", "endpoint"] and header[-1] == "reason"
    rows = {line.split()[0]: line for line in lines[2:]}
    for execution in story.executions.values():
        assert execution["name"] in rows  # the whole deployment id
    reason = " ".join(rolled_back["cause"].split())
    assert reason in " ".join(rows[rolled_back["name"]].split())  # the whole reason

    shown = cli.run("show", rolled_back["name"], env=PIPE_80).stdout
    assert not any(ch in BOX for ch in shown) and "\x1b[" not in shown
    assert f"RolledBack: {rolled_back['cause']}" in shown

    lineage = cli.run("lineage", endpoint, env=PIPE_80).stdout
    assert not any(ch in BOX for ch in lineage)
    assert "serving now:" in lineage and story.packages["v2"] in lineage


# ---------------------------------------------------------------------- approve


def test_approve_during_a_watch_is_refused_with_one_reason_and_what_to_do(
    cli: Cli, cli_scenario: Scenario
) -> None:
    cli_scenario.policy()
    cli_scenario.deploy()
    cli_scenario.policy(strategy=LONG_BAKE)
    _, deployment_id = start(cli_scenario)
    try:
        ran = cli.run("approve", deployment_id, expect=1)
    finally:
        cli.run("abort", deployment_id, "--reason", "end of the test")

    message = " ".join(ran.stderr.split())
    assert "is in a watch" in message and "not at an approval" in message
    assert "use promote" in message
    assert "no step waiting" not in message and "Try again while it bakes" not in message
