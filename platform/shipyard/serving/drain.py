"""Draining the serving counters and the sampled prediction log from Redis into PostgreSQL,
log partitions and rollup compaction."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from shipyard.serving import protocol
from shipyard.serving.models import (
    LATENCY_EDGES_MS,
    Deployment,
    PredictionLog,
    PredictionRollup,
)

logger = logging.getLogger(__name__)


def drain_stats(redis_client: Any) -> int:
    """Fold the per-minute counters the web processes pushed to Redis into PredictionRollup."""
    current_minute = int(timezone.now().timestamp() // 60)
    folded = 0
    for raw in redis_client.smembers(protocol.STATS_KEYS):
        key = raw.decode() if isinstance(raw, bytes) else raw
        try:
            _, _, _, dep, ver, minute = key.split(":")
            dep_id, ver_id, minute_n = int(dep), int(ver), int(minute)
        except ValueError:
            redis_client.srem(protocol.STATS_KEYS, key)
            continue
        pipe = redis_client.pipeline(transaction=True)
        pipe.hgetall(key)
        pipe.delete(key)
        if minute_n < current_minute - 1:
            pipe.srem(protocol.STATS_KEYS, key)
        values, _, *_ = pipe.execute()
        if not values:
            if minute_n < current_minute - 1:
                continue
            continue
        fields = {k.decode(): v.decode() for k, v in values.items()}
        _rollup_add(dep_id, ver_id, dt.datetime.fromtimestamp(minute_n * 60, tz=dt.UTC), 60, fields)
        folded += 1
    return folded


def _rollup_add(dep_id: int, ver_id: int, start: dt.datetime, seconds: int, f: dict[str, str]) -> None:
    hist_len = len(LATENCY_EDGES_MS) + 1
    hist = [int(f.get(f"h{i}", 0)) for i in range(hist_len)]
    with transaction.atomic():
        if not Deployment.objects.filter(pk=dep_id).exists():
            return
        row, _ = PredictionRollup.objects.select_for_update().get_or_create(
            deployment_id=dep_id,
            version_id=ver_id,
            bucket_start=start,
            bucket_seconds=seconds,
            defaults={"latency_hist": [0] * hist_len},
        )
        row.count += int(f.get("count", 0))
        row.errors += int(f.get("errors", 0))
        row.timeouts += int(f.get("timeouts", 0))
        row.violations += int(f.get("violations", 0))
        row.latency_ms_sum += float(f.get("lat_sum", 0.0))
        row.confidence_sum += float(f.get("conf_sum", 0.0))
        row.confidence_count += int(f.get("conf_n", 0))
        old = row.latency_hist or []
        row.latency_hist = [(old[i] if i < len(old) else 0) + hist[i] for i in range(hist_len)]
        row.save()


def drain_prediction_log(redis_client: Any, batch: int = 5000, max_batches: int = 20) -> int:
    """Move buffered prediction-log records from Redis into the partitioned table, in bulk."""
    written = 0
    for _ in range(max_batches):
        raw = redis_client.lpop(protocol.PLOG, batch)
        if not raw:
            break
        objs = []
        for item in raw:
            try:
                r = json.loads(item)
                objs.append(
                    PredictionLog(
                        created_at=dt.datetime.fromtimestamp(float(r["t"]), tz=dt.UTC),
                        deployment_id=int(r["d"]),
                        version_id=int(r["v"]),
                        request_id=str(r["id"])[:40],
                        inputs=r["x"],
                        outputs=r["y"],
                        confidence=r.get("c"),
                        latency_ms=float(r.get("ms", 0.0)),
                        status="ok",
                        violations=r.get("vi") or [],
                        routing_key=str(r.get("k") or "")[:200],
                    )
                )
            except (ValueError, KeyError, TypeError):
                continue
        PredictionLog.objects.bulk_create(objs, batch_size=1000)
        written += len(objs)
        if len(raw) < batch:
            break
    return written


def _month_start(d: dt.date) -> dt.date:
    return d.replace(day=1)


def _next_month(d: dt.date) -> dt.date:
    return (d.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def prediction_log_partitions_ensure(months_ahead: int = 2) -> list[str]:
    """Create the monthly partitions of serving_predictionlog from this month to ``months_ahead`` ahead.

    (Rows that already landed in the DEFAULT partition for such a month are moved into it.)
    """
    created = []
    start = _month_start(timezone.now().date())
    with connection.cursor() as cur:
        for _ in range(months_ahead + 1):
            end = _next_month(start)
            name = f"serving_predictionlog_{start:%Y%m}"
            cur.execute("SELECT to_regclass(%s)", [name])
            if cur.fetchone()[0] is None:
                with transaction.atomic():
                    # rows of that month that landed in DEFAULT must move before the partition exists
                    cur.execute(
                        "CREATE TEMP TABLE _plog_move AS SELECT * FROM serving_predictionlog_default "
                        "WHERE created_at >= %s AND created_at < %s",
                        [start, end],
                    )
                    cur.execute(
                        "DELETE FROM serving_predictionlog_default WHERE created_at >= %s AND created_at < %s",
                        [start, end],
                    )
                    cur.execute(
                        f'CREATE TABLE "{name}" PARTITION OF serving_predictionlog FOR VALUES FROM (%s) TO (%s)',
                        [start.isoformat(), end.isoformat()],
                    )
                    cur.execute("INSERT INTO serving_predictionlog SELECT * FROM _plog_move")
                    cur.execute("DROP TABLE _plog_move")
                created.append(name)
            start = end
    return created


def rollups_compact(*, older_than: dt.timedelta = dt.timedelta(days=2)) -> int:
    """Fold minute rollups older than ``older_than`` into hour rows (months stay cheap to read)."""
    cutoff = (timezone.now() - older_than).replace(minute=0, second=0, microsecond=0)
    folded = 0
    minute_rows = PredictionRollup.objects.filter(bucket_seconds=60, bucket_start__lt=cutoff).order_by("id")[:20000]
    groups: dict[tuple[int, int, dt.datetime], list[PredictionRollup]] = {}
    for row in minute_rows:
        groups.setdefault((row.deployment_id, row.version_id, row.bucket_start.replace(minute=0)), []).append(row)
    for (dep, ver, hour), rows in groups.items():
        fields: dict[str, Any] = {
            "count": 0,
            "errors": 0,
            "timeouts": 0,
            "violations": 0,
            "lat_sum": 0.0,
            "conf_sum": 0.0,
            "conf_n": 0,
        }
        for r in rows:
            fields["count"] += r.count
            fields["errors"] += r.errors
            fields["timeouts"] += r.timeouts
            fields["violations"] += r.violations
            fields["lat_sum"] += r.latency_ms_sum
            fields["conf_sum"] += r.confidence_sum
            fields["conf_n"] += r.confidence_count
            for i, n in enumerate(r.latency_hist or []):
                fields[f"h{i}"] = fields.get(f"h{i}", 0) + n
        with transaction.atomic():
            _rollup_add(dep, ver, hour, 3600, {k: str(v) for k, v in fields.items()})
            PredictionRollup.objects.filter(pk__in=[r.pk for r in rows]).delete()
        folded += len(rows)
    return folded
