"""`rollout console` on the local stack, in headless Chromium (Debian's ``chromium``, driven by
playwright without a browser download of its own): the deployments list and its filters,
the state machine drawn with each state's status (a rolled-back and a promoted deployment),
a state's input and output on click, the lineage, a canary's traffic share changing on the
page while it runs, and decisions: a button and a 403 by the flag.

``ROLLOUT_SCREENSHOTS=1`` also saves ``docs/images/console-canary.png`` and
``docs/images/console-rolled-back.png``.
"""

from __future__ import annotations

import json
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from tests.cli.conftest import ROOT, Cli, Story
from tests.e2e.scenario import Scenario

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
try:
    from playwright.sync_api import Browser, Page, sync_playwright
except ImportError:  # pragma: no cover - the dev extras pin it
    sync_playwright = None  # type: ignore[assignment]

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or sync_playwright is None,
    reason="chromium (Debian: apt-get install -y chromium) or playwright is not installed",
)
ASL = json.loads((ROOT / "statemachines" / "deploy_model.asl.json").read_text())
SCREENSHOTS = os.environ.get("ROLLOUT_SCREENSHOTS") == "1"
IMAGES = ROOT / "docs" / "images"
POLL = "0.3"  # seconds between a live page's polls
WAIT_MS = 30_000  # the deadline of every wait on the page
HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'


@dataclass
class RunningConsole:
    process: subprocess.Popen[str]
    url: str  # http://127.0.0.1:<port>/

    def get(self, path: str, **headers: str) -> tuple[int, str]:
        request = urllib.request.Request(self.url.rstrip("/") + path, headers=headers)
        return _open(request)

    def post(self, path: str, body: Any, **headers: str) -> tuple[int, Any]:
        request = urllib.request.Request(
            self.url.rstrip("/") + path,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", **headers},
            method="POST",
        )
        status, text = _open(request)
        return status, json.loads(text)

    def stop(self) -> tuple[int, str]:
        """Ctrl-C, as an operator stops it: the exit code and what it printed."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            out, _ = self.process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, _ = self.process.communicate(timeout=5)
        return self.process.returncode, out


def _open(request: urllib.request.Request) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def start_console(endpoint_url: str, *args: str) -> RunningConsole:
    """``rollout console --port 0`` in its own process; its address from its first line."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rollout_cli.main",
            "console",
            "--port",
            "0",
            "--interval",
            POLL,
            *args,
            "--endpoint-url",
            endpoint_url,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + 60
    line = ""
    while not line and time.monotonic() < deadline and process.poll() is None:
        if selector.select(timeout=0.5):
            line = process.stdout.readline()
    selector.close()
    found = re.search(r"http://127\.0\.0\.1:\d+/", line)
    if found is None:
        process.kill()
        pytest.fail(f"the console did not print its address within 60 s: {line!r}")
    return RunningConsole(process, found.group(0))


@pytest.fixture(scope="module")
def read_only(local_stack: Any) -> Iterator[RunningConsole]:
    console = start_console(local_stack.endpoint_url)
    yield console
    console.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert sync_playwright is not None and CHROMIUM is not None
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    # the tests' own scripts (wait_for_function) are evaluated strings, which the console's
    # Content Security Policy forbids; without it, what keeps a hostile value from running
    # is the escaping alone, which is what the tests check
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, bypass_csp=True)
    context.set_default_timeout(WAIT_MS)
    opened = context.new_page()
    opened.on("dialog", lambda dialog: dialog.accept())  # the decision's "are you sure?"
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert not errors, f"the page's script failed: {errors}"


def states_on_page(page: Page) -> dict[str, tuple[str, int]]:
    """Each drawn state's (status, runs), as the page shows them now."""
    found: dict[str, list[Any]] = page.eval_on_selector_all(
        "#graph g.state",
        "gs => Object.fromEntries(gs.map(g => [g.dataset.state, "
        "[g.dataset.status, Number(g.dataset.visits)]]))",
    )
    return {name: (status, visits) for name, (status, visits) in found.items()}


