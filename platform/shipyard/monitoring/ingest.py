"""Ingesting the prediction log into mergeable window summaries (incremental, idempotent)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import math
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from shipyard.monitoring.models import (
    MonitorConfig,
    WindowBucket,
    WindowKind,
)
from shipyard.monitoring.reference import (
    BUCKET_SECONDS,
    INGEST_BUDGET_S,
    INGEST_CHUNK,
    INVALID_EXAMPLES,
    LAG_COUNT_LIMIT,
    PREDICTION_FEATURE,
)

logger = logging.getLogger(__name__)


def row_values(inputs: Any, names: list[str]) -> list[Any]:
    if isinstance(inputs, dict):
        return [inputs.get(n) for n in names]
    if isinstance(inputs, list):
        if inputs and isinstance(inputs[0], list):  # a row logged as [[...]]
            inputs = inputs[0]
        return list(inputs[: len(names)]) + [None] * max(0, len(names) - len(inputs))
    return [None] * len(names)


def scalar_output(output: Any) -> Any:
    while isinstance(output, list) and len(output) == 1:
        output = output[0]
    return output


def _non_finite(output: Any) -> tuple[int, int]:
    """(NaN count, Inf count) in one logged output (nested lists allowed; the string forms too)."""
    nan = inf = 0
    stack = [output]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, float):
            nan += math.isnan(item)
            inf += math.isinf(item)
        elif isinstance(item, str) and item.lower() in {"nan", "inf", "-inf", "infinity", "-infinity"}:
            nan += item.lower() == "nan"
            inf += item.lower() != "nan"
    return nan, inf


def _encode(summary: Any) -> str:
    from shipyard_ml import summaries

    return base64.b64encode(summaries.pack(summary)).decode()


def _decode(text: str) -> Any:
    from shipyard_ml import summaries

    return summaries.unpack(base64.b64decode(text))


def summarize_rows(reference: Any, names: list[str], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Summaries of a batch of decoded prediction-log rows for every reference feature (and the prediction)."""
    import numpy as np

    matrix = [row_values(r["inputs"], names) for r in rows]
    columns: dict[str, Any] = {}
    for j, name in enumerate(names):
        columns[name] = np.array([m[j] for m in matrix], dtype=object)
    columns[PREDICTION_FEATURE] = np.array([scalar_output(r["outputs"]) for r in rows], dtype=object)
    return _summarize_columns(reference, columns)


def _summarize_columns(reference: Any, columns: dict[str, Any]) -> dict[str, Any]:
    from shipyard_ml import summaries

    out = {}
    for feature in reference.features:
        if feature.name in columns:
            values = columns[feature.name]
            if feature.kind == "numeric":
                values = summaries.as_float(values)
            out[feature.name] = summaries.summarize_feature(feature, values)
    return out


@dataclass
class Chunk:
    """Prediction-log rows as the ingest reads them: column lists, inputs and outputs still encoded."""

    ids: list[int] = field(default_factory=list)
    created_at: list[dt.datetime] = field(default_factory=list)
    version_id: list[int] = field(default_factory=list)
    request_id: list[str] = field(default_factory=list)
    inputs: list[bytes] = field(default_factory=list)
    outputs: list[bytes] = field(default_factory=list)
    confidence: list[float | None] = field(default_factory=list)
    violations: list[Any] = field(default_factory=list)


def read_chunk(deployment_id: int, after_id: int, limit: int) -> Chunk:
    """Up to ``limit`` log rows of a deployment with ids above ``after_id``, in id order (raw bytes)."""
    chunk = Chunk()
    with connection.cursor() as cur:
        cur.execute(
            "SELECT id, created_at, version_id, request_id, inputs, outputs, confidence, violations "
            "FROM serving_predictionlog WHERE deployment_id = %s AND id > %s ORDER BY id LIMIT %s",
            [deployment_id, after_id, limit],
        )
        for row in cur.fetchall():
            chunk.ids.append(row[0])
            chunk.created_at.append(row[1])
            chunk.version_id.append(row[2])
            chunk.request_id.append(row[3])
            chunk.inputs.append(bytes(row[4]))
            chunk.outputs.append(bytes(row[5]))
            chunk.confidence.append(row[6])
            chunk.violations.append(json.loads(row[7]) if isinstance(row[7], str | bytes) else row[7])
    return chunk


