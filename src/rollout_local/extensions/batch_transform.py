"""Batch transform jobs that really run the local model over S3 data (moto's complete at once
with no output).

Implements, after the SageMaker API reference (``CreateTransformJob``,
``DescribeTransformJob``, ``DataProcessing``), the developer guide ("Use batch transform",
"Associate Prediction Results with Input Records") and "Events that Amazon SageMaker AI sends
to Amazon EventBridge" (Transform job state change):

- ``CreateTransformJob`` checks that the model exists and the job name is new, then the job
  is ``InProgress`` at once and runs in the background: every S3 object under
  ``TransformInput.DataSource.S3DataSource.S3Uri`` (``S3Prefix``) is read, split into records
  by line (``SplitType=Line``; ``None`` makes the whole object one record), grouped into
  requests by ``BatchStrategy`` (``SingleRecord``: one record per request; ``MultiRecord``:
  as many records as fit in ``MaxPayloadInMB``), filtered by ``DataProcessing.InputFilter``,
  scored by the model (``rollout_local.local_model``; a Model made from a
  ``ModelPackageName`` runs the package's model), joined with its input
  (``JoinSource=Input``) and filtered by ``OutputFilter`` (see ``_data_processing``).
- Output: for an input object ``<key>`` the records go, one per line
  (``AssembleWith=Line``), to ``<S3OutputPath>/<key relative to the S3Uri's folder>.out``,
  e.g. ``s3://in/batch/incoming/x.csv`` with ``S3OutputPath=s3://out/results`` gives
  ``s3://out/results/x.csv.out``.
- Content types: ``text/csv`` (a record is its comma-separated fields; no quoting) and
  ``application/jsonlines`` / ``application/json`` (a record is one JSON value per line).
  The inference of a CSV record is the score as a one-field row; of a JSON record, the
  model's JSON answer for one row, ``{"predictions": [score]}``.
- The job ends ``Completed``, or ``Failed`` with a ``FailureReason`` naming the object, the
  record and the cause when the model cannot start, the input cannot be read or scored (the
  container's 4XX: ``ClientError: ...``), or the model fails (5XX: ``AlgorithmError: ...``).
  ``DescribeTransformJob`` shows ``TransformStartTime``/``TransformEndTime``,
  ``FailureReason``, ``DataProcessing``.
- Every status change emits ``SageMaker Transform Job State Change`` (source
  ``aws.sagemaker``) onto the default bus with the job's description as ``detail`` (times in
  epoch milliseconds, ``Tags`` as a map).

Knob: ``ROLLOUT_LOCAL_TRANSFORM_START_SECONDS`` (default 0.2), the time before the job starts
reading its input (instances starting).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any

from moto.core.utils import utcnow
from moto.s3.models import s3_backends
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import FakeTransformJob, SageMakerModelBackend, arn_formatter

from rollout_local.extensions import bus
from rollout_local.extensions._common import STATE_LOCK, env_seconds, epoch_millis, schedule
from rollout_local.extensions._data_processing import (
    FilterError,
    apply_path,
    join_with_input,
    parse_path,
)
from rollout_local.extensions._fence import replace
from rollout_local.extensions.sagemaker_endpoints import (
    ProvisioningFailed,
    resolve_model_data_url,
)
from rollout_local.local_model import (
    LinearModel,
    ModelInstance,
    ModelLoadError,
    load_model,
    split_s3_url,
)

START_ENV = "ROLLOUT_LOCAL_TRANSFORM_START_SECONDS"
DETAIL_TYPE = "SageMaker Transform Job State Change"
CSV = "text/csv"
JSON_TYPES = {"application/jsonlines", "application/json", "application/x-jsonlines"}
MAX_RECORDS_PER_REQUEST = 10_000

_moto_create_transform_job = SageMakerModelBackend.create_transform_job
_moto_describe_transform_job = SageMakerModelBackend.describe_transform_job

#: statistics of finished jobs, keyed by job ARN (records, objects, seconds), for benchmarks
STATS: dict[str, dict[str, float]] = {}
_stats_lock = threading.Lock()


class JobFailed(Exception):
    """The job fails with this FailureReason."""


# --- the work of one job ---------------------------------------------------------------


@dataclass(frozen=True)
class _Spec:
    content_type: str
    accept: str
    split_type: str
    batch_strategy: str
    max_payload_bytes: int
    input_steps: Any
    output_steps: Any
    input_filter: str
    output_filter: str
    join: bool

    @property
    def csv(self) -> bool:
        return self.content_type == CSV


def _spec(job: FakeTransformJob) -> _Spec:
    transform_input = job.transform_input or {}
    processing = job.data_processing or {}
    content_type = str(transform_input.get("ContentType") or CSV).split(";")[0].strip().lower()
    if content_type != CSV and content_type not in JSON_TYPES:
        raise JobFailed(
            f"ClientError: ContentType {content_type!r} is not supported by the local model "
            "(text/csv, application/jsonlines, application/json)"
        )
    accept = str((job.transform_output or {}).get("Accept") or content_type).lower()
    input_filter = processing.get("InputFilter") or "$"
    output_filter = processing.get("OutputFilter") or "$"
    try:
        input_steps, output_steps = parse_path(input_filter), parse_path(output_filter)
    except FilterError as exc:
        raise JobFailed(f"ClientError: {exc}") from None
    join = (processing.get("JoinSource") or "None") == "Input"
    if join and content_type == CSV and accept != CSV:
        raise JobFailed(
            "ClientError: JoinSource=Input with text/csv input needs text/csv output (Accept)"
        )
    return _Spec(
        content_type=content_type,
        accept=accept,
        split_type=str(transform_input.get("SplitType") or "None"),
        batch_strategy=str(job.batch_strategy or "MultiRecord"),
        max_payload_bytes=int(job.max_payload_in_mb or 6) * 1024 * 1024,
        input_steps=input_steps,
        output_steps=output_steps,
        input_filter=input_filter,
        output_filter=output_filter,
        join=join,
    )


def _records(text: str, spec: _Spec) -> list[str]:
    if spec.split_type == "Line":
        return [line for line in text.splitlines() if line.strip()]
    return [text.strip()] if text.strip() else []


def _parse(record: str, spec: _Spec, where: str) -> Any:
    if spec.csv:
        return record.split(",")
    try:
        return json.loads(record)
    except ValueError as exc:
        raise JobFailed(f"ClientError: {where} is not valid JSON ({exc})") from None


def _as_row(value: Any, where: str) -> list[float]:
    """The filtered record as the one row of features the model scores."""
    if isinstance(value, dict) and isinstance(value.get("instances"), list):
        value = value["instances"][0] if len(value["instances"]) == 1 else value["instances"]
    items = value if isinstance(value, list) else [value]
    try:
        return [float(x) for x in items]
    except (TypeError, ValueError):
        raise JobFailed(
            f"ClientError: the model container answered 400 for {where}: cannot parse "
            f"{json.dumps(value)[:200]} as a row of numbers"
        ) from None


def _inference(score: float, spec: _Spec) -> Any:
    if spec.accept == CSV:
        return [repr(score)] if spec.csv else score
    return {"predictions": [score]}


def _render(value: Any, spec: _Spec) -> str:
    if spec.csv and spec.accept == CSV:
        if isinstance(value, list):
            return ",".join(str(v) for v in value)
        return str(value)
    return json.dumps(value, separators=(",", ":"))


def _requests(records: list[str], spec: _Spec) -> list[list[int]]:
    """Record indexes grouped into requests by the batch strategy."""
    if spec.batch_strategy == "SingleRecord":
        return [[i] for i in range(len(records))]
    groups: list[list[int]] = []
    current: list[int] = []
    size = 0
    for i, record in enumerate(records):
        length = len(record) + 1
        if current and (
            size + length > spec.max_payload_bytes or len(current) >= MAX_RECORDS_PER_REQUEST
        ):
            groups.append(current)
            current, size = [], 0
        current.append(i)
        size += length
    if current:
        groups.append(current)
    return groups


def transform_object(
    text: str, spec: _Spec, instance: ModelInstance, source: str
) -> tuple[list[str], int]:
    """Transform one input object; returns its output lines and the number of records."""
    model: LinearModel = instance.model
    records = _records(text, spec)
    parsed: list[Any] = []
    rows: list[list[float]] = []
    for number, record in enumerate(records, start=1):
        where = f"record {number} of {source}"
        value = _parse(record, spec, where)
        try:
            filtered = apply_path(value, spec.input_filter, spec.input_steps)
        except FilterError as exc:
            raise JobFailed(f"ClientError: InputFilter on {where}: {exc}") from None
        parsed.append(value)
        rows.append(_as_row(filtered, where))
    out: list[str] = []
    for request in _requests(records, spec):
        first = request[0] + 1
        where = f"records {first}-{request[-1] + 1} of {source}"
        try:
            scores = model.score_rows([rows[i] for i in request])
        except Exception as exc:  # ModelInputError: the container's 4XX
            raise JobFailed(
                f"ClientError: the model container answered 400 for {where}: {exc}"
            ) from None
        if instance._next_request_fails():
            raise JobFailed(
                f"AlgorithmError: the model container answered 500 for {where}: model error "
                "(simulated by error_rate)"
            )
        for i, score in zip(request, scores, strict=True):
            inference = _inference(score, spec)
            record = join_with_input(parsed[i], inference, csv=spec.csv) if spec.join else inference
            try:
                selected = apply_path(record, spec.output_filter, spec.output_steps)
            except FilterError as exc:
                raise JobFailed(
                    f"ClientError: OutputFilter on record {i + 1} of {source}: {exc}"
                ) from None
            out.append(_render(selected, spec))
    return out, len(records)


def _input_objects(account_id: str, uri: str) -> list[tuple[str, str, bytes]]:
    """(bucket, key, body) of every object under the S3 prefix ``uri``."""
    try:
        bucket_name, prefix = split_s3_url(uri)
    except ModelLoadError:
        if uri.startswith("s3://") and uri[5:].strip("/"):
            bucket_name, prefix = uri[5:].strip("/"), ""
        else:
            raise JobFailed(
                f"ClientError: S3Uri {uri!r} is not an s3://bucket/prefix URI"
            ) from None
    backend = s3_backends[account_id]["aws"]
    try:
        bucket = backend.get_bucket(bucket_name)
    except Exception:
        raise JobFailed(f"ClientError: the input bucket {bucket_name} does not exist") from None
    found = []
    for key in sorted(k for k in list(bucket.keys.keys()) if k.startswith(prefix)):
        if key.endswith("/"):
            continue
        obj = backend.get_object(bucket_name, key)
        if obj is not None:
            found.append((bucket_name, key, obj.value))
    if not found:
        raise JobFailed(
            f"ClientError: No S3 objects found under S3 URL {uri!r} given in input data"
        )
    return found


def _output_key(uri: str, key: str, output_path: str) -> tuple[str, str]:
    """Where the output of input object ``key`` goes: ``(bucket, key)``."""
    prefix = uri[5:].split("/", 1)[1] if "/" in uri[5:] else ""
    folder = prefix.rsplit("/", 1)[0] + "/" if "/" in prefix else ""
    relative = key[len(folder) :] if key.startswith(folder) else key
    out_bucket, _, out_prefix = output_path[5:].partition("/")
    out_prefix = out_prefix.strip("/")
    return out_bucket, f"{out_prefix}/{relative}.out" if out_prefix else f"{relative}.out"


def run_job(backend: SageMakerModelBackend, job: FakeTransformJob) -> dict[str, float]:
    """Do the job's work; raises JobFailed with the FailureReason."""
    spec = _spec(job)
    try:
        url, _ = resolve_model_data_url(backend, job.model_name)
        model = load_model(url, backend.account_id)
    except (ProvisioningFailed, ModelLoadError) as exc:
        raise JobFailed(f"ClientError: {exc}") from None
    if model.fail_to_start:
        raise JobFailed(
            "ClientError: The model container did not pass the ping health check. Please "
            "check CloudWatch logs for this job."
        )
    instance = ModelInstance(model=model, model_data_url=url)
    transform_input: dict[str, Any] = dict(job.transform_input or {})
    source: dict[str, Any] = transform_input.get("DataSource", {}).get("S3DataSource", {})
    if source.get("S3DataType", "S3Prefix") != "S3Prefix":
        raise JobFailed("ClientError: only S3DataType S3Prefix is supported locally")
    uri = str(source.get("S3Uri", ""))
    output_path = str(dict(job.transform_output or {}).get("S3OutputPath", ""))
    if not output_path.startswith("s3://") or not output_path[5:].strip("/"):
        raise JobFailed(f"ClientError: S3OutputPath {output_path!r} is not an s3:// URI")
    s3 = s3_backends[backend.account_id]["aws"]
    started = time.perf_counter()
    records = objects = 0
    for _bucket, key, body in _input_objects(backend.account_id, uri):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise JobFailed(f"ClientError: s3://{_bucket}/{key} is not UTF-8 text") from None
        lines, count = transform_object(text, spec, instance, f"s3://{_bucket}/{key}")
        out_bucket, out_key = _output_key(uri, key, output_path)
        try:
            s3.put_object(out_bucket, out_key, ("\n".join(lines) + "\n").encode())
        except Exception:
            raise JobFailed(
                f"ClientError: cannot write the output to s3://{out_bucket}/{out_key} "
                "(does the bucket exist?)"
            ) from None
        records += count
        objects += 1
    return {"records": records, "objects": objects, "seconds": time.perf_counter() - started}


