"""The console's Flask application: pages and the JSON they poll.

Everything it shows is read through ``rollout_cli.views`` (the deployments table, the
execution and its history, ``DescribeStateMachine``, ``DescribeEndpoint``,
``DescribeAlarms``, the lineage); a decision goes through ``rollout_cli.steering.decide``,
the task token of the waiting state, exactly as ``rollout promote|abort|approve`` does.

Routes:

- ``GET /``: the deployments (``?endpoint=``, ``?status=``, ``?limit=``), refreshed every
  five polls of a live page (a Scan of the table without ``endpoint``);
- ``GET /deployments/<id>``: one deployment: the state machine drawn from its ASL with each
  state's status, the live panel (traffic, alarms, bake), the error, the comparison;
- ``GET /endpoints/<name>``: the endpoint's lineage;
- ``GET /api/deployments``, ``/api/deployments/<id>``, ``/api/deployments/<id>/states/<state>``
  (each run's input and output), ``/api/endpoints/<name>/lineage``: the same data as JSON;
- ``POST /api/deployments/<id>/decisions/<promote|abort|approve>``: only with
  ``allow_decisions``, else 403; it needs the page's token (``X-Rollout-Token``) and a JSON
  body, so that another site's page cannot post one through the operator's browser.

Read-only by default. Every value is escaped by Jinja (autoescape; data for the page's
script as ``tojson``) and the page's script writes text only (``textContent``); a Content
Security Policy allows no script but the page's own.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from botocore.exceptions import BotoCoreError, ClientError
from flask import Flask, Response, abort, g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from model_rollout.reporting.reports import comparison_of, strategy_text
from rollout_cli import views
from rollout_cli.console import graph
from rollout_cli.context import CliError, Context

ACTIONS = ("promote", "abort", "approve")
STATUSES = ("RUNNING", "PROMOTED", "ROLLED_BACK", "ROLLBACK_FAILED", "FAILED")
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})
SAMPLES_KEPT = 2000  # traffic samples kept per deployment (one per change)
DEFINITION_SECONDS = 60.0  # how long a state machine's ASL is reused before reading it again
TEMPLATES = Path(__file__).parent / "templates"


class Console:
    """What the pages read, for one Context: the views' functions, plus the few things the
    console remembers between polls (the ASL of each state machine, the traffic samples)."""

    def __init__(self, ctx: Context, *, allow_decisions: bool = False) -> None:
        self.ctx = ctx
        self.allow_decisions = allow_decisions
        self._lock = threading.Lock()
        self._definitions: dict[str, tuple[float, dict[str, Any]]] = {}
        self._samples: dict[str, list[tuple[float, dict[str, float]]]] = {}

    def definition(self, state_machine_arn: str) -> dict[str, Any]:
        with self._lock:
            cached = self._definitions.get(state_machine_arn)
        if cached and time.monotonic() - cached[0] < DEFINITION_SECONDS:
            return cached[1]
        definition = views.definition_of(self.ctx, state_machine_arn)
        with self._lock:
            self._definitions[state_machine_arn] = (time.monotonic(), definition)
        return definition

    # ------------------------------------------------------------------ reads

    def deployments(
        self, *, endpoint: str | None, status: str | None, limit: int
    ) -> list[dict[str, Any]]:
        rows = views.list_deployments(self.ctx, endpoint=endpoint or None, limit=limit)
        for row in rows:
            row["strategy_text"] = strategy_text(row["strategy"])
        return [r for r in rows if not status or r["status"] == status]

    def deployment(self, ref: str) -> dict[str, Any]:
        """One poll of a deployment: its record, the execution's states, the live look."""
        record = views.find_record(self.ctx, ref)
        trace = views.trace_of(self.ctx, record)
        machine = views.state_machine_of(trace.execution_arn)
        definition = self.definition(machine)
        execution = views.execution_view_of(record, trace, definition, machine)
        live = views.snapshot(self.ctx, record, views.next_chain(definition), trace=trace)
        deployment = views.deployment_row(record)
        deployment["strategy_text"] = strategy_text(deployment["strategy"])
        current = next((r for r in reversed(execution["runs"]) if r["status"] == "running"), None)
        return {
            "deployment": deployment,
            "execution": {k: v for k, v in execution.items() if k != "runs"},
            "runs": execution["runs"],
            "current": current,
            "live": live,
            "traffic": self._traffic(str(record["deployment_id"]), trace, live),
            "comparison": flatten(comparison_of(trace.document)),
            "decisions": {
                "allowed": self.allow_decisions,
                "pending": self._pending(record) if not live["ended"] else None,
            },
        }

    def state_runs(self, ref: str, state: str) -> dict[str, Any]:
        view = views.execution_view(self.ctx, ref, io=True)
        names = {s["name"] for s in view["states"]}
        if state not in names:
            raise LookupError(f"the state machine has no state {state!r}")
        return {
            "deployment_id": view["deployment_id"],
            "state": state,
            "runs": [r for r in view["runs"] if r["name"] == state],
        }

    def lineage(self, endpoint: str) -> dict[str, Any]:
        return views.lineage(self.ctx, endpoint)

    def decide(self, ref: str, action: str, reason: str) -> dict[str, Any]:
        from rollout_cli.steering import decide

        return decide(self.ctx, ref, action, reason)

    # ------------------------------------------------------------------ helpers

    def _pending(self, record: dict[str, Any]) -> str | None:
        """Which decision the deployment waits for now (watch, approval), if decisions are
        allowed: it reads the waiters table, as the decision itself would."""
        if not self.allow_decisions:
            return None
        from model_rollout.adapters.waiters import Waiters
        from model_rollout.workflow.decisions import pending

        waiters = Waiters(self.ctx.client("dynamodb"), table_name=self.ctx.waiters_table)
        return pending(str(record["deployment_id"]), waiters=waiters)

    def _traffic(self, deployment_id: str, trace: Any, live: dict[str, Any]) -> dict[str, Any]:
        """Traffic share per variant over time: what the execution's await states recorded
        (its history), and what DescribeEndpoint showed at each poll of a running one."""
        points: dict[float, dict[str, float]] = {}
        for variant, series in trace.weight_series().items():
            for at, share in series:
                points.setdefault(at, {})[variant] = share
        weights = (live.get("weights") or {}).get("variants") or {}
        with self._lock:
            samples = self._samples.setdefault(deployment_id, [])
            if not live["ended"] and weights and (not samples or samples[-1][1] != weights):
                samples.append((time.time(), dict(weights)))
                del samples[:-SAMPLES_KEPT]
            polled = list(samples)
        merged = sorted([*points.items(), *polled])
        return {
            "start": trace.started,
            "end": trace.stopped or time.time(),
            "samples": [{"at": at, "shares": shares} for at, shares in merged],
            "now": weights,
        }