def _fold_group(reference: Any, names: list[str], chunk: Chunk, idx: list[int], threshold: float) -> tuple:
    """(summaries, counters, valid rows, request ids of undecodable rows) of the rows ``idx``."""
    import numpy as np

    from shipyard.serving import logcodec

    matrix, others, bad_inputs = logcodec.decode_rows([chunk.inputs[i] for i in idx], len(names))
    invalid = set(bad_inputs)
    outputs: list[Any] = []
    for k, i in enumerate(idx):
        try:
            outputs.append(logcodec.decode(chunk.outputs[i]))
        except logcodec.CodecError:
            outputs.append(None)
            invalid.add(k)
    categorical = {f.name for f in reference.features if f.kind == "categorical" and f.name in names}
    keep = [k for k in range(len(idx)) if k not in invalid]
    columns: dict[str, Any] = {}
    if categorical and others:
        rows = [row_values(others[k], names) if k in others else matrix[k].tolist() for k in keep]
        for j, name in enumerate(names):
            columns[name] = np.array([r[j] for r in rows], dtype=object)
    else:
        for k, value in others.items():
            matrix[k] = summaries_as_float(row_values(value, names))
        kept = matrix[keep]
        for j, name in enumerate(names):
            columns[name] = kept[:, j]
    columns[PREDICTION_FEATURE] = np.array([scalar_output(outputs[k]) for k in keep], dtype=object)
    counters: dict[str, Any] = {"violations": {}, "nan_outputs": 0, "inf_outputs": 0}
    for k in keep:
        i = idx[k]
        nan, inf = _non_finite(outputs[k])
        counters["nan_outputs"] += nan
        counters["inf_outputs"] += inf
        for v in chunk.violations[i] or []:
            per = counters["violations"].setdefault(str(v.get("feature", "?")), {})
            per[str(v.get("kind", "invalid"))] = per.get(str(v.get("kind", "invalid")), 0) + 1
        conf = chunk.confidence[i]
        if conf is not None:
            counters["confidence_n"] = counters.get("confidence_n", 0) + 1
            counters["confident"] = counters.get("confident", 0) + int(conf >= threshold)
    if invalid:
        counters["invalid"] = len(invalid)
    bad_ids = [chunk.request_id[idx[k]] for k in sorted(invalid)]
    return _summarize_columns(reference, columns) if keep else {}, counters, len(keep), bad_ids


def summaries_as_float(values: list[Any]) -> Any:
    from shipyard_ml import summaries

    return summaries.as_float(values)


def ingest(config: MonitorConfig, *, budget_s: float | None = INGEST_BUDGET_S, chunk_size: int = INGEST_CHUNK) -> int:
    """Fold log rows after the cursor into 5-minute WindowBucket summaries (O(new rows)), chunk by
    chunk until caught up or ``budget_s`` has passed (then the next run goes on; the lag says how far
    behind it is). Each chunk's summaries and the cursor move in one transaction, under a
    compare-and-set of the cursor: overlapping runs and a run killed mid-chunk count every row once.
    Rows the codec cannot read are counted as invalid (with their request ids) and skipped."""
    from shipyard_ml import summaries

    data = config.reference or {}
    if not data:
        return 0
    reference = summaries.Reference.from_dict(data)
    names = list(data.get("input_features") or [])
    threshold = config.confidence_threshold
    deadline = None if budget_s is None else time.monotonic() + budget_s
    folded = 0
    while True:
        chunk = read_chunk(config.deployment_id, config.ingest_cursor, chunk_size)
        if not chunk.ids:
            break
        groups: dict[tuple[int, dt.datetime], list[int]] = defaultdict(list)
        for i, created in enumerate(chunk.created_at):
            ts = created.timestamp()
            start = dt.datetime.fromtimestamp(ts - ts % BUCKET_SECONDS, tz=dt.UTC)
            groups[(chunk.version_id[i], start)].append(i)
        folded_groups = {key: _fold_group(reference, names, chunk, idx, threshold) for key, idx in groups.items()}
        with transaction.atomic():
            locked = MonitorConfig.objects.select_for_update().get(pk=config.pk)
            if locked.ingest_cursor != config.ingest_cursor:  # another run got here first
                config.ingest_cursor = locked.ingest_cursor
                continue
            invalid_ids: list[str] = []
            for (version_id, start), (per_feature, counters, valid, bad_ids) in folded_groups.items():
                invalid_ids.extend(bad_ids)
                bucket, _ = WindowBucket.objects.select_for_update().get_or_create(
                    deployment_id=config.deployment_id, version_id=version_id, bucket_start=start
                )
                for name, summary in per_feature.items():
                    if name in bucket.summaries:
                        summary = summaries.merge([_decode(bucket.summaries[name]), summary])
                    bucket.summaries[name] = _encode(summary)
                bucket.rows += valid
                bucket.counters = _add_counters(bucket.counters or {}, counters)
                bucket.save()
            locked.ingest_cursor = chunk.ids[-1]
            locked.ingest_rows += len(chunk.ids) - len(invalid_ids)
            fields = ["ingest_cursor", "ingest_rows", "updated_at"]
            if invalid_ids:
                logger.warning("deployment %s: %d undecodable log rows skipped", config.deployment_id, len(invalid_ids))
                locked.ingest_invalid += len(invalid_ids)
                locked.ingest_invalid_examples = (invalid_ids[::-1] + list(locked.ingest_invalid_examples or []))[
                    :INVALID_EXAMPLES
                ]
                fields += ["ingest_invalid", "ingest_invalid_examples"]
            locked.save(update_fields=fields)
            config.ingest_cursor = locked.ingest_cursor
        folded += len(chunk.ids)
        if len(chunk.ids) < chunk_size or (deadline is not None and time.monotonic() > deadline):
            break
    return folded