def shares_on_page(page: Page) -> dict[str, str]:
    found: dict[str, str] = page.eval_on_selector_all(
        "#traffic-now tr[data-variant]",
        "rows => Object.fromEntries(rows.map(r => [r.dataset.variant, "
        "r.querySelector('.share').textContent]))",
    )
    return found


def screenshot(page: Page, name: str) -> None:
    """docs/images/<name>, when ROLLOUT_SCREENSHOTS=1: the viewport of a laptop's browser
    (a PNG under 200 KB)."""
    if SCREENSHOTS:
        IMAGES.mkdir(parents=True, exist_ok=True)
        size = page.viewport_size
        page.set_viewport_size({"width": 1280, "height": 800})
        page.screenshot(path=str(IMAGES / name), full_page=False)
        if size is not None:
            page.set_viewport_size(size)


# ---------------------------------------------------------------------- the server


def test_console_binds_localhost_prints_its_address_and_stops_on_ctrl_c(local_stack: Any) -> None:
    console = start_console(local_stack.endpoint_url)
    try:
        assert console.url.startswith("http://127.0.0.1:")
        status, html = console.get("/")
        assert status == 200 and "read-only" in html
        # a name that resolves to 127.0.0.1 is not this console (DNS rebinding)
        status, _ = console.get("/", Host="attacker.example")
        assert status == 403
        status, body = console.post("/api/deployments/x/decisions/promote", {"reason": "no"})
        assert status == 403 and "read-only" in body["error"]
    finally:
        code, out = console.stop()
    assert code == 0, out
    assert "rollout console stopped" in out


# ---------------------------------------------------------------------- finished deployments


def test_list_filters_and_the_graph_of_a_rolled_back_deployment(
    read_only: RunningConsole, story: Story, page: Page
) -> None:
    endpoint = story.scenario.endpoint
    v2, v3 = story.executions["v2"]["name"], story.executions["v3"]["name"]
    page.goto(read_only.url)
    rows = page.locator("#deployments tbody tr[data-deployment]")
    assert rows.count() >= 4
    page.fill("#filter-endpoint", endpoint)  # filters as one types
    visible = page.locator("#deployments tbody tr[data-deployment]:visible")
    assert visible.count() == 4
    page.select_option("#filter-status", "ROLLED_BACK")
    assert visible.count() == 1
    assert visible.first.get_attribute("data-deployment") == v3
    assert "error-rate entered ALARM" in visible.first.inner_text()
    # the query asks the table for that endpoint only
    page.click("#filters button[type=submit]")
    page.wait_for_url(re.compile(r"endpoint="))
    assert page.locator("#deployments tbody tr[data-deployment]").count() == 1

    page.click(f'#deployments a[href="/deployments/{v3}"]')
    page.wait_for_selector("#graph g.state")
    states = states_on_page(page)
    assert set(states) == set(ASL["States"])  # every state of the ASL is drawn
    assert states["Watch"] == ("caught", 1)
    for name in ("Rollback", "AwaitRollbackTraffic", "RestoreConfig", "FinishRollback"):
        assert states[name] == ("succeeded", 1), name
    assert states["RolledBack"][0] == "failed"
    for name in ("Promote", "Finalize", "Deployed", "RecordFailure", "WatchStep"):
        assert states[name] == ("not reached", 0), name
    assert page.inner_text("#status") == "ROLLED_BACK"
    assert page.inner_text("#error") == "RolledBack"
    assert "error-rate entered ALARM" in page.inner_text("#cause")
    assert page.locator("#graph path.edge.taken").count() >= 10
    assert page.locator("#decision-panel").count() == 0  # read-only
    # a state's runs, input and output on click
    page.click('#graph g.state[data-state="Validate"]')
    page.wait_for_selector("#state-runs pre.output")
    output = json.loads(page.inner_text("#state-runs pre.output"))
    assert output["validation"]["gate"]["candidate_value"] == 0.92
    page.click('#graph g.state[data-state="Watch"]')
    page.wait_for_function(
        "document.querySelector('#state-runs .cause')?.textContent.includes('AlarmFired')"
    )
    # for the picture: the page's top, the graph from the bake down the rollback's states
    page.evaluate("window.scrollTo(0, 0)")
    page.eval_on_selector(
        "#graph-box",
        "box => { const g = box.querySelector('g.state[data-state=AwaitRollbackTraffic]');"
        " box.scrollTop += g.getBoundingClientRect().top - box.getBoundingClientRect().top"
        " - box.clientHeight / 2; }",
    )
    screenshot(page, "console-rolled-back.png")

    page.goto(f"{read_only.url}deployments/{v2}")
    states = states_on_page(page)
    assert states["Watch"] == ("caught", 1)  # the bake ends by its timeout
    for name in ("Promote", "AwaitPromote", "Finalize", "Deployed"):
        assert states[name] == ("succeeded", 1), name
    for name in ("Rollback", "RolledBack", "RecordFailure"):
        assert states[name] == ("not reached", 0), name
    assert page.inner_text("#status") == "PROMOTED"
    assert page.locator("#error-panel").is_hidden()
    assert list(shares_on_page(page).values()) == ["100%"]  # what serves now

    page.click("#endpoint")  # the endpoint's lineage
    page.wait_for_selector("#serving")
    assert story.packages["v2"] in page.inner_text("#serving")
    assert "c0ffee2" in page.inner_text("#serving")
    assert story.packages["v1"] in page.inner_text("#served-before")
    rollbacks = page.eval_on_selector_all(
        "#rollbacks tr[data-deployment]", "rows => rows.map(r => r.dataset.deployment)"
    )
    assert rollbacks == [v3]


