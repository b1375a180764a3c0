"""The gate on a fixed validation set: metrics computed from batch transforms, not reported.

Where the policy names ``validation.dataset``, the deploy-model state machine's
FixedSetTransforms state runs the batch state machine for the candidate and for the model
serving the endpoint, in parallel, on that data set (input filter: the features only;
``JoinSource=Input``, so each output record is the whole input record, label included,
joined with its inference). Validate then reads the joined outputs, computes the policy's
metric (``model_rollout.domain.quality_metrics``) for each, and applies the same gate as to the
reports (``min_value``; no worse than the serving model by more than ``max_regression``).
A run that failed fails the gate with its cause: a candidate that cannot be evaluated is
not deployed.

Joined records: CSV ``<input fields...>,<score>`` (the label at its column of the input);
JSON Lines ``{...input..., "SageMakerOutput": <inference>}`` (the score is the first number
of the inference, e.g. ``{"predictions": [0.83]}``).
"""

from __future__ import annotations

import json
from typing import Any

from model_rollout.adapters.transforms import Transforms
from model_rollout.domain import gate
from model_rollout.domain.deployment import Deployment, FixedSetResult, FixedSetRun, GateResult
from model_rollout.domain.policy import ValidationDataset
from model_rollout.domain.quality_metrics import MetricError, canonical, compute
from model_rollout.errors import InvalidMetricsReport, ValidationFailed

SECTION = "fixed_validation_set"


def _first_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    for item in items:
        found = _first_number(item)
        if found is not None:
            return found
    return None


def parse_joined(
    text: str, dataset: ValidationDataset, source: str
) -> tuple[list[float], list[float]]:
    """(labels, scores) of a joined transform output."""
    labels: list[float] = []
    scores: list[float] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"record {number} of {source}"
        try:
            if dataset.content_type == "text/csv":
                fields = line.split(",")
                inputs, score = fields[:-1], float(fields[-1])
                assert isinstance(dataset.label, int)
                label = float(inputs[dataset.label])
            else:
                record = json.loads(line)
                label = float(record[str(dataset.label)])
                found = _first_number(record.get("SageMakerOutput"))
                if found is None:
                    raise ValueError("no score in SageMakerOutput")
                score = found
        except (ValueError, KeyError, IndexError, TypeError, AssertionError) as exc:
            raise InvalidMetricsReport(
                f"cannot read label and score of {where} ({exc}); is validation.dataset's "
                "label right?"
            ) from None
        labels.append(label)
        scores.append(score)
    return labels, scores


def _run(runs: list[FixedSetRun], role: str) -> FixedSetRun | None:
    return next((r for r in runs if r.role == role), None)


def _failure(run: FixedSetRun) -> str:
    failure = run.failure
    cause = (failure.Cause or failure.Error) if failure is not None else "unknown failure"
    try:  # startExecution.sync:2 puts the child execution's description in the cause
        child = json.loads(cause)
        if isinstance(child, dict) and (child.get("cause") or child.get("error")):
            return f"{child.get('error', 'error')}: {child.get('cause', '')}".strip()
    except (TypeError, ValueError):
        pass
    return str(cause)


def _value(
    run: FixedSetRun, dataset: ValidationDataset, metric: str, transforms: Transforms
) -> tuple[float, int, str | None]:
    outcome = run.outcome
    outputs = outcome.outputs if outcome is not None else []
    if not outputs:
        raise ValidationFailed(
            f"the fixed validation set run of the {run.role} wrote no output "
            f"(job {outcome.job_name if outcome is not None else None})"
        )
    labels: list[float] = []
    scores: list[float] = []
    for uri in outputs:
        more_labels, more_scores = parse_joined(transforms.read_text(uri), dataset, uri)
        labels += more_labels
        scores += more_scores
    try:
        value = compute(metric, labels, scores, dataset.threshold)
    except MetricError as error:
        raise InvalidMetricsReport(f"fixed validation set {dataset.s3_uri}: {error}") from None
    return value, len(labels), outcome.job_name if outcome is not None else None


def evaluate(deployment: Deployment, transforms: Transforms) -> FixedSetResult | None:
    """Gate on the fixed validation set; ``None`` when the policy names none."""
    policy = deployment.policy.validation
    dataset = policy.dataset
    if dataset is None:
        return None
    try:
        metric = canonical(policy.metric)
    except MetricError as error:
        raise ValidationFailed(str(error)) from None
    runs = deployment.fixed_set_runs or []
    candidate_run = _run(runs, "candidate")
    if candidate_run is None or candidate_run.status == "SKIPPED":
        raise ValidationFailed(
            f"the policy names the fixed validation set {dataset.s3_uri} but the candidate was "
            "not run on it"
        )
    if candidate_run.status != "SUCCEEDED":
        raise ValidationFailed(
            f"the candidate {deployment.model_package_arn} could not be run on the fixed "
            f"validation set {dataset.s3_uri}: {_failure(candidate_run)}"
        )
    candidate, records, candidate_job = _value(candidate_run, dataset, metric, transforms)

    baseline_run = _run(runs, "baseline")
    baseline_arn = deployment.previous.model_package_arn if deployment.previous else None
    baseline_report = None
    baseline: float | None = None
    baseline_job = None
    if baseline_run is not None and baseline_run.status == "FAILED":
        raise ValidationFailed(
            f"the serving model {baseline_arn} could not be run on the fixed validation set "
            f"{dataset.s3_uri}, so the candidate cannot be compared with it: "
            f"{_failure(baseline_run)}"
        )
    if baseline_run is not None and baseline_run.status == "SUCCEEDED":
        baseline, _, baseline_job = _value(baseline_run, dataset, metric, transforms)
        baseline_report = {SECTION: {metric: {"value": baseline}}}

    result: GateResult = gate.evaluate(
        policy.model_copy(update={"metric": metric}),
        {SECTION: {metric: {"value": candidate}}},
        candidate_source=f"{deployment.model_package_arn} on the fixed validation set "
        f"{dataset.s3_uri} ({records} records)",
        baseline_report=baseline_report,
        baseline_model_package_arn=baseline_arn,
    )
    return FixedSetResult(
        dataset=dataset.s3_uri,
        metric=metric,
        records=records,
        candidate_value=result.candidate_value,
        baseline_value=result.baseline_value,
        candidate_job=candidate_job,
        baseline_job=baseline_job,
        passed=True,
    )
