"""Deployment reports: one self-contained HTML page per deployment, with inline SVG charts.

Built from what the control plane and AWS recorded, never from guesses:

- the execution's history (Step Functions ``GetExecutionHistory``): each state's status and
  duration, and the document each state left (``$.endpoint.variants[].current_weight`` as
  the await states observed it through ``DescribeEndpoint``; ``$.previous`` at the start);
- the deployment's alarms: when the bake watched them, an ``AlarmFired`` that ended it, and
  their state now (``DescribeAlarms``) while they still exist;
- per-variant ``AWS/SageMaker`` metrics (``GetMetricData``): invocations, 5XX/4XX errors,
  p99 ``ModelLatency``;
- the shadow comparison or A/B statistics when the document carries them.

``ReportWriter.publish`` is called by Finalize, FinishRollback and RecordFailure at the end of
every deployment and writes ``s3://<ReportsBucket>/reports/<endpoint>/<deployment>.html``.
A report is an account of the deployment, not part of it: failing to write one is logged
and never changes the deployment's outcome. ``rollout report`` renders the same page.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape
from typing import TYPE_CHECKING, Any, Protocol

from model_rollout.adapters.aws import default_client
from model_rollout.reporting.charts import (
    Point,
    Segment,
    line_chart,
    scatter_chart,
    timeline_chart,
)

if TYPE_CHECKING:
    from model_rollout.domain.deployment import Outcome

FAIL_EVENTS = {
    "TaskFailed",
    "TaskTimedOut",
    "LambdaFunctionFailed",
    "LambdaFunctionTimedOut",
    "ExecutionFailed",
    "ExecutionTimedOut",
}
# Parts of the document that hold a comparison of the new model with the old one.
COMPARISON_PARTS = ("shadow", "comparison", "ab", "ab_test", "experiment", "analysis")
METRICS = (
    ("Invocations", "Sum", 1.0),
    ("Invocation5XXErrors", "Sum", 1.0),
    ("Invocation4XXErrors", "Sum", 1.0),
    ("ModelLatency", "p99", 0.001),  # microseconds -> milliseconds
)
_ALARM_IN_CAUSE = re.compile(r"alarm (\S+) entered ALARM")
# states during which the deployment watches the new model's alarms
WATCH_STATES = frozenset({"Watch", "WatchStep", "AwaitApproval", "WatchShadow", "WatchAB"})


def epoch(value: Any) -> float:
    """Seconds since the epoch of a boto3 datetime, an ISO text or a number."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip().replace("Z", "+00:00")
    moment = datetime.fromisoformat(text)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def iso(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


# ---------------------------------------------------------------------- execution trace


@dataclass
class StateVisit:
    """One entry into a state, as the console shows it."""

    name: str
    type: str
    entered: float
    exited: float | None = None
    status: str = "running"  # succeeded | caught | failed | running
    error: str | None = None
    cause: str | None = None
    input: str | None = None
    output: str | None = None

    def duration(self, now: float) -> float:
        return (self.exited if self.exited is not None else now) - self.entered

    def as_dict(self, now: float, *, io: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "status": self.status,
            "entered": iso(self.entered),
            "exited": iso(self.exited),
            "seconds": round(self.duration(now), 3),
            "error": self.error,
            "cause": self.cause,
        }
        if io:
            data["input"] = _json_or_text(self.input)
            data["output"] = _json_or_text(self.output)
        return data


def _json_or_text(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _details(event: dict[str, Any]) -> dict[str, Any]:
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, dict):
            return value
    return {}


@dataclass
class ExecutionTrace:
    """A Step Functions execution read from ``DescribeExecution`` + its history."""

    execution_arn: str
    status: str
    started: float
    stopped: float | None
    error: str | None
    cause: str | None
    visits: list[StateVisit]
    document: dict[str, Any]
    documents: list[tuple[float, str, dict[str, Any]]]  # (exit time, state, output)

    @classmethod
    def from_history(
        cls, execution: dict[str, Any], events: list[dict[str, Any]]
    ) -> ExecutionTrace:
        visits: list[StateVisit] = []
        open_visits: dict[str, StateVisit] = {}
        documents: list[tuple[float, str, dict[str, Any]]] = []
        last: StateVisit | None = None
        for event in events:
            kind = str(event.get("type", ""))
            at = epoch(event["timestamp"])
            details = _details(event)
            if kind.endswith("StateEntered"):
                visit = StateVisit(
                    name=details.get("name", "?"),
                    type=kind[: -len("StateEntered")],
                    entered=at,
                    input=details.get("input"),
                )
                if visit.type == "Fail":
                    visit.status, visit.exited = "failed", at
                visits.append(visit)
                open_visits[visit.name] = visit
                last = visit
            elif kind.endswith("StateExited"):
                visit_or_none = open_visits.pop(details.get("name", "?"), None)
                if visit_or_none is None:
                    continue
                visit = visit_or_none
                visit.exited, visit.output = at, details.get("output")
                visit.status = "caught" if visit.error else "succeeded"
                parsed = _json_or_text(visit.output)
                if isinstance(parsed, dict):
                    documents.append((at, visit.name, parsed))
            elif (
                kind in FAIL_EVENTS
                and last is not None
                and (last.exited is None or last.type == "Fail")
            ):
                last.error = details.get("error") or last.error
                last.cause = details.get("cause") or last.cause
        status = str(execution.get("status", "RUNNING"))
        stopped = epoch(execution["stopDate"]) if execution.get("stopDate") else None
        for visit in open_visits.values():
            if visit.exited is None and status != "RUNNING":
                visit.status = "failed"
                visit.exited = stopped
        document = documents[-1][2] if documents else {}
        return cls(
            execution_arn=str(execution.get("executionArn", "")),
            status=status,
            started=epoch(execution["startDate"]),
            stopped=stopped,
            error=execution.get("error"),
            cause=execution.get("cause"),
            visits=visits,
            document=document,
            documents=documents,
        )

    def current_state(self) -> StateVisit | None:
        running = [v for v in self.visits if v.exited is None]
        return running[-1] if running else None

    def visit(self, name: str) -> StateVisit | None:
        found = [v for v in self.visits if v.name == name]
        return found[-1] if found else None

    def weight_series(self) -> dict[str, list[Point]]:
        """Traffic share per variant: at the start (``$.previous``), then every time a state
        recorded what ``DescribeEndpoint`` showed (``$.endpoint.variants``)."""
        series: dict[str, list[Point]] = {}
        last: dict[str, float] | None = None

        def add(at: float, weights: dict[str, float]) -> None:
            nonlocal last
            total = sum(weights.values())
            shares = {k: (v / total if total > 0 else 0.0) for k, v in weights.items()}
            if shares == last:
                return
            for variant in set(series) | set(shares):
                series.setdefault(variant, []).append((at, shares.get(variant, 0.0)))
            last = shares

        for at, _, document in self.documents:
            previous = document.get("previous")
            if not series and isinstance(previous, dict) and previous.get("variants"):
                add(
                    self.started,
                    {
                        v["variant_name"]: float(v.get("weight", 0))
                        for v in previous["variants"]
                        if isinstance(v, dict) and "variant_name" in v
                    },
                )
            endpoint = document.get("endpoint")
            if isinstance(endpoint, dict) and isinstance(endpoint.get("variants"), list):
                add(
                    at,
                    {
                        v["variant_name"]: float(v.get("current_weight") or 0)
                        for v in endpoint["variants"]
                        if isinstance(v, dict) and "variant_name" in v
                    },
                )
            elif isinstance(endpoint, dict) and endpoint.get("exists") is False:
                add(at, {})
        return series

    def alarm_names(self) -> list[str]:
        alarms = self.document.get("alarms")
        if isinstance(alarms, dict):
            return [str(n) for n in alarms.get("alarm_names") or []]
        return []

    def watches(self) -> list[StateVisit]:
        """The visits of the states that watch the new model (the bake, each traffic step)."""
        return [v for v in self.visits if v.name in WATCH_STATES]

    def bake(self) -> tuple[float, float, str | None] | None:
        """(start, end, the alarm that ended it) of the watching, if there was any: from the
        first watch state entered to the last one left."""
        watches = self.watches()
        if not watches:
            return None
        fired = None
        last = watches[-1]
        if last.error == "AlarmFired" and last.cause:
            match = _ALARM_IN_CAUSE.search(last.cause)
            fired = match.group(1) if match else None
        return watches[0].entered, last.exited or 0.0, fired


def read_trace(sfn: Any, execution_arn: str) -> ExecutionTrace:
    execution = sfn.describe_execution(executionArn=execution_arn)
    events: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"executionArn": execution_arn, "maxResults": 1000}
    while True:
        page = sfn.get_execution_history(**kwargs)
        events.extend(page["events"])
        if not page.get("nextToken"):
            break
        kwargs["nextToken"] = page["nextToken"]
    return ExecutionTrace.from_history(execution, events)


