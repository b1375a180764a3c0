"""Shadow strategy: the candidate beside production on real traffic, then compared.

Tag creates a third endpoint config for the release, the *shadow config*: the serving (blue)
variant alone in production (all traffic), the candidate (green) as a
``ShadowProductionVariant`` at weight ``sample_percent/100`` relative to blue (SageMaker
copies that share of requests to it and discards its answers), and a ``DataCaptureConfig``
on the endpoint (both variants' requests and responses to S3, ``capture_percent`` of them).

The state machine (after CreateAlarms; the deployment's alarms are scoped to green, whose
metrics SageMaker publishes under its own VariantName)::

    Strategy ─(shadow)→ ShadowWindow → WatchShadow ─(duration / operator promote)→ CompareShadow
      → ShadowVerdict ─┬(rejected)→ RejectShadow → RestoreIncumbent … → Fail ShadowRejected
                       ├(accepted, then)→ ShadowFollowUp ($.strategy = then) → Deploy …
                       └(accepted, no then)→ EndShadow → RestoreIncumbent … → Succeed
      alarm / abort → Rollback … → RolledBack

(``RestoreIncumbent …``: an experiment's way back to the serving model, with its verdict at
``$.experiment_end``, not ``$.failure``; ``model_rollout.domain.experiments``.)

``compare_shadow`` (CompareShadow) reads both variants' capture records in the window,
pairs them by ``eventId`` (SageMaker gives the shadow copy of a request the production
request's id) and each answer's scores in order, reads each variant's error rate and
latency from CloudWatch, checks the policy's thresholds, writes a JSON report and a
Markdown summary to the reports bucket and returns ``$.shadow`` with the verdict.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from statistics import fmean
from typing import Any, Protocol

from model_rollout.adapters.experiment_metrics import ServingStats
from model_rollout.config import settings
from model_rollout.domain.deployment import Deployment, ShadowCheck, ShadowResult
from model_rollout.domain.policy import ShadowComparison, ShadowStrategy, Strategy
from model_rollout.domain.stats import ks_2samp, psi
from model_rollout.errors import DeploymentFailed, InvalidPolicy
from model_rollout.reporting.reports import epoch, iso

CAPTURE_PREFIX = "data-capture"
REPORT_PREFIX = "reports"


def shadow_data_capture(strategy: Strategy, endpoint_name: str) -> dict[str, Any] | None:
    """The shadow config's ``DataCaptureConfig`` (``None`` for other strategies)."""
    if not isinstance(strategy, ShadowStrategy):
        return None
    destination = strategy.capture_s3_uri
    if destination is None:
        bucket = settings().reports_bucket
        if not bucket:
            raise InvalidPolicy(
                f"shadow deployment to {endpoint_name}: no 'capture_s3_uri' in the strategy "
                "and no reports bucket (REPORTS_BUCKET) to capture into"
            )
        destination = f"s3://{bucket}/{CAPTURE_PREFIX}"
    return {
        "EnableCapture": True,
        "InitialSamplingPercentage": strategy.capture_percent,
        "DestinationS3Uri": destination,
        "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        "CaptureContentTypeHeader": {
            "CsvContentTypes": ["text/csv"],
            "JsonContentTypes": ["application/json", "application/jsonlines"],
        },
    }


# ---------------------------------------------------------------------- captured outputs


def scores_of(payload: dict[str, Any]) -> list[float]:
    """The scores in a captured ``endpointOutput``: CSV lines, JSON ``{"predictions": [..]}``
    (or a list, or a number), BASE64 of either."""
    data = str(payload.get("data", ""))
    encoding = str(payload.get("encoding", "")).upper()
    if encoding == "BASE64":
        data = base64.b64decode(data).decode("utf-8", errors="replace")
    text = data.strip()
    if not text:
        return []
    if text[0] in "[{":
        parsed = json.loads(text)
        if isinstance(parsed, dict):
            parsed = parsed.get("predictions", parsed.get("scores", []))
        values = parsed if isinstance(parsed, list) else [parsed]
        out: list[float] = []
        for value in values:
            if isinstance(value, dict):
                value = value.get("score", next(iter(value.values()), 0.0))
            if isinstance(value, list):
                value = value[0] if value else 0.0
            out.append(float(value))
        return out
    return [float(cell) for line in text.splitlines() for cell in line.split(",")[:1] if cell]


