"""Ingesting the prediction log into mergeable window summaries (incremental, idempotent)."""

from __future__ import annotations

import base64
import datetime as dt
import logging
import math
from collections import defaultdict
from typing import Any

from django.db import transaction

from shipyard.monitoring.models import (
    MonitorConfig,
    WindowBucket,
    WindowKind,
)
from shipyard.monitoring.reference import BUCKET_SECONDS, INGEST_CHUNK, PREDICTION_FEATURE

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
    """Summaries of a batch of prediction-log rows for every reference feature (and the prediction)."""
    import numpy as np

    from shipyard_ml import summaries

    matrix = [row_values(r["inputs"], names) for r in rows]
    columns: dict[str, Any] = {}
    for j, name in enumerate(names):
        columns[name] = np.array([m[j] for m in matrix], dtype=object)
    columns[PREDICTION_FEATURE] = np.array([scalar_output(r["outputs"]) for r in rows], dtype=object)
    out = {}
    for feature in reference.features:
        if feature.name in columns:
            values = columns[feature.name]
            if feature.kind == "numeric":
                values = summaries.as_float(values)
            out[feature.name] = summaries.summarize_feature(feature, values)
    return out


def ingest(config: MonitorConfig, *, max_chunks: int = 20) -> int:
    """Fold prediction-log rows after the cursor into 5-minute WindowBucket summaries (O(new rows))."""
    from shipyard.serving.models import PredictionLog
    from shipyard_ml import summaries

    data = config.reference or {}
    if not data:
        return 0
    reference = summaries.Reference.from_dict(data)
    names = list(data.get("input_features") or [])
    threshold = config.confidence_threshold
    folded = 0
    for _ in range(max_chunks):
        rows: list[Any] = list(
            PredictionLog.objects.filter(deployment_id=config.deployment_id, id__gt=config.ingest_cursor)
            .order_by("id")
            .values("id", "created_at", "version_id", "inputs", "outputs", "confidence", "violations")[:INGEST_CHUNK]
        )
        if not rows:
            break
        groups: dict[tuple[int, dt.datetime], list[dict[str, Any]]] = defaultdict(list)
        for r in rows:
            ts = r["created_at"].timestamp()
            start = dt.datetime.fromtimestamp(ts - ts % BUCKET_SECONDS, tz=dt.UTC)
            groups[(r["version_id"], start)].append(r)
        with transaction.atomic():
            locked = MonitorConfig.objects.select_for_update().get(pk=config.pk)
            if locked.ingest_cursor != config.ingest_cursor:  # another run got here first
                config.ingest_cursor = locked.ingest_cursor
                continue
            for (version_id, start), items in groups.items():
                per_feature = summarize_rows(reference, names, items)
                counters: dict[str, Any] = {"violations": {}, "nan_outputs": 0, "inf_outputs": 0}
                for r in items:
                    nan, inf = _non_finite(r["outputs"])
                    counters["nan_outputs"] += nan
                    counters["inf_outputs"] += inf
                    for v in r["violations"] or []:
                        per = counters["violations"].setdefault(str(v.get("feature", "?")), {})
                        per[str(v.get("kind", "invalid"))] = per.get(str(v.get("kind", "invalid")), 0) + 1
                    if r["confidence"] is not None:
                        counters["confidence_n"] = counters.get("confidence_n", 0) + 1
                        counters["confident"] = counters.get("confident", 0) + int(r["confidence"] >= threshold)
                bucket, _ = WindowBucket.objects.select_for_update().get_or_create(
                    deployment_id=config.deployment_id, version_id=version_id, bucket_start=start
                )
                for name, summary in per_feature.items():
                    if name in bucket.summaries:
                        summary = summaries.merge([_decode(bucket.summaries[name]), summary])
                    bucket.summaries[name] = _encode(summary)
                bucket.rows += len(items)
                bucket.counters = _add_counters(bucket.counters or {}, counters)
                bucket.save()
            locked.ingest_cursor = rows[-1]["id"]
            locked.save(update_fields=["ingest_cursor", "updated_at"])
            config.ingest_cursor = locked.ingest_cursor
        folded += len(rows)
        if len(rows) < INGEST_CHUNK:
            break
    return folded


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
        if not rows:
            return {}, 0, {}
        names = list(config.reference.get("input_features") or [])
        return summarize_rows(reference, names, rows), len(rows), _count_rows(rows)
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
        return len(rows), _count_rows(rows)
    total, counters = 0, dict[str, Any]()
    for bucket_rows, bucket_counters in WindowBucket.objects.filter(
        deployment_id=config.deployment_id,
        bucket_start__gte=window_since(config, now) - dt.timedelta(seconds=1),
        bucket_start__lte=now,
    ).values_list("rows", "counters"):
        total += bucket_rows
        counters = _add_counters(counters, bucket_counters or {})
    return total, counters