def ingest_lag(config: MonitorConfig, now: dt.datetime | None = None, *, count_limit: int = LAG_COUNT_LIMIT) -> dict:
    """How far the ingest is behind the log: rows after the cursor (counted up to ``count_limit``;
    the count stops there) and the age in seconds of the first of them (0 when caught up)."""
    now = now or timezone.now()
    with connection.cursor() as cur:
        cur.execute(
            "SELECT created_at FROM serving_predictionlog WHERE deployment_id = %s AND id > %s ORDER BY id LIMIT 1",
            [config.deployment_id, config.ingest_cursor],
        )
        first = cur.fetchone()
        if first is None:
            return {"rows": 0, "seconds": 0.0}
        cur.execute(
            "SELECT count(*) FROM (SELECT 1 FROM serving_predictionlog WHERE deployment_id = %s AND id > %s "
            "LIMIT %s) behind",
            [config.deployment_id, config.ingest_cursor, count_limit],
        )
        rows = cur.fetchone()[0]
    return {"rows": int(rows), "seconds": max(0.0, (now - first[0]).total_seconds())}


def _add_counters(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out = dict(a)
    for key, value in b.items():
        if isinstance(value, dict):
            out[key] = _add_counters(out.get(key) or {}, value)
        else:
            out[key] = out.get(key, 0) + value
    return out


def window_since(config: MonitorConfig, now: dt.datetime) -> dt.datetime:
    return now - (dt.timedelta(hours=1) if config.window_kind == WindowKind.HOUR else dt.timedelta(days=1))


def window_summaries(config: MonitorConfig, reference: Any, now: dt.datetime) -> tuple[dict[str, Any], int, dict]:
    """The current window as merged summaries, its row count and counters (cost: the window, not the log)."""
    from shipyard_ml import summaries

    if config.window_kind == WindowKind.LAST_N:
        from shipyard.serving.models import PredictionLog

        rows: list[Any] = list(
            PredictionLog.objects.filter(deployment_id=config.deployment_id)
            .order_by("-id")
            .values("inputs", "outputs", "violations", "confidence")[: config.window_n]
        )
        rows, invalid = decoded_only(rows)
        if not rows:
            return {}, 0, {"invalid": invalid} if invalid else {}
        names = list(config.reference.get("input_features") or [])
        last_n = _count_rows(rows)
        if invalid:
            last_n["invalid"] = invalid
        return summarize_rows(reference, names, rows), len(rows), last_n
    buckets = WindowBucket.objects.filter(
        deployment_id=config.deployment_id,
        bucket_start__gte=window_since(config, now) - dt.timedelta(seconds=1),
        bucket_start__lte=now,
    )
    per_feature: dict[str, list[Any]] = defaultdict(list)
    total = 0
    counters: dict[str, Any] = {}
    for bucket in buckets:
        total += bucket.rows
        counters = _add_counters(counters, bucket.counters or {})
        for name, text in bucket.summaries.items():
            per_feature[name].append(_decode(text))
    return {name: summaries.merge(items) for name, items in per_feature.items()}, total, counters


def decoded_only(rows: Sequence[Mapping[str, Any]]) -> tuple[list[Any], int]:
    """The rows whose logged values decode, and how many did not (shown as invalid, skipped)."""
    from shipyard.serving.logcodec import Undecodable

    good = [r for r in rows if not any(isinstance(v, Undecodable) for v in r.values())]
    return good, len(rows) - len(good)


def _count_rows(rows: list[dict[str, Any]]) -> dict[str, Any]:
    counters: dict[str, Any] = {"violations": {}, "nan_outputs": 0, "inf_outputs": 0}
    for r in rows:
        nan, inf = _non_finite(r["outputs"])
        counters["nan_outputs"] += nan
        counters["inf_outputs"] += inf
        for v in r["violations"] or []:
            per = counters["violations"].setdefault(str(v.get("feature", "?")), {})
            per[str(v.get("kind", "invalid"))] = per.get(str(v.get("kind", "invalid")), 0) + 1
    return counters


def window_counters(config: MonitorConfig, now: dt.datetime) -> tuple[int, dict[str, Any]]:
    """Rows, invariant violations and NaN/Inf outputs in the window (no reference needed)."""
    if config.window_kind == WindowKind.LAST_N:
        from shipyard.serving.models import PredictionLog

        rows: list[Any] = list(
            PredictionLog.objects.filter(deployment_id=config.deployment_id)
            .order_by("-id")
            .values("outputs", "violations")[: config.window_n]
        )
        rows, invalid = decoded_only(rows)
        counters = _count_rows(rows)
        if invalid:
            counters["invalid"] = invalid
        return len(rows), counters
    total, counters = 0, dict[str, Any]()
    for bucket_rows, bucket_counters in WindowBucket.objects.filter(
        deployment_id=config.deployment_id,
        bucket_start__gte=window_since(config, now) - dt.timedelta(seconds=1),
        bucket_start__lte=now,
    ).values_list("rows", "counters"):
        total += bucket_rows
        counters = _add_counters(counters, bucket_counters or {})
    return total, counters