def pair_scores(
    production: list[dict[str, Any]], shadow: list[dict[str, Any]], start: float, end: float
) -> tuple[list[tuple[float, float]], dict[str, int]]:
    """(production score, shadow score) of every request both captured in [start, end],
    paired by ``eventId`` and by position within the answer; and the record counts."""

    def by_event(records: list[dict[str, Any]]) -> dict[str, list[float]]:
        found: dict[str, list[float]] = {}
        for record in records:
            meta = record.get("eventMetadata") or {}
            when = meta.get("inferenceTime")
            if when is not None and not start - 1.0 <= epoch(when) <= end + 1.0:
                continue
            output = (record.get("captureData") or {}).get("endpointOutput")
            if output is None or not meta.get("eventId"):
                continue
            try:
                found[str(meta["eventId"])] = scores_of(output)
            except (ValueError, TypeError):
                continue
        return found

    prod, shad = by_event(production), by_event(shadow)
    pairs = [
        (p, s)
        for event_id in sorted(set(prod) & set(shad))
        for p, s in zip(prod[event_id], shad[event_id], strict=False)
    ]
    counts = {
        "production_records": len(prod),
        "shadow_records": len(shad),
        "paired_requests": len(set(prod) & set(shad)),
        "paired_scores": len(pairs),
    }
    return pairs, counts


# ---------------------------------------------------------------------- the comparison


@dataclass(frozen=True)
class Check:
    """One comparison against its policy threshold."""

    name: str  # the policy field
    label: str
    value: float | None
    threshold: float
    operator: str  # "<=" or ">=": what passing means
    passed: bool

    def text(self) -> str:
        value = "n/a" if self.value is None else f"{self.value:.4g}"
        relation = {"<=": ">", ">=": "<"}[self.operator] if not self.passed else self.operator
        return f"{self.label} {value} {relation} {self.name} {self.threshold:g}"


def _check(name: str, label: str, value: float | None, threshold: float, operator: str) -> Check:
    if value is None:
        return Check(name, label, None, threshold, operator, False)
    passed = value <= threshold if operator == "<=" else value >= threshold
    return Check(name, label, value, threshold, operator, passed)


def output_statistics(
    pairs: list[tuple[float, float]], comparison: ShadowComparison
) -> dict[str, Any]:
    """Agreement at the decision threshold, mean |Δscore|, PSI and the two-sample KS."""
    if not pairs:
        return {"pairs": 0}
    prod = [p for p, _ in pairs]
    shad = [s for _, s in pairs]
    t = comparison.decision_threshold
    d, p_value = ks_2samp(prod, shad)
    return {
        "pairs": len(pairs),
        "decision_threshold": t,
        "agreement": fmean((p >= t) == (s >= t) for p, s in pairs),
        "mean_abs_diff": fmean(abs(p - s) for p, s in pairs),
        "psi": psi(prod, shad, bins=comparison.psi_bins),
        "psi_bins": comparison.psi_bins,
        "ks_d": d,
        "ks_p_value": p_value,
        "production_mean_score": fmean(prod),
        "shadow_mean_score": fmean(shad),
        "production_positive_rate": fmean(p >= t for p in prod),
        "shadow_positive_rate": fmean(s >= t for s in shad),
    }


def comparison_checks(
    outputs: dict[str, Any],
    production: ServingStats,
    shadow: ServingStats,
    comparison: ShadowComparison,
) -> list[Check]:
    """Every configured check; the pair count first (too few: nothing else can be judged)."""
    checks = [
        _check(
            "min_pairs",
            "paired requests",
            float(outputs.get("pairs", 0)),
            comparison.min_pairs,
            ">=",
        )
    ]
    enough = checks[0].passed
    if comparison.max_error_rate_increase is not None:
        increase = (
            shadow.error_rate - (production.error_rate or 0.0)
            if shadow.error_rate is not None
            else None
        )
        checks.append(
            _check(
                "max_error_rate_increase",
                "error rate increase",
                increase,
                comparison.max_error_rate_increase,
                "<=",
            )
        )
    if comparison.max_p99_latency_increase_ms is not None:
        latency = (
            shadow.latency_p99_ms - production.latency_p99_ms
            if shadow.latency_p99_ms is not None and production.latency_p99_ms is not None
            else None
        )
        checks.append(
            _check(
                "max_p99_latency_increase_ms",
                "p99 latency increase (ms)",
                latency,
                comparison.max_p99_latency_increase_ms,
                "<=",
            )
        )
    for field, label, key, operator in (
        ("min_agreement", "agreement", "agreement", ">="),
        ("max_mean_abs_diff", "mean absolute score difference", "mean_abs_diff", "<="),
        ("max_psi", "PSI", "psi", "<="),
        ("max_ks", "KS D", "ks_d", "<="),
    ):
        threshold = getattr(comparison, field)
        if threshold is not None:
            value = outputs.get(key) if enough else None
            checks.append(_check(field, label, value, threshold, operator))
    return checks


