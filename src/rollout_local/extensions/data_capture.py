"""Data capture (``DataCaptureConfig``): requests and responses of an endpoint's variants in S3.

Implements, after the SageMaker developer guide ("Data capture", "Capture data from
real-time endpoint", "View Data Captured") and the ``DataCaptureConfig`` API reference:

- A config's ``DataCaptureConfig`` applies to every variant of the endpoint, production and
  shadow (``EnableCapture`` defaults to true). ``InitialSamplingPercentage`` of the requests
  are captured; a request is sampled once for the endpoint, so a captured production request
  and its shadow copy are captured together (deterministic here, as the local stack's other
  samplers: request k is captured when ``floor(k·p/100)`` increases).
- Only invocations the model answered are captured (a model error has no output).
- Records are JSON Lines, one per request, at
  ``<DestinationS3Uri>/<EndpointName>/<VariantName>/yyyy/mm/dd/hh/<mm-ss-mmm>-<uuid>.jsonl``
  (the hour of the inference, UTC)::

      {"captureData": {
         "endpointInput":  {"observedContentType": "text/csv", "mode": "INPUT",
                            "data": "0.5,1,2", "encoding": "CSV"},
         "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT",
                            "data": "0.61\\n", "encoding": "CSV"}},
       "eventMetadata": {"eventId": "8f1c…", "inferenceId": "req-7",
                         "inferenceTime": "2024-05-01T10:00:01Z"},
       "eventVersion": "0"}

  ``CaptureOptions`` chooses ``Input``, ``Output`` or both (``InputAndOutput``).
  ``encoding`` is ``CSV`` for a content type in ``CaptureContentTypeHeader.CsvContentTypes``,
  ``JSON`` for one in ``JsonContentTypes``, else ``BASE64`` (SageMaker's default when no
  header is configured). ``inferenceId`` appears when the caller gave ``InferenceId``.
- ``eventId`` identifies the request: the shadow variant's record of a copied request has
  the production record's ``eventId`` (a shadow test pairs them by it).
- SageMaker writes capture files in batches, not per request: records are buffered per
  variant and hour and written as one object ``ROLLOUT_LOCAL_CAPTURE_FLUSH_SECONDS``
  (default 0.5) after the first buffered record. A destination bucket that does not exist
  loses the records (SageMaker logs the failure; here a warning).
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from moto.s3.models import s3_backends

from rollout_local.extensions._common import env_seconds, log, schedule

FLUSH_ENV = "ROLLOUT_LOCAL_CAPTURE_FLUSH_SECONDS"

_lock = threading.Lock()
_buffers: dict[tuple[str, str, str], list[str]] = {}  # (account, bucket, key prefix) → lines


@dataclass
class Sampler:
    """Per deployed config: how many requests the capture sampler has seen."""

    seen: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _sampler(deployment: Any) -> Sampler:
    sampler = getattr(deployment, "_capture_sampler", None)
    if sampler is None:
        sampler = Sampler()
        deployment._capture_sampler = sampler
    return sampler


def enabled(config: dict[str, Any] | None) -> bool:
    return bool(config) and bool((config or {}).get("EnableCapture", True))


def sampled(deployment: Any) -> bool:
    """Whether this request of the deployment (a served config) is captured."""
    config = getattr(deployment, "data_capture_config", None)
    if not enabled(config):
        return False
    percent = float((config or {}).get("InitialSamplingPercentage", 0))
    if percent <= 0:
        return False
    sampler = _sampler(deployment)
    with sampler.lock:
        sampler.seen += 1
        k = sampler.seen
    fraction = min(1.0, percent / 100.0)
    return int(k * fraction) > int((k - 1) * fraction)


def _modes(config: dict[str, Any]) -> set[str]:
    modes: set[str] = set()
    for option in config.get("CaptureOptions") or [{"CaptureMode": "InputAndOutput"}]:
        mode = option.get("CaptureMode", "")
        if mode == "InputAndOutput":
            modes |= {"Input", "Output"}
        elif mode in ("Input", "Output"):
            modes.add(mode)
    return modes


def _payload(config: dict[str, Any], content_type: str | None, data: bytes, mode: str) -> dict:
    header = config.get("CaptureContentTypeHeader") or {}
    ctype = (content_type or "").split(";")[0].strip()
    if ctype and ctype in (header.get("CsvContentTypes") or []):
        encoding, text = "CSV", data.decode("utf-8", errors="replace")
    elif ctype and ctype in (header.get("JsonContentTypes") or []):
        encoding, text = "JSON", data.decode("utf-8", errors="replace")
    else:
        encoding, text = "BASE64", base64.b64encode(data).decode("ascii")
    return {
        "observedContentType": content_type or "",
        "mode": mode,
        "data": text,
        "encoding": encoding,
    }


def capture_record(
    config: dict[str, Any],
    *,
    event_id: str,
    inference_id: str | None,
    when: datetime,
    request: bytes,
    request_type: str | None,
    response: bytes,
    response_type: str | None,
) -> dict[str, Any]:
    """One capture record, shaped as SageMaker writes it."""
    modes = _modes(config)
    data: dict[str, Any] = {}
    if "Input" in modes:
        data["endpointInput"] = _payload(config, request_type, request, "INPUT")
    if "Output" in modes:
        data["endpointOutput"] = _payload(config, response_type, response, "OUTPUT")
    metadata: dict[str, Any] = {
        "eventId": event_id,
        "inferenceTime": when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if inference_id:
        metadata["inferenceId"] = inference_id
    return {"captureData": data, "eventMetadata": metadata, "eventVersion": "0"}


def _split(uri: str) -> tuple[str, str]:
    rest = uri.split("://", 1)[-1]
    bucket, _, prefix = rest.partition("/")
    return bucket, prefix.strip("/")


def record(
    account_id: str,
    endpoint_name: str,
    variant_name: str,
    config: dict[str, Any],
    *,
    event_id: str,
    inference_id: str | None,
    request: bytes,
    request_type: str | None,
    response: bytes,
    response_type: str | None,
    when: datetime | None = None,
) -> None:
    """Buffer the record of one answered request of ``variant_name``."""
    moment = when or datetime.now(UTC)
    line = json.dumps(
        capture_record(
            config,
            event_id=event_id,
            inference_id=inference_id,
            when=moment,
            request=request,
            request_type=request_type,
            response=response,
            response_type=response_type,
        ),
        separators=(",", ":"),
    )
    bucket, prefix = _split(str(config.get("DestinationS3Uri", "")))
    hour = moment.astimezone(UTC).strftime("%Y/%m/%d/%H")
    key_prefix = "/".join(p for p in (prefix, endpoint_name, variant_name, hour) if p)
    buffer_key = (account_id, bucket, key_prefix)
    with _lock:
        lines = _buffers.setdefault(buffer_key, [])
        lines.append(line)
        first = len(lines) == 1
    if first:
        schedule(
            env_seconds(FLUSH_ENV, 0.5),
            lambda: _flush(buffer_key),
            name=f"data-capture-{endpoint_name}-{variant_name}",
        )


def _flush(buffer_key: tuple[str, str, str]) -> None:
    with _lock:
        lines = _buffers.pop(buffer_key, [])
    if not lines:
        return
    account_id, bucket, key_prefix = buffer_key
    now = datetime.now(UTC)
    key = f"{key_prefix}/{now.strftime('%M-%S')}-{now.microsecond // 1000:03d}-{uuid.uuid4()}.jsonl"
    try:
        s3_backends[account_id]["aws"].put_object(bucket, key, ("\n".join(lines) + "\n").encode())
    except Exception as exc:  # a missing bucket: SageMaker loses the capture, logging it
        log.warning("data capture: cannot write s3://%s/%s: %s", bucket, key, exc)


def flush_all() -> None:
    """Write every buffered record now (tests; the local stack's shutdown)."""
    with _lock:
        keys = list(_buffers)
    for key in keys:
        _flush(key)


def install() -> None:
    """Nothing to patch: ``rollout_local.extensions.runtime`` calls ``sampled``/``record``."""