# ---------------------------------------------------------------------- report data


@dataclass
class ReportData:
    deployment_id: str
    endpoint_name: str
    status: str
    generated: float
    trace: ExecutionTrace
    end: float
    weights: dict[str, list[Point]]
    alarms: dict[str, list[Segment]]
    metrics: dict[str, dict[str, list[Point]]]  # metric -> variant -> points
    comparison: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    cause: str | None = None

    def summary(self) -> dict[str, Any]:
        doc = self.trace.document
        validation = doc.get("validation") if isinstance(doc.get("validation"), dict) else {}
        return {
            "deployment_id": self.deployment_id,
            "endpoint_name": self.endpoint_name,
            "model_package_arn": doc.get("model_package_arn"),
            "model_package_version": doc.get("model_package_version"),
            "strategy": doc.get("strategy"),
            "status": self.status,
            "error": self.error,
            "cause": self.cause,
            "started": iso(self.trace.started),
            "ended": iso(self.end) if self.trace.status != "RUNNING" else None,
            "seconds": round(self.end - self.trace.started, 3),
            "execution_arn": self.trace.execution_arn,
            "lineage": (validation or {}).get("lineage"),
            "gate": (validation or {}).get("gate"),
        }


def alarm_segments(
    trace: ExecutionTrace, described: dict[str, dict[str, Any]], now: float
) -> dict[str, list[Segment]]:
    """Per alarm: watched (not in ALARM) during the bake, ALARM from an AlarmFired, and the
    state DescribeAlarms reports now while the alarm still exists."""
    rows: dict[str, list[Segment]] = {}
    bake = trace.bake()
    for name in trace.alarm_names():
        segments: list[Segment] = []
        if bake is not None:
            start, end, fired = bake
            end = end or now
            segments.append(Segment(start, end, "watching"))
            if fired == name:
                segments.append(Segment(end, trace.stopped or now, "ALARM"))
        alarm = described.get(name)
        if alarm is not None and alarm.get("StateValue"):
            since = epoch(alarm.get("StateUpdatedTimestamp") or now)
            segments.append(Segment(max(since, trace.started), now, str(alarm["StateValue"])))
        rows[name] = segments
    return rows