# ---------------------------------------------------------------------- reports


class ReportStore(Protocol):
    def put(self, bucket: str, key: str, body: str, content_type: str) -> str: ...


class CaptureReader(Protocol):
    def records(
        self, destination: str, endpoint_name: str, variant_name: str, start: float, end: float
    ) -> list[dict[str, Any]]: ...


class ServingMetrics(Protocol):
    def serving(
        self, endpoint_name: str, variant_name: str, start: float, end: float
    ) -> ServingStats: ...


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def markdown_summary(report: dict[str, Any]) -> str:
    """The readable summary of a shadow comparison report."""
    verdict = report["verdict"].upper()
    lines = [
        f"# Shadow comparison: {report['endpoint_name']} — {verdict}",
        "",
        f"- deployment: `{report['deployment_id']}`",
        f"- candidate: `{report['model_package_arn']}` (shadow variant "
        f"`{report['shadow_variant']}`)",
        f"- production: `{report.get('production_model_package_arn') or '?'}` "
        f"(variant `{report['production_variant']}`)",
        f"- window: {report['window']['start']} → {report['window']['end']} "
        f"({report['window']['seconds']:.0f} s), {report['sample_percent']:g}% of requests "
        "copied to the shadow",
        f"- paired requests: {report['capture']['paired_requests']} "
        f"({report['capture']['paired_scores']} scores)",
        "",
        "| check | value | threshold | result |",
        "| --- | --- | --- | --- |",
    ]
    for check in report["checks"]:
        op = check["operator"]
        lines.append(
            f"| {check['label']} | {_fmt(check['value'])} | {op} {check['threshold']:g} "
            f"| {'pass' if check['passed'] else '**FAIL**'} |"
        )
    lines += ["", "| metric | production | shadow |", "| --- | --- | --- |"]
    prod, shad = report["metrics"]["production"], report["metrics"]["shadow"]
    for key, label in (
        ("invocations", "invocations"),
        ("error_rate", "5XX error rate"),
        ("latency_p50_ms", "ModelLatency p50 (ms)"),
        ("latency_p99_ms", "ModelLatency p99 (ms)"),
    ):
        lines.append(f"| {label} | {_fmt(prod.get(key))} | {_fmt(shad.get(key))} |")
    out = report["outputs"]
    if out.get("pairs"):
        lines += [
            f"| mean score | {_fmt(out['production_mean_score'])} "
            f"| {_fmt(out['shadow_mean_score'])} |",
            f"| positive rate (score ≥ {out['decision_threshold']:g}) "
            f"| {_fmt(out['production_positive_rate'])} | {_fmt(out['shadow_positive_rate'])} |",
            "",
            f"Agreement {_fmt(out['agreement'])}, mean |Δscore| {_fmt(out['mean_abs_diff'])}, "
            f"PSI {_fmt(out['psi'])} ({out['psi_bins']} bins), KS D {_fmt(out['ks_d'])} "
            f"(p = {_fmt(out['ks_p_value'])}).",
        ]
    lines += ["", f"Verdict: **{report['verdict']}**. {report['cause']}", ""]
    return "\n".join(lines)


# ---------------------------------------------------------------------- the step


def _strategy(deployment: Deployment) -> ShadowStrategy:
    if not isinstance(deployment.strategy, ShadowStrategy):
        raise DeploymentFailed(
            f"deployment {deployment.deployment_id} is not a shadow deployment "
            f"(strategy {deployment.strategy.type})"
        )
    return deployment.strategy


