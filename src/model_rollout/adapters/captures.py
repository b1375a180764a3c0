"""S3: read an endpoint variant's data-capture records; write experiment reports.

Capture files are where SageMaker writes them:
``<DestinationS3Uri>/<EndpointName>/<VariantName>/yyyy/mm/dd/hh/<file>.jsonl``. Only the
hour partitions that overlap the window are listed.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from model_rollout.adapters.aws import LazyClient, throttling_as


def split_s3_uri(uri: str) -> tuple[str, str]:
    rest = uri.split("://", 1)[-1]
    bucket, _, prefix = rest.partition("/")
    return bucket, prefix.strip("/")


def hour_prefixes(start: float, end: float) -> list[str]:
    """``yyyy/mm/dd/hh`` of every hour from ``start`` to ``end`` (UTC)."""
    moment = datetime.fromtimestamp(start, UTC).replace(minute=0, second=0, microsecond=0)
    last = datetime.fromtimestamp(end, UTC)
    hours = []
    while moment <= last:
        hours.append(moment.strftime("%Y/%m/%d/%H"))
        moment += timedelta(hours=1)
    return hours


class CaptureStore(LazyClient):
    service = "s3"

    def records(
        self, destination: str, endpoint_name: str, variant_name: str, start: float, end: float
    ) -> list[dict[str, Any]]:
        """Every capture record of the variant in the hour partitions of [start, end]."""
        bucket, prefix = split_s3_uri(destination)
        found: list[dict[str, Any]] = []
        for hour in hour_prefixes(start, end):
            key_prefix = "/".join(p for p in (prefix, endpoint_name, variant_name, hour) if p) + "/"
            paginator = self.client.get_paginator("list_objects_v2")
            with throttling_as(f"ListObjectsV2 s3://{bucket}/{key_prefix}"):
                pages = list(paginator.paginate(Bucket=bucket, Prefix=key_prefix))
            for page in pages:
                for item in page.get("Contents", []):
                    if not item["Key"].endswith(".jsonl"):
                        continue
                    with throttling_as(f"GetObject s3://{bucket}/{item['Key']}"):
                        body = self.client.get_object(Bucket=bucket, Key=item["Key"])["Body"]
                    for line in body.read().decode("utf-8").splitlines():
                        if line.strip():
                            found.append(json.loads(line))
        return found

    def put(self, bucket: str, key: str, body: str, content_type: str) -> str:
        with throttling_as(f"PutObject s3://{bucket}/{key}"):
            self.client.put_object(
                Bucket=bucket, Key=key, Body=body.encode("utf-8"), ContentType=content_type
            )
        return f"s3://{bucket}/{key}"
