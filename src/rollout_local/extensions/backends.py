"""The local stack's in-process reads and writes of moto's backends (no HTTP round trip).

moto keeps every service's state in process-global backends (``<service>_backends[account]
[region]``); the rest of the local stack reads and writes them only through this module:

- ``s3_object``: an object of the emulated S3 (the local model's artifact), as
  ``GetObject`` would return it.
- ``put_log_lines``: a function's log stream in CloudWatch Logs, as Lambda writes it
  (``CreateLogGroup`` if missing, ``CreateLogStream``, ``PutLogEvents``).
- ``put_metric_data``: CloudWatch metric data, as ``PutMetricData`` writes it (the
  metrics CloudWatch Logs extracts from a function's EMF log lines).
- ``put_sparse_object``: a large object of zeros kept as a sparse file (for tests of size
  limits: ``HeadObject`` and ``GetObject`` see all of it, nothing writes a gigabyte).
- ``reset``: every backend back to empty, as moto's own ``/moto-api/reset`` does.

The events AWS services emit go through ``rollout_local.extensions.bus``.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from typing import Any

from rollout_local.accounts import DEFAULT_ACCOUNT_ID as ACCOUNT_ID

REGION = "us-east-1"


def s3_object(bucket: str, key: str, account_id: str = ACCOUNT_ID) -> Any:
    """moto's object ``bucket``/``key`` (``.value``, ``.etag``); raises or returns ``None``
    when there is none (``MissingBucket``, ``MissingKey``).

    A bucket of another account is read from its owner's backend, as a bucket policy that
    grants ``account_id`` ``s3:GetObject`` would allow on AWS (moto's ``get_bucket``
    looks buckets up across accounts)."""
    from moto.s3.models import s3_backends

    return s3_backends[account_id]["aws"].get_object(bucket, key)


def put_sparse_object(bucket: str, key: str, size: int, account_id: str = ACCOUNT_ID) -> None:
    """Put an object of ``size`` zero bytes, stored as a sparse temporary file."""
    from moto.s3.models import s3_backends

    s3_key = s3_backends[account_id]["aws"].put_object(bucket, key, b"\0")
    buffer = tempfile.TemporaryFile()  # noqa: SIM115 (moto's key owns and closes it)
    buffer.seek(size - 1)
    buffer.write(b"\0")
    s3_key._value_buffer = buffer  # type: ignore[assignment]
    s3_key.contentsize = size


def put_log_lines(
    group: str,
    stream: str,
    events: list[dict[str, Any]],
    account_id: str = ACCOUNT_ID,
    region: str = REGION,
) -> None:
    """Write ``events`` (``timestamp``, ``message``) to a new stream of ``group``."""
    from moto.logs.models import logs_backends

    backend = logs_backends[account_id][region]
    if group not in backend.groups:
        backend.create_log_group(group, tags={})
    backend.create_log_stream(group, stream)
    backend.put_log_events(group, stream, events)


def put_metric_data(
    namespace: str,
    metric_data: list[dict[str, Any]],
    account_id: str = ACCOUNT_ID,
    region: str = REGION,
) -> None:
    """``PutMetricData`` of ``metric_data`` (its ``MetricData`` members) into ``namespace``.

    A ``Timestamp`` is kept as moto keeps the ones of its requests: naive UTC."""
    from moto.cloudwatch.models import cloudwatch_backends

    members = [
        {**m, "Timestamp": m["Timestamp"].astimezone(UTC).replace(tzinfo=None)}
        if isinstance(m.get("Timestamp"), datetime) and m["Timestamp"].tzinfo is not None
        else m
        for m in metric_data
    ]
    cloudwatch_backends[account_id][region].put_metric_data(namespace, members)


def reset() -> None:
    """Empty every backend of this process."""
    from moto.moto_api._internal.models import moto_api_backend

    moto_api_backend.reset()