def metric_period(seconds: float) -> int:
    """A GetMetricData period giving at most ~60 points (at least 10 s, multiples of 10/60)."""
    raw = max(10.0, seconds / 60)
    return int(math.ceil(raw / 10) * 10) if raw < 60 else int(math.ceil(raw / 60) * 60)


def read_metrics(
    cloudwatch: Any, endpoint_name: str, variants: list[str], start: float, end: float
) -> dict[str, dict[str, list[Point]]]:
    if not variants:
        return {}
    period = metric_period(end - start)
    queries, keys = [], {}
    for v_index, variant in enumerate(variants):
        for m_index, (metric, stat, _) in enumerate(METRICS):
            query_id = f"m{m_index}v{v_index}"
            keys[query_id] = (metric, variant)
            queries.append(
                {
                    "Id": query_id,
                    "MetricStat": {
                        "Metric": {
                            "Namespace": "AWS/SageMaker",
                            "MetricName": metric,
                            "Dimensions": [
                                {"Name": "EndpointName", "Value": endpoint_name},
                                {"Name": "VariantName", "Value": variant},
                            ],
                        },
                        "Period": period,
                        "Stat": stat,
                    },
                }
            )
    scale = {metric: factor for metric, _, factor in METRICS}
    result: dict[str, dict[str, list[Point]]] = {metric: {} for metric, _, _ in METRICS}
    for offset in range(0, len(queries), 500):
        kwargs: dict[str, Any] = {
            "MetricDataQueries": queries[offset : offset + 500],
            "StartTime": datetime.fromtimestamp(start - period, UTC),
            "EndTime": datetime.fromtimestamp(end + period, UTC),
        }
        while True:
            page = cloudwatch.get_metric_data(**kwargs)
            for item in page.get("MetricDataResults", []):
                metric, variant = keys[item["Id"]]
                points = result[metric].setdefault(variant, [])
                points.extend(
                    (epoch(t), float(v) * scale[metric])
                    for t, v in zip(
                        item.get("Timestamps", []), item.get("Values", []), strict=False
                    )
                )
            if not page.get("NextToken"):
                break
            kwargs["NextToken"] = page["NextToken"]
    return result


