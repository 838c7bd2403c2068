"""Draining the serving counters and the sampled prediction log from Redis into PostgreSQL,
log partitions and rollup compaction."""

from __future__ import annotations

import datetime as dt
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
    for key in redis_client.smembers(protocol.STATS_KEYS):
        try:
            dep_id, ver_id, minute = protocol.parse_stats_key(key)
        except ValueError:
            redis_client.srem(protocol.STATS_KEYS, key)
            continue
        pipe = redis_client.pipeline(transaction=True)
        pipe.hgetall(key)
        pipe.delete(key)
        if minute < current_minute - 1:
            pipe.srem(protocol.STATS_KEYS, key)
        values, *_ = pipe.execute()
        if not values:
            continue
        start = dt.datetime.fromtimestamp(minute * 60, tz=dt.UTC)
        _rollup_add(dep_id, ver_id, start, 60, protocol.StatsDelta.from_hash(values))
        folded += 1
    return folded


def _rollup_add(dep_id: int, ver_id: int, start: dt.datetime, seconds: int, delta: protocol.StatsDelta) -> None:
    hist_len = len(LATENCY_EDGES_MS) + 1
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
        row.count += delta.count
        row.errors += delta.errors
        row.timeouts += delta.timeouts
        row.violations += delta.violations
        row.latency_ms_sum += delta.lat_sum
        row.confidence_sum += delta.conf_sum
        row.confidence_count += delta.conf_n
        old = row.latency_hist or []
        row.latency_hist = [(old[i] if i < len(old) else 0) + delta.hist.get(i, 0) for i in range(hist_len)]
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
                r = protocol.LogRecord.loads(item)
            except protocol.ProtocolError:
                continue
            objs.append(
                PredictionLog(
                    created_at=dt.datetime.fromtimestamp(r.t, tz=dt.UTC),
                    deployment_id=r.deployment_id,
                    version_id=r.version_id,
                    request_id=r.request_id,
                    inputs=r.inputs,
                    outputs=r.outputs,
                    confidence=r.confidence,
                    latency_ms=r.latency_ms,
                    status="ok",
                    violations=r.violations,
                    routing_key=r.routing_key,
                    outlier_score=r.outlier_score,
                    is_outlier=r.is_outlier,
                )
            )
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
        delta = protocol.StatsDelta()
        for r in rows:
            delta.add(
                protocol.StatsDelta(
                    count=r.count,
                    errors=r.errors,
                    timeouts=r.timeouts,
                    violations=r.violations,
                    conf_n=r.confidence_count,
                    lat_sum=r.latency_ms_sum,
                    conf_sum=r.confidence_sum,
                    hist=dict(enumerate(r.latency_hist or [])),
                )
            )
        with transaction.atomic():
            _rollup_add(dep, ver, hour, 3600, delta)
            PredictionRollup.objects.filter(pk__in=[r.pk for r in rows]).delete()
        folded += len(rows)
    return folded