def test_an_unknown_deployment_is_a_404_page(read_only: RunningConsole, page: Page) -> None:
    answer = page.goto(f"{read_only.url}deployments/no-such-deployment")
    assert answer is not None and answer.status == 404
    assert "no deployment 'no-such-deployment'" in page.inner_text("#error-message")


# ---------------------------------------------------------------------- decisions


LONG_BAKE = {"type": "all_at_once", "bake_seconds": 300}


def test_read_only_has_no_buttons_refuses_decisions_and_escapes_what_it_shows(
    read_only: RunningConsole, cli: Cli, cli_scenario: Scenario, page: Page
) -> None:
    cli_scenario.policy(strategy=LONG_BAKE)
    arn = cli_scenario.register()
    cli_scenario.bench.approve(arn)
    execution_arn = cli_scenario.bench.running_execution(arn)
    cli_scenario.bench.wait_for_state(execution_arn, "Watch")
    deployment = execution_arn.rsplit(":", 1)[-1]

    page.goto(f"{read_only.url}deployments/{deployment}")
    page.wait_for_function(
        "document.querySelector('#graph g.state[data-state=Watch]').dataset.status === 'running'"
    )
    assert page.locator("#decision-panel").count() == 0
    assert page.locator("button[data-action]").count() == 0
    assert page.inner_text("#mode") == "read-only"
    # the page's own origin, with a JSON body, is refused too
    status = page.evaluate(
        "url => fetch(url, {method: 'POST', headers: {'Content-Type': 'application/json'},"
        " body: JSON.stringify({reason: 'from the page'})}).then(r => r.status)",
        f"/api/deployments/{deployment}/decisions/promote",
    )
    assert status == 403
    status, body = read_only.post(f"/api/deployments/{deployment}/decisions/abort", {})
    assert status == 403 and "--allow-decisions" in body["error"]
    sfn = cli_scenario.bench.client("stepfunctions")
    assert sfn.describe_execution(executionArn=execution_arn)["status"] == "RUNNING"

    # the list, open while it runs, shows the change without reloading: ended by the CLI
    # with a reason a browser would run if it were not escaped
    page.goto(f"{read_only.url}?endpoint={cli_scenario.endpoint}")
    selector = f'#deployments tr[data-deployment="{deployment}"]'
    row = page.locator(selector)
    assert row.get_attribute("data-status") == "RUNNING"
    cli.run("abort", deployment, "--reason", HOSTILE)
    execution = cli_scenario.bench.wait_for_execution(arn, timeout=30)
    assert (execution["status"], execution["error"]) == ("FAILED", "RolledBack")
    page.wait_for_selector(f"{selector}[data-status=ROLLED_BACK]")
    assert HOSTILE in row.inner_text()  # the row the page's script built
    assert page.evaluate("window.__pwned") is None

    page.goto(f"{read_only.url}deployments/{deployment}")
    # the record says ROLLED_BACK a moment before the execution ends with its cause
    page.wait_for_function(
        "document.querySelector('#cause').textContent.includes('aborted by operator')"
    )
    assert page.inner_text("#status") == "ROLLED_BACK"
    assert HOSTILE in page.inner_text("#reason")
    assert HOSTILE in page.inner_text("#cause")
    assert page.evaluate("window.__pwned") is None
    for path in ("/", f"/deployments/{deployment}"):
        status, html = read_only.get(path)
        assert status == 200
        assert "<script>window.__pwned" not in html and "<img src=x" not in html
        assert "&lt;script&gt;window.__pwned" in html  # shown as text, by Jinja
    _, html = read_only.get(f"/deployments/{deployment}")
    embedded = re.search(r'<script type="application/json" id="initial">(.*?)</script>', html, re.S)
    assert embedded is not None and "\\u003cscript\\u003e" in embedded.group(1)  # tojson