def flatten(value: Any, prefix: str = "") -> list[list[str]]:
    """``[[dotted.key, text], …]`` of a nested document (the comparison's statistics)."""
    if isinstance(value, dict):
        rows: list[list[str]] = []
        for key, item in value.items():
            rows.extend(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return rows
    if isinstance(value, float):
        return [[prefix, f"{value:.6g}"]]
    return [[prefix, value if isinstance(value, str) else json.dumps(value, default=str)]]


def create_app(
    ctx: Context,
    *,
    allow_decisions: bool = False,
    interval: float = 2.0,
    loopback_only: bool = True,
) -> Flask:
    """The console of one Context (the local stack or an AWS account and region).

    ``loopback_only``: answer only requests addressed to 127.0.0.1/localhost (the server
    binds there), so that a site whose name resolves to 127.0.0.1 cannot read the console
    through the operator's browser (DNS rebinding)."""
    app = Flask(__name__, template_folder=str(TEMPLATES))
    app.jinja_env.autoescape = True  # every template, whatever its name ends with
    app.json.sort_keys = False  # type: ignore[attr-defined]
    console = Console(ctx, allow_decisions=allow_decisions)
    token = secrets.token_urlsafe(24)
    app.config.update(CONSOLE=console, TOKEN=token)
    where = ctx.endpoint_url or f"AWS {ctx.region or ctx.session.region_name or ''}".strip()

    @app.context_processor
    def common() -> dict[str, Any]:
        return {
            "allow_decisions": allow_decisions,
            "token": token if allow_decisions else "",
            "interval_ms": int(interval * 1000),
            "where": where,
            "nonce": g.get("nonce", ""),
        }

    @app.before_request
    def guard() -> Response | None:
        g.nonce = secrets.token_urlsafe(16)
        host = request.host.rsplit(":", 1)[0] if not request.host.endswith("]") else request.host
        if loopback_only and host not in LOOPBACK_HOSTS:
            return _error(403, f"host {request.host!r} is not this console's address")
        return None

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; "
            f"script-src 'nonce-{g.get('nonce', '')}'; "
            "style-src 'unsafe-inline'; img-src data:; connect-src 'self'; "
            "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(CliError)
    def not_found(error: CliError) -> Response:
        return _error(404, str(error))

    @app.errorhandler(LookupError)
    def no_such(error: LookupError) -> Response:
        return _error(404, str(error.args[0] if error.args else error))

    @app.errorhandler(ClientError)
    @app.errorhandler(BotoCoreError)
    def aws_error(error: Exception) -> Response:
        return _error(502, f"AWS error: {error}")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        return _error(error.code or 500, error.description or error.name)

    # ------------------------------------------------------------------ pages

    @app.get("/")
    def deployments_page() -> str:
        endpoint, status, limit = _filters()
        rows = console.deployments(endpoint=endpoint, status=status, limit=limit)
        query = urlencode({k: v for k, v in request.args.items() if v})
        return render_template(
            "deployments.html",
            api=f"/api/deployments?{query}" if query else "/api/deployments",
            list_interval_ms=int(max(interval * 5, 5.0) * 1000),
            rows=rows,
            endpoint=endpoint or "",
            status=status or "",
            limit=limit,
            statuses=STATUSES,
            table=ctx.deployments_table,
        )

    @app.get("/deployments/<ref>")
    def deployment_page(ref: str) -> str:
        data = console.deployment(ref)
        machine = data["execution"]["state_machine_arn"]
        drawn = graph.layout(console.definition(machine))
        return render_template(
            "deployment.html",
            data=data,
            graph=drawn,
            states=graph.statuses(data["execution"]["states"]),
        )

    @app.get("/endpoints/<name>")
    def endpoint_page(name: str) -> str:
        return render_template("lineage.html", lineage=console.lineage(name))

    # ------------------------------------------------------------------ JSON

    @app.get("/api/deployments")
    def deployments_json() -> Response:
        endpoint, status, limit = _filters()
        return jsonify(console.deployments(endpoint=endpoint, status=status, limit=limit))

    @app.get("/api/deployments/<ref>")
    def deployment_json(ref: str) -> Response:
        return jsonify(console.deployment(ref))

    @app.get("/api/deployments/<ref>/states/<state>")
    def state_json(ref: str, state: str) -> Response:
        return jsonify(console.state_runs(ref, state))

    @app.get("/api/endpoints/<name>/lineage")
    def lineage_json(name: str) -> Response:
        return jsonify(console.lineage(name))

    @app.post("/api/deployments/<ref>/decisions/<action>")
    def decision(ref: str, action: str) -> Response:
        if not allow_decisions:
            return _error(
                403, "this console is read-only: start it with --allow-decisions to decide"
            )
        if action not in ACTIONS:
            abort(404, f"no decision {action!r} (one of {', '.join(ACTIONS)})")
        origin = request.headers.get("Origin")
        if origin and origin.split("://", 1)[-1] != request.host:
            return _error(403, f"a decision from another origin ({origin}) is refused")
        if not secrets.compare_digest(request.headers.get("X-Rollout-Token", ""), token):
            return _error(403, "a decision needs the console page's token")
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _error(400, 'a decision is a JSON object: {"reason": "…"}')
        reason = str(body.get("reason") or "").strip() or f"{action} by operator (console)"
        try:
            result = console.decide(ref, action, reason)
        except CliError as error:
            return _error(409, str(error))
        return jsonify(result)

    return app


def _filters() -> tuple[str | None, str | None, int]:
    endpoint = request.args.get("endpoint", "").strip() or None
    status = request.args.get("status", "").strip().upper() or None
    try:
        limit = max(1, min(int(request.args.get("limit", "100")), 1000))
    except ValueError:
        limit = 100
    return endpoint, status, limit


def _error(code: int, message: str) -> Response:
    """JSON for the API (and for scripts), a page for a person."""
    wants_json = request.path.startswith("/api/") or not request.accept_mimetypes.accept_html
    if wants_json:
        response = jsonify({"error": message, "status": code})
    else:
        response = Response(render_template("error.html", code=code, message=message))
    response.status_code = code
    return response


def serve(
    app: Flask,
    *,
    host: str,
    port: int,
    ready: Callable[[str], None],
) -> None:
    """Serve until Ctrl-C (werkzeug's threaded server); ``ready`` gets the address."""
    import logging

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per poll
    server = make_server(host, port, app, threaded=True)
    ready(_address(host, server.port))
    server.serve_forever()  # returns on KeyboardInterrupt, the socket closed


def serve_in_background(
    app: Flask, *, host: str = "127.0.0.1", port: int = 0
) -> tuple[str, Callable[[], None]]:
    """Serve on a daemon thread (``rollout demo --console``): the address, and what stops it."""
    import logging

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server(host, port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="rollout-console", daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        thread.join(timeout=10)

    return _address(host, server.port), stop


def _address(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"