def _window_start(deployment: Deployment, strategy: ShadowStrategy, now: float) -> float:
    if deployment.shadow is not None:
        return epoch(deployment.shadow.started_at)
    return now - strategy.duration_seconds


def compare_shadow(
    deployment: Deployment,
    *,
    captures: CaptureReader,
    metrics: ServingMetrics,
    reports: ReportStore,
    reports_bucket: str | None = None,
    clock: Callable[[], float] = time.time,
) -> dict[str, Any]:
    """Compare the shadow with production over the window; write the report; the verdict."""
    strategy = _strategy(deployment)
    release = deployment.release
    if release is None or release.previous_variant_name is None:
        raise DeploymentFailed(
            f"deployment {deployment.deployment_id} has no production variant to compare the "
            "shadow with (a first deployment has nothing to shadow)"
        )
    config = shadow_data_capture(strategy, deployment.endpoint_name) or {}
    destination = str(config["DestinationS3Uri"])
    now = clock()
    start = _window_start(deployment, strategy, now)
    name, blue, green = (
        deployment.endpoint_name,
        release.previous_variant_name,
        release.variant_name,
    )
    production_records = captures.records(destination, name, blue, start, now)
    shadow_records = captures.records(destination, name, green, start, now)
    pairs, counts = pair_scores(production_records, shadow_records, start, now)
    production_stats = metrics.serving(name, blue, start, now)
    shadow_stats = metrics.serving(name, green, start, now)
    outputs = output_statistics(pairs, strategy.comparison)
    checks = comparison_checks(outputs, production_stats, shadow_stats, strategy.comparison)
    failed = [c for c in checks if not c.passed]
    verdict = "rejected" if failed else "accepted"
    bucket = reports_bucket if reports_bucket is not None else settings().reports_bucket
    key = f"{REPORT_PREFIX}/{name}/{deployment.deployment_id}.shadow"
    json_url = f"s3://{bucket}/{key}.json" if bucket else None
    md_url = f"s3://{bucket}/{key}.md" if bucket else None
    follow_up = strategy.then.type if strategy.then is not None else None
    if failed:
        cause = (
            f"shadow comparison rejected the candidate on endpoint {name}: "
            + "; ".join(c.text() for c in failed if c.value is not None)
            + f" (over {counts['paired_requests']} paired requests"
            + (f"; report {md_url}" if md_url else "")
            + "); the shadow variant was removed"
        )
    else:
        cause = (
            f"shadow comparison accepted the candidate on endpoint {name} "
            f"({len(checks)} checks passed over {counts['paired_requests']} paired requests); "
            + (f"promoting with {follow_up}" if follow_up else "no follow-up strategy: stopped")
            + (f"; report {md_url}" if md_url else "")
        )
    report: dict[str, Any] = {
        "kind": "shadow-comparison",
        "deployment_id": deployment.deployment_id,
        "endpoint_name": name,
        "model_package_arn": deployment.model_package_arn,
        "production_model_package_arn": deployment.previous.model_package_arn
        if deployment.previous
        else None,
        "production_variant": blue,
        "shadow_variant": green,
        "sample_percent": strategy.sample_percent,
        "window": {"start": iso(start), "end": iso(now), "seconds": round(now - start, 3)},
        "capture": {"destination": destination, **counts},
        "metrics": {"production": production_stats.as_dict(), "shadow": shadow_stats.as_dict()},
        "outputs": outputs,
        "thresholds": strategy.comparison.model_dump(mode="json"),
        "checks": [asdict(c) for c in checks],
        "verdict": verdict,
        "cause": cause,
        "then": follow_up,
        "generated_at": datetime.now(UTC).isoformat(),
    }
    if bucket:
        reports.put(bucket, f"{key}.json", json.dumps(report, indent=2), "application/json")
        reports.put(bucket, f"{key}.md", markdown_summary(report), "text/markdown")
    result = ShadowResult(
        started_at=str(iso(start)),
        ended_at=str(iso(now)),
        cause=cause,
        then=follow_up,
        pairs=counts["paired_requests"],
        checks=[
            ShadowCheck(name=c.name, value=c.value, threshold=c.threshold, passed=c.passed)
            for c in checks
        ],
        report_url=json_url,
        summary_url=md_url,
    )
    assert result.verdict == verdict
    return result.model_dump(mode="json")