def test_live_canary_traffic_changes_on_the_page_and_promote_ends_it_promoted(
    local_stack: Any, cli_scenario: Scenario, page: Page
) -> None:
    cli_scenario.policy(strategy={"type": "all_at_once", "bake_seconds": 1})
    _, first = cli_scenario.deploy()
    assert first["status"] == "SUCCEEDED", first
    blue = next(iter(cli_scenario.weights()))
    # long enough steps for the page to see each and the operator to decide, even on a
    # loaded machine: the promote ends the second step early
    cli_scenario.policy(strategy={"type": "canary", "steps": [20, 50], "bake_seconds": 15})
    console = start_console(local_stack.endpoint_url, "--allow-decisions")
    try:
        v2 = cli_scenario.register(accuracy=0.91)
        cli_scenario.bench.approve(v2)
        execution_arn = cli_scenario.bench.running_execution(v2)
        cli_scenario.bench.wait_for_state(execution_arn, "Validate")  # recorded by then
        deployment = execution_arn.rsplit(":", 1)[-1]
        page.goto(f"{console.url}deployments/{deployment}")
        assert page.inner_text("#mode") == "decisions allowed"

        # the traffic share changes on the page, without reloading it
        def shares_become(expected: dict[str, str]) -> None:
            page.wait_for_function(
                "expected => { const rows = [...document.querySelectorAll("
                "'#traffic-now tr[data-variant]')]; return rows.length === "
                "Object.keys(expected).length && rows.every(r => "
                "r.querySelector('.share').textContent === expected[r.dataset.variant]); }",
                arg=expected,
            )

        page.wait_for_function(
            "document.querySelectorAll('#traffic-now tr[data-variant]').length === 2"
        )
        green = next(v for v in shares_on_page(page) if v != blue)
        shares_become({green: "20%", blue: "80%"})
        shares_become({green: "50%", blue: "50%"})
        assert page.locator("#traffic-chart path[data-series]").count() == 2
        page.wait_for_selector(
            '#graph g.state[data-state=WatchStep][data-status=running][data-visits="2"]'
        )
        assert "traffic step 2/3 at 50%" in page.inner_text("#current")
        assert states_on_page(page)["NextStep"] == ("succeeded", 2)
        assert page.locator("#alarms tr[data-alarm]").count() == 2
        page.wait_for_selector("#decision-panel[data-pending=watch]")
        assert page.is_enabled("#promote") and page.is_disabled("#approve")
        screenshot(page, "console-canary.png")

        page.fill("#decision-reason", "canary looks fine")
        page.click("#promote")
        answered = page.wait_for_selector("#decision-result[data-http-status]")
        assert answered is not None
        assert answered.get_attribute("data-http-status") == "200", answered.text_content()
        page.wait_for_function("document.querySelector('#status').textContent === 'PROMOTED'")
        # the record says PROMOTED within Finalize: the execution ends a moment later
        page.wait_for_selector("#graph g.state[data-state=Deployed][data-status=succeeded]")
        states = states_on_page(page)
        for name in ("Promote", "AwaitPromote", "Finalize", "Deployed"):
            assert states[name] == ("succeeded", 1), name
        assert states["WatchStep"] == ("succeeded", 2)  # ended at the 50% step, by the operator
        # hidden once DescribeExecution says it ended, which may be a poll after the history
        # shows its last state
        page.wait_for_selector("#decision-panel", state="hidden", timeout=10_000)
        assert list(shares_on_page(page).items()) == [(green, "100%")]
    finally:
        console.stop()
    execution = cli_scenario.bench.wait_for_execution(v2, timeout=30)
    assert execution["status"] == "SUCCEEDED", execution
    watched = cli_scenario.bench.state_output(execution_arn, "WatchStep")
    assert watched is not None and "canary looks fine" in json.dumps(watched)
    assert cli_scenario.weights() == {green: 1.0}
    assert cli_scenario.tags()["rollout:model-package-arn"] == v2


