"""Draining the serving counters and the sampled prediction log from Redis into PostgreSQL,
log partitions and rollup compaction."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from shipyard.serving import logcodec, protocol
from shipyard.serving.models import (
    LATENCY_EDGES_MS,
    Deployment,
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


#: the columns the log writer fills (the others take their defaults)
LOG_COLUMNS = (
    "created_at",
    "deployment_id",
    "version_id",
    "request_id",
    "inputs",
    "outputs",
    "confidence",
    "latency_ms",
    "status",
    "violations",
    "routing_key",
    "outlier_score",
    "is_outlier",
)
#: first key of the advisory locks that order the log's commits per deployment (see
#: :func:`prediction_log_write`); the second is the deployment id
LOG_LOCK_SPACE = 0x504C4F47  # "PLOG"


def prediction_log_write(records: list[protocol.LogRecord]) -> int:
    """Append records to the partitioned log in one transaction through COPY (the one writer).

    Per deployment, the transaction takes an advisory lock before its rows get their ids and keeps
    it until it commits, so a deployment's rows become visible in id order: a reader that has seen
    id N never later finds a committed row of that deployment with an id below N (the ingest's
    watermark relies on it; see docs/monitoring.md). Locks are taken in deployment order (no
    deadlock between writers)."""
    if not records:
        return 0
    by_dep: dict[int, list[protocol.LogRecord]] = {}
    for r in records:
        by_dep.setdefault(r.deployment_id, []).append(r)
    with transaction.atomic(), connection.cursor() as cur:
        for dep_id in sorted(by_dep):
            cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOG_LOCK_SPACE, dep_id])
        with cur.copy(f"COPY serving_predictionlog ({', '.join(LOG_COLUMNS)}) FROM STDIN") as copy:
            for dep_id in sorted(by_dep):
                for r in by_dep[dep_id]:
                    copy.write_row(
                        (
                            dt.datetime.fromtimestamp(r.t, tz=dt.UTC),
                            r.deployment_id,
                            r.version_id,
                            r.request_id,
                            logcodec.encode_inputs(r.inputs),
                            logcodec.encode(r.outputs),
                            r.confidence,
                            r.latency_ms,
                            "ok",
                            protocol.dumps(r.violations),
                            r.routing_key,
                            r.outlier_score,
                            r.is_outlier,
                        )
                    )
    return len(records)


def drain_prediction_log(redis_client: Any, batch: int = 5000, max_batches: int = 20) -> int:
    """Move buffered prediction-log records from Redis into the partitioned table, in bulk.

    A buffered item that is not a record is dropped and logged."""
    written = 0
    for _ in range(max_batches):
        raw = redis_client.lpop(protocol.PLOG, batch)
        if not raw:
            break
        records = []
        for item in raw:
            try:
                records.append(protocol.LogRecord.loads(item))
            except protocol.ProtocolError as exc:
                logger.warning("prediction-log record dropped: %s", exc)
        written += prediction_log_write(records)
        if len(raw) < batch:
            break
    return written


def month_start(d: dt.date) -> dt.date:
    return d.replace(day=1)


def next_month(d: dt.date) -> dt.date:
    return (d.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def partition_name(month: dt.date) -> str:
    return f"serving_predictionlog_{month:%Y%m}"


def prediction_log_partition_ensure(month: dt.date) -> bool:
    """Create the partition of the month starting ``month`` when missing (rows of that month that
    landed in DEFAULT move into it). True when it was created."""
    start, end = month_start(month), next_month(month_start(month))
    name = partition_name(start)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT to_regclass(%s)", [name])
        if cur.fetchone()[0] is not None:
            return False
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
    return True


def prediction_log_partitions_ensure(months_ahead: int = 2) -> list[str]:
    """Create the monthly partitions of serving_predictionlog from this month to ``months_ahead`` ahead."""
    created = []
    start = month_start(timezone.now().date())
    for _ in range(months_ahead + 1):
        if prediction_log_partition_ensure(start):
            created.append(partition_name(start))
        start = next_month(start)
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
