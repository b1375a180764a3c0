"""The local model: what a SageMaker container would serve, run in-process.

The container image is not run locally. Instead ``ModelDataUrl`` points at an S3 object in
the emulated S3 (read through moto's S3 backend in-process, never over HTTP): either a
``model.tar.gz`` holding ``model.json`` or a ``.json`` object directly::

    {"type": "linear", "weights": [0.5, -1.0], "bias": 0.0,
     "error_rate": 0.0, "latency_ms": 20, "fail_to_start": false}

Input is CSV rows (``text/csv``) or JSON ``{"instances": [[..], ..]}``; the output is one
score per row, ``sigmoid(w·x + b)``: CSV lines for CSV input, ``{"predictions": [..]}``
for JSON input.

``error_rate`` is the fraction of requests answered with a model (5XX) error. It is
deterministic so that tests are reproducible: request number k (1-based, counted per
deployed model instance) fails when ``floor(k * error_rate)`` increases, so a rate of 0.25
fails requests 4, 8, 12, ...  ``latency_ms`` is the ``ModelLatency`` the model reports; the
model does not actually sleep. ``fail_to_start`` makes the container fail its health
check, so an endpoint (update) that deploys it fails as SageMaker's would.
"""

from __future__ import annotations

import io
import json
import math
import tarfile
import threading
from dataclasses import dataclass, field
from typing import Any

from rollout_local.extensions.backends import ACCOUNT_ID, s3_object

CSV = "text/csv"
JSON = "application/json"


class ModelLoadError(Exception):
    """The artifact at ModelDataUrl cannot be loaded (missing, not a tar.gz, bad JSON...)."""


class ModelInputError(Exception):
    """The request body cannot be scored (the container would answer 4XX)."""


class ModelServerError(Exception):
    """The model failed while scoring the request (the container would answer 5XX)."""


@dataclass(frozen=True)
class LinearModel:
    """A parsed ``model.json``: a logistic-regression scorer plus its failure knobs."""

    weights: tuple[float, ...]
    bias: float = 0.0
    error_rate: float = 0.0
    latency_ms: float = 20.0
    fail_to_start: bool = False

    @classmethod
    def from_spec(cls, spec: Any, source: str) -> LinearModel:
        if not isinstance(spec, dict):
            raise ModelLoadError(f"{source}: model.json must hold a JSON object")
        if spec.get("type", "linear") != "linear":
            raise ModelLoadError(f"{source}: unsupported model type {spec.get('type')!r}")
        weights = spec.get("weights")
        if not isinstance(weights, list) or not weights:
            raise ModelLoadError(f"{source}: 'weights' must be a non-empty list of numbers")
        try:
            model = cls(
                weights=tuple(float(w) for w in weights),
                bias=float(spec.get("bias", 0.0)),
                error_rate=float(spec.get("error_rate", 0.0)),
                latency_ms=float(spec.get("latency_ms", 20.0)),
                fail_to_start=bool(spec.get("fail_to_start", False)),
            )
        except (TypeError, ValueError) as exc:
            raise ModelLoadError(f"{source}: invalid number in model.json ({exc})") from exc
        if not 0.0 <= model.error_rate <= 1.0:
            raise ModelLoadError(f"{source}: 'error_rate' must be between 0 and 1")
        if model.latency_ms < 0:
            raise ModelLoadError(f"{source}: 'latency_ms' must not be negative")
        return model

    def score_rows(self, rows: list[list[float]]) -> list[float]:
        scores = []
        for row in rows:
            if len(row) != len(self.weights):
                raise ModelInputError(
                    f"expected {len(self.weights)} features per row, got {len(row)}"
                )
            z = sum(w * x for w, x in zip(self.weights, row, strict=True)) + self.bias
            scores.append(_sigmoid(z))
        return scores


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@dataclass
class Prediction:
    body: bytes
    content_type: str
    model_latency_us: int


@dataclass
class ModelInstance:
    """One deployed copy of a model (a production or shadow variant's container).

    It keeps its own request counter, so the deterministic error sequence starts afresh
    with every deployment.
    """

    model: LinearModel
    model_data_url: str
    _requests: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _next_request_fails(self) -> bool:
        with self._lock:
            self._requests += 1
            k = self._requests
        rate = self.model.error_rate
        return math.floor(k * rate) > math.floor((k - 1) * rate)

    def invoke(
        self, body: bytes | str, content_type: str | None, accept: str | None = None
    ) -> Prediction:
        """Score a request; raises ModelInputError (4XX) or ModelServerError (5XX)."""
        rows, fmt = parse_input(body, content_type)
        scores = self.model.score_rows(rows)
        if self._next_request_fails():
            raise ModelServerError("model error (simulated by error_rate)")
        out_fmt = fmt
        if accept and accept != "*/*":
            if accept.startswith(CSV):
                out_fmt = CSV
            elif accept.startswith(JSON):
                out_fmt = JSON
            else:
                raise ModelInputError(f"unsupported Accept type {accept!r}")
        return Prediction(
            body=format_output(scores, out_fmt),
            content_type=out_fmt,
            model_latency_us=int(self.model.latency_ms * 1000),
        )