# --- events and the patched backend ------------------------------------------------------


def describe(job: FakeTransformJob) -> dict[str, Any]:
    """moto's description without its empty fields (AWS omits what is not set)."""
    return {k: v for k, v in job.response_object.items() if v not in (None, "", [None], {})}


def _event(job: FakeTransformJob) -> dict[str, Any]:
    detail = describe(job)
    for key in ("CreationTime", "TransformStartTime", "TransformEndTime", "LastModifiedTime"):
        if key in detail:
            detail[key] = epoch_millis(detail[key])
    tags: list[dict[str, str]] = list(job.tags or [])  # type: ignore[arg-type]
    detail["Tags"] = {t["Key"]: t["Value"] for t in tags}
    return detail


def _emit(backend: SageMakerModelBackend, job: FakeTransformJob) -> None:
    with STATE_LOCK:
        detail = _event(job)
    bus.put_event(
        source="aws.sagemaker",
        detail_type=DETAIL_TYPE,
        detail=detail,
        resources=[job.arn],
        account_id=backend.account_id,
        region=backend.region_name,
    )


def _finish(backend: SageMakerModelBackend, name: str) -> None:
    with STATE_LOCK:
        job = backend.transform_jobs.get(name)
        if job is None or job.transform_job_status != "InProgress":
            return
        job.transform_start_time = utcnow()
    try:
        stats = run_job(backend, job)
        status, reason = "Completed", ""
    except JobFailed as exc:
        stats, status, reason = {}, "Failed", str(exc)
    except Exception as exc:  # a bug here must still end the job, as SageMaker would
        stats, status, reason = {}, "Failed", f"InternalServerError: {exc}"
    with STATE_LOCK:
        job.transform_job_status = status
        job.failure_reason = reason
        job.transform_end_time = utcnow()
        job.last_modified_time = job.transform_end_time
    if stats:
        with _stats_lock:
            STATS[job.arn] = stats
    _emit(backend, job)