def comparison_of(document: dict[str, Any]) -> dict[str, Any]:
    return {k: document[k] for k in COMPARISON_PARTS if isinstance(document.get(k), dict)}


# ---------------------------------------------------------------------- rendering

_STATUS_COLOURS = {
    "PROMOTED": "#2ca02c",
    "SUCCEEDED": "#2ca02c",
    "RUNNING": "#1f77b4",
    "ROLLED_BACK": "#ff7f0e",
    "FAILED": "#d62728",
    "ROLLBACK_FAILED": "#d62728",
}
_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;color:#222}
h1{font-size:20px;margin:0 0 4px} h2{font-size:16px;margin:24px 0 8px}
table{border-collapse:collapse;font-size:13px} td,th{border:1px solid #ddd;padding:3px 8px;
text-align:left;vertical-align:top} th{background:#f3f3f3}
.status{display:inline-block;color:#fff;padding:2px 8px;border-radius:3px;font-weight:bold}
.charts{display:flex;flex-wrap:wrap;gap:12px} .cause{max-width:900px;white-space:pre-wrap}
footer{margin-top:24px;font-size:11px;color:#777}
"""


def _flat(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(value, dict):
        rows: list[tuple[str, str]] = []
        for key, item in value.items():
            rows.extend(_flat(item, f"{prefix}.{key}" if prefix else str(key)))
        return rows
    return [(prefix, json.dumps(value) if not isinstance(value, str) else value)]


def _table(rows: list[tuple[str, Any]], css_class: str) -> str:
    body = "".join(
        f"<tr><th>{escape(str(k))}</th><td>{escape('' if v is None else str(v))}</td></tr>"
        for k, v in rows
    )
    return f'<table class="{css_class}">{body}</table>'


def strategy_text(strategy: Any) -> str:
    """``canary (percent=20, bake_seconds=8)``: the type, then the fields that are set."""
    if not isinstance(strategy, dict):
        return "" if strategy is None else str(strategy)
    rest = ", ".join(f"{k}={v}" for k, v in strategy.items() if k != "type" and v is not None)
    return f"{strategy.get('type', '?')} ({rest})" if rest else str(strategy.get("type", "?"))


# (chart id, title, AWS/SageMaker metric, y label): one line per variant
VARIANT_METRIC_CHARTS = (
    ("invocations", "Invocations per variant", "Invocations", "requests / period"),
    ("errors", "Model errors (5XX) per variant", "Invocation5XXErrors", "errors / period"),
    ("latency", "p99 model latency per variant", "ModelLatency", "ms"),
)


def _staleness_chart(part: Any) -> str:
    """An A/B verdict's ``staleness`` (every test of the endpoint so far): age against lift."""
    curve = part.get("staleness") if isinstance(part, dict) else None
    if not curve:
        return ""
    from model_rollout.reporting.staleness import plotted

    return scatter_chart(
        "staleness",
        "Staleness: the challenger's lift against the incumbent's age, test after test",
        plotted(curve),
        x_label="incumbent's age at the test (days)",
        y_label="relative lift",
        y_format="percent",
    )


def render_html(data: ReportData) -> str:
    summary = data.summary()
    # one time axis for every chart: the execution, widened to the metric periods around it
    metric_times = [t for m in data.metrics.values() for pts in m.values() for t, _ in pts]
    t0 = min([data.trace.started, *metric_times])
    t1 = max([data.end, t0 + 1, *(t + metric_period(data.end - t0) for t in metric_times)])
    charts = [
        line_chart(
            "weights",
            "Traffic weight per variant",
            data.weights,
            t0=t0,
            t1=t1,
            y_label="share of traffic",
            step=True,
            y_max=1.0,
            y_format="percent",
        ),
        timeline_chart("alarms", "Alarm states", data.alarms, t0=t0, t1=t1),
        *(
            line_chart(key, title, data.metrics.get(metric, {}), t0=t0, t1=t1, y_label=label)
            for key, title, metric, label in VARIANT_METRIC_CHARTS
        ),
        timeline_chart(
            "states",
            "Execution: states over time",
            {
                v.name: [Segment(v.entered, v.exited or data.end, v.status)]
                for v in data.trace.visits
            },
            t0=t0,
            t1=t1,
        ),
    ]
    states = "".join(
        f"<tr><td>{escape(v.name)}</td><td>{escape(v.status)}</td>"
        f"<td>{v.duration(data.end):.2f}</td><td>{escape(v.error or '')}</td>"
        f'<td class="cause">{escape((v.cause or "")[:400])}</td></tr>'
        for v in data.trace.visits
    )
    gate = summary.get("gate") or {}
    lineage = summary.get("lineage") or {}
    facts = [
        ("endpoint", summary["endpoint_name"]),
        ("model package", summary["model_package_arn"]),
        ("strategy", strategy_text(summary["strategy"])),
        ("started", summary["started"]),
        ("ended", summary["ended"] or "(running)"),
        ("duration (s)", f"{summary['seconds']:.1f}"),
        ("execution", summary["execution_arn"]),
        *[(f"lineage: {k}", v) for k, v in lineage.items()],
        *[(f"gate: {k}", v) for k, v in gate.items()],
    ]
    comparison = "".join(
        f"<h2>{escape(name.replace('_', ' ').title())}</h2>"
        + _table(
            _flat({k: v for k, v in part.items() if k != "staleness"}),
            f"comparison comparison-{escape(name)}",
        )
        + _staleness_chart(part)
        for name, part in data.comparison.items()
    )
    colour = _STATUS_COLOURS.get(data.status, "#555")
    cause = (
        f'<p class="cause"><b>{escape(data.error or "")}</b> {escape(data.cause or "")}</p>'
        if data.error or data.cause
        else ""
    )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>Deployment {escape(data.deployment_id)}</title><style>{_CSS}</style></head>"
        "<body>"
        f"<h1>Deployment {escape(data.deployment_id)}</h1>"
        f'<p><span class="status" style="background:{colour}">{escape(data.status)}</span> '
        f"endpoint <b>{escape(data.endpoint_name)}</b>, model package version "
        f"<b>{escape(str(summary['model_package_version']))}</b></p>{cause}"
        f"<h2>Summary</h2>{_table(facts, 'summary')}"
        f'<h2>Charts</h2><div class="charts">{"".join(charts)}</div>'
        f"{comparison}"
        "<h2>States</h2><table class='states'><tr><th>state</th><th>status</th>"
        f"<th>seconds</th><th>error</th><th>cause</th></tr>{states}</table>"
        f"<footer>generated {iso(data.generated)} by model-rollout from the execution history, "
        "DescribeEndpoint, DescribeAlarms and CloudWatch GetMetricData.</footer>"
        "</body></html>"
    )


# ---------------------------------------------------------------------- the writer


def report_key(endpoint_name: str | None, deployment_id: str) -> str:
    return f"reports/{endpoint_name or '_no-endpoint'}/{deployment_id}.html"


class ReportWriter:
    """Builds reports through boto3 clients given to the constructor (lazily the defaults)."""

    def __init__(
        self,
        *,
        stepfunctions: Any | None = None,
        cloudwatch: Any | None = None,
        s3: Any | None = None,
        bucket: str | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._clients = {"stepfunctions": stepfunctions, "cloudwatch": cloudwatch, "s3": s3}
        self._bucket = bucket
        self._clock = clock or (lambda: datetime.now(UTC).timestamp())

    def client(self, service: str) -> Any:
        return self._clients.get(service) or default_client(service)

    @property
    def bucket(self) -> str:
        if self._bucket is not None:
            return self._bucket
        from model_rollout.config import settings

        return settings().reports_bucket

    def collect(
        self,
        execution_arn: str,
        *,
        deployment_id: str | None = None,
        endpoint_name: str | None = None,
        status: str | None = None,
        error: str | None = None,
        cause: str | None = None,
    ) -> ReportData:
        now = self._clock()
        trace = read_trace(self.client("stepfunctions"), execution_arn)
        endpoint = endpoint_name or str(trace.document.get("endpoint_name") or "")
        end = trace.stopped or now
        alarm_names = trace.alarm_names()
        described: dict[str, dict[str, Any]] = {}
        if alarm_names:
            for alarm in self.client("cloudwatch").describe_alarms(AlarmNames=alarm_names[:100])[
                "MetricAlarms"
            ]:
                described[alarm["AlarmName"]] = alarm
        weights = trace.weight_series()
        metrics = (
            read_metrics(self.client("cloudwatch"), endpoint, sorted(weights), trace.started, end)
            if endpoint
            else {}
        )
        return ReportData(
            deployment_id=deployment_id or execution_arn.rsplit(":", 1)[-1],
            endpoint_name=endpoint or "(none)",
            status=status or trace.status,
            generated=now,
            trace=trace,
            end=end,
            weights=weights,
            alarms=alarm_segments(trace, described, end),
            metrics=metrics,
            comparison=comparison_of(trace.document),
            error=error if error is not None else trace.error,
            cause=cause if cause is not None else trace.cause,
        )

    def publish(
        self,
        *,
        deployment_id: str,
        execution_arn: str,
        endpoint_name: str | None,
        status: str,
        error: str | None = None,
        cause: str | None = None,
    ) -> str | None:
        """Write the report to S3; its ``s3://`` URI, or None (logged) if it could not be."""
        from aws_lambda_powertools import Logger

        log = Logger(child=True)
        if not self.bucket or not execution_arn:
            log.warning("no report written: no ReportsBucket or execution ARN")
            return None
        try:
            data = self.collect(
                execution_arn,
                deployment_id=deployment_id,
                endpoint_name=endpoint_name,
                status=status,
                error=error,
                cause=cause,
            )
            key = report_key(endpoint_name, deployment_id)
            self.client("s3").put_object(
                Bucket=self.bucket,
                Key=key,
                Body=render_html(data).encode(),
                ContentType="text/html; charset=utf-8",
                Metadata={"deployment-id": deployment_id, "status": status},
            )
        except Exception:  # a report is an account of the deployment, never part of it
            log.exception("writing the deployment report failed")
            return None
        return f"s3://{self.bucket}/{key}"


def seconds_since(moment: str | None, *, now: float | None = None) -> float | None:
    """Seconds from an ISO time (e.g. the approval event's) until now; None if unknown."""
    if not moment:
        return None
    try:
        start = epoch(moment)
    except ValueError:
        return None
    end = now if now is not None else datetime.now(UTC).timestamp()
    return max(0.0, round(end - start, 3))


class ReportPublisher(Protocol):
    """``ReportWriter`` as the closing steps use it."""

    def publish(
        self,
        *,
        deployment_id: str,
        execution_arn: str,
        endpoint_name: str | None,
        status: str,
        error: str | None = None,
        cause: str | None = None,
    ) -> str | None: ...


def account_for(
    outcome: Outcome,
    reports: ReportPublisher | None,
    *,
    deployment_id: str,
    execution_arn: str,
    endpoint_name: str | None,
    started: str | None,
    details: dict[str, Any],
) -> Outcome:
    """At the end of a deployment: its duration (approval to now) and its report, on the
    outcome (for the handler's metrics) and in the record's details (for operators)."""
    outcome.duration_seconds = seconds_since(started)
    if reports is not None:
        outcome.report_url = reports.publish(
            deployment_id=deployment_id,
            execution_arn=execution_arn,
            endpoint_name=endpoint_name,
            status=outcome.status,
            error=outcome.error,
            cause=outcome.cause,
        )
    if outcome.report_url:
        details["report_url"] = outcome.report_url
    if outcome.duration_seconds is not None:
        details["duration_seconds"] = outcome.duration_seconds
    return outcome


def started_at(state: Any) -> str | None:
    """When a deployment began, from its document (the approval event's time) or, for a
    raw event that never became a document, from the event's own ``time``."""
    if not isinstance(state, dict):
        return None
    approval = state.get("approval")
    if isinstance(approval, dict) and isinstance(approval.get("event_time"), str):
        return str(approval["event_time"])
    return state["time"] if isinstance(state.get("time"), str) else None