def parse_input(body: bytes | str, content_type: str | None) -> tuple[list[list[float]], str]:
    """CSV rows or ``{"instances": [[..], ..]}`` → rows of floats, and the input format."""
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    ctype = (content_type or CSV).split(";")[0].strip().lower()
    try:
        if ctype == CSV:
            rows = [
                [float(cell) for cell in line.split(",")]
                for line in text.splitlines()
                if line.strip()
            ]
            fmt = CSV
        elif ctype == JSON:
            doc = json.loads(text)
            instances = doc.get("instances") if isinstance(doc, dict) else doc
            if not isinstance(instances, list):
                raise ModelInputError('JSON input must be {"instances": [[..], ..]}')
            rows = [[float(x) for x in row] for row in instances]
            fmt = JSON
        else:
            raise ModelInputError(f"unsupported content type {content_type!r}")
    except ModelInputError:
        raise
    except (ValueError, TypeError, AttributeError) as exc:
        raise ModelInputError(f"cannot parse {ctype} input: {exc}") from exc
    if not rows:
        raise ModelInputError("the request holds no rows")
    return rows, fmt


def format_output(scores: list[float], fmt: str) -> bytes:
    if fmt == JSON:
        return json.dumps({"predictions": scores}).encode()
    return ("\n".join(repr(s) for s in scores) + "\n").encode()


# --- loading from moto's S3 -------------------------------------------------------------

_cache: dict[tuple[str, int, str], LinearModel] = {}
_cache_lock = threading.Lock()


def split_s3_url(url: str) -> tuple[str, str]:
    if not url.startswith("s3://") or "/" not in url[5:]:
        raise ModelLoadError(f"ModelDataUrl {url!r} is not an s3://bucket/key URL")
    bucket, key = url[5:].split("/", 1)
    if not bucket or not key:
        raise ModelLoadError(f"ModelDataUrl {url!r} is not an s3://bucket/key URL")
    return bucket, key


def load_model(model_data_url: str, account_id: str = ACCOUNT_ID) -> LinearModel:
    """Load (and cache) the model at ``model_data_url`` from moto's S3 backend."""
    bucket, key = split_s3_url(model_data_url)
    try:
        obj = s3_object(bucket, key, account_id)
    except Exception as exc:  # MissingBucket and friends
        raise ModelLoadError(f"Could not find model data at {model_data_url}.") from exc
    if obj is None:
        raise ModelLoadError(f"Could not find model data at {model_data_url}.")
    # keyed by the object's identity and ETag, so an overwritten object is re-read
    cache_key = (model_data_url, id(obj), str(obj.etag))
    with _cache_lock:
        cached = _cache.get(cache_key)
    if cached is not None:
        return cached
    model = parse_artifact(obj.value, model_data_url)
    with _cache_lock:
        _cache[cache_key] = model
    return model


def parse_artifact(data: bytes, source: str) -> LinearModel:
    """A ``.json`` model or a tar.gz holding ``model.json``."""
    if source.endswith(".json"):
        return LinearModel.from_spec(_json(data, source), source)
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
            member = next(
                (
                    m
                    for m in tar.getmembers()
                    if m.isfile() and m.name.split("/")[-1] == "model.json"
                ),
                None,
            )
            if member is None:
                raise ModelLoadError(f"{source}: the archive holds no model.json")
            extracted = tar.extractfile(member)
            assert extracted is not None
            raw = extracted.read()
    except tarfile.TarError as exc:
        raise ModelLoadError(
            f'Failed to extract model data archive from URL "{source}". Please ensure that '
            "the object located at the URL is a valid tar.gz archive"
        ) from exc
    return LinearModel.from_spec(_json(raw, source), source)


def _json(data: bytes, source: str) -> Any:
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ModelLoadError(f"{source}: model.json is not valid JSON ({exc})") from exc


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def model_tarball(spec: dict[str, Any]) -> bytes:
    """Build a ``model.tar.gz`` holding ``model.json`` (for tests, demos and seeding)."""
    raw = json.dumps(spec).encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo("model.json")
        info.size = len(raw)
        tar.addfile(info, io.BytesIO(raw))
    return buf.getvalue()


# --- multi-model containers (Mode: MultiModel) ------------------------------------------


class TargetModelMissing(Exception):
    """The object TargetModel names does not exist under the container's prefix."""


@dataclass
class MultiModelHost:
    """A ``Mode: MultiModel`` container: it serves the models under ``prefix`` (its
    ``ModelDataUrl``), loading the one a request names (``TargetModel``, relative to the
    prefix) on first use and keeping it loaded; an artifact overwritten in S3 is loaded
    afresh (the cache is keyed by the object's ETag). Each loaded model keeps its own
    request counter (``error_rate``)."""

    prefix: str
    account_id: str = ACCOUNT_ID
    _loaded: dict[str, ModelInstance] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def url_of(self, target_model: str) -> str:
        return self.prefix.rstrip("/") + "/" + target_model.lstrip("/")

    def instance_for(self, target_model: str) -> ModelInstance:
        """The loaded model ``target_model``; raises TargetModelMissing (no such object) or
        ModelLoadError (the object is not a loadable model)."""
        url = self.url_of(target_model)
        bucket, key = split_s3_url(url)
        try:
            obj = s3_object(bucket, key, self.account_id)
        except Exception as exc:  # MissingBucket, MissingKey
            raise TargetModelMissing(url) from exc
        if obj is None:
            raise TargetModelMissing(url)
        model = load_model(url, self.account_id)
        with self._lock:
            loaded = self._loaded.get(target_model)
            if loaded is None or loaded.model is not model:
                loaded = ModelInstance(model=model, model_data_url=url)
                self._loaded[target_model] = loaded
            return loaded