def create_transform_job(self: SageMakerModelBackend, **kwargs: Any) -> FakeTransformJob:
    name = kwargs["transform_job_name"]
    with STATE_LOCK:
        if name in self.transform_jobs:
            arn = FakeTransformJob.arn_formatter(name, self.account_id, self.region_name)
            raise ValidationError(
                message="Job name must be unique within an AWS account and region, and a job "
                f"with this name already exists ({arn})"
            )
        model_name = kwargs.get("model_name")
        if model_name not in self._models:
            arn = arn_formatter("model", str(model_name), self.account_id, self.region_name)
            raise ValidationError(message=f'Could not find model "{arn}".')
        job = _moto_create_transform_job(self, **kwargs)
        job.transform_job_status = "InProgress"
        job.transform_start_time = None  # type: ignore[assignment]
        job.transform_end_time = None  # type: ignore[assignment]
        job.tags = kwargs.get("tags") or []  # type: ignore[assignment]
    _emit(self, job)
    schedule(
        env_seconds(START_ENV, 0.2),
        lambda: _finish(self, name),
        name=f"transform-job-{name}",
    )
    return job


def describe_transform_job(self: SageMakerModelBackend, transform_job_name: str) -> dict[str, Any]:
    with STATE_LOCK:
        job = self.transform_jobs.get(transform_job_name)
        if job is None:
            return _moto_describe_transform_job(self, transform_job_name)  # raises
        return describe(job)


def stats_of(job_arn: str) -> dict[str, float] | None:
    with _stats_lock:
        return STATS.get(job_arn)


#: the parameters of moto's SageMakerModelBackend.create_transform_job that the patch expects
_CREATE_TRANSFORM_JOB_PARAMS = (
    "self",
    "transform_job_name",
    "model_name",
    "max_concurrent_transforms",
    "model_client_config",
    "max_payload_in_mb",
    "batch_strategy",
    "environment",
    "transform_input",
    "transform_output",
    "data_capture_config",
    "transform_resources",
    "data_processing",
    "tags",
    "experiment_config",
)


def install() -> None:
    replace(
        SageMakerModelBackend,
        "create_transform_job",
        create_transform_job,
        _CREATE_TRANSFORM_JOB_PARAMS,
    )
    replace(
        SageMakerModelBackend,
        "describe_transform_job",
        describe_transform_job,
        ("self", "transform_job_name"),
    )