def test_demo_console_serves_the_demos_stack_while_it_runs(local_stack: Any, story: Story) -> None:
    from rollout_cli.demo import start_console as demo_console

    address, stop = demo_console(local_stack.endpoint_url)
    try:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", address)
        with urllib.request.urlopen(f"{address}?endpoint={story.scenario.endpoint}") as answer:
            html = answer.read().decode()
        assert story.executions["v3"]["name"] in html and "read-only" in html
    finally:
        stop()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(address, timeout=5)


def test_a_shadow_deployment_shows_its_shadow_variant_then_its_comparison(
    read_only: RunningConsole, cli_scenario: Scenario, page: Page
) -> None:
    cli_scenario.policy(strategy={"type": "all_at_once", "bake_seconds": 1})
    _, first = cli_scenario.deploy()
    assert first["status"] == "SUCCEEDED", first
    cli_scenario.policy(
        strategy={
            "type": "shadow",
            "sample_percent": 100,
            "duration_seconds": 10,  # long enough for the page to see it live, even loaded
            "comparison": {"min_pairs": 10},
        }
    )
    with cli_scenario.bench.traffic(cli_scenario.endpoint, rate_per_second=25):
        v2 = cli_scenario.register()
        cli_scenario.bench.approve(v2)
        execution_arn = cli_scenario.bench.running_execution(v2)
        cli_scenario.bench.wait_for_state(execution_arn, "Validate")
        page.goto(f"{read_only.url}deployments/{execution_arn.rsplit(':', 1)[-1]}")
        # live: the candidate serves as the shadow of the production variant
        page.wait_for_function(
            "document.querySelector('#endpoint-state').textContent.includes(', shadow ')"
        )
        execution = cli_scenario.bench.wait_for_execution(v2, timeout=60)
    assert execution["status"] == "SUCCEEDED", execution
    page.wait_for_function("document.querySelector('#status').textContent !== 'RUNNING'")
    page.wait_for_selector("#comparison-panel:not([hidden])")
    comparison = dict(
        page.eval_on_selector_all(
            "#comparison tr",
            "rows => rows.map(r => [r.cells[0].textContent, r.cells[1].textContent])",
        )
    )
    assert comparison["shadow.verdict"] == "accepted"
    assert int(comparison["shadow.pairs"]) >= 10
    states = states_on_page(page)
    for name in ("ShadowWindow", "WatchShadow", "CompareShadow", "EndShadow", "ShadowReported"):
        assert states[name][0] in ("succeeded", "caught"), (name, states[name])
    assert states["Promote"] == ("not reached", 0)
