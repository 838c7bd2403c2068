"""Hot and cold prediction log: months past a deployment's ``log_hot_days`` are exported to Parquet
on the artifact storage (local or S3), verified, and their partition is detached and dropped.

Order of a month's life, each step safe to repeat and to interrupt:

1. rows of an old month still in the DEFAULT partition get their own partition;
2. per deployment with rows in it, once due: export (one REPEATABLE READ snapshot gives the rows
   and the database's count and checksum), read the file back, compare, commit the file to
   storage, record a :class:`LogArchive` (``exported``). Any failure leaves no record and the rows
   where they are;
3. when every deployment in the partition has a verified archive and no row of it is newer than
   its archive (``max_id``; a row committed later always has a higher id), the partition is
   detached and dropped in one short transaction, and the archives become ``cold``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from shipyard.serving.drain import month_start, next_month, partition_name, prediction_log_partition_ensure
from shipyard.serving.models import Deployment, LogArchive, LogValueField, PredictionLog

logger = logging.getLogger(__name__)

#: rows per Parquet row group (and per fetch from PostgreSQL)
ROW_GROUP = 50_000
#: hot retention of rows whose deployment no longer exists
ORPHAN_HOT_DAYS = 1


class ArchiveError(RuntimeError):
    """An export that could not be verified; nothing was recorded or dropped."""


def _columns() -> list[models.Field]:
    return list(PredictionLog._meta.concrete_fields)


def _arrow_type(field: models.Field) -> Any:
    import pyarrow as pa

    if isinstance(field, LogValueField):
        return pa.binary()
    if isinstance(field, models.DateTimeField):
        return pa.timestamp("us", tz="UTC")
    if isinstance(field, models.FloatField):
        return pa.float64()
    if isinstance(field, models.BooleanField):
        return pa.bool_()
    if isinstance(field, models.IntegerField | models.ForeignKey | models.BigAutoField):
        return pa.int64()
    return pa.string()  # char fields and JSON (as its text)


def arrow_schema() -> Any:
    import pyarrow as pa

    return pa.schema([pa.field(f.column, _arrow_type(f)) for f in _columns()])


def row_hash(row_id: int, request_id: str, inputs: bytes, outputs: bytes) -> int:
    """The first 60 bits of md5(id, request id, inputs hex, outputs hex): what the database sums."""
    text = f"{row_id}{request_id}{inputs.hex()}{outputs.hex()}"
    return int(hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()[:15], 16)


_DB_CHECKSUM = (
    "SELECT count(*), coalesce(sum(('x' || substr(md5(id::text || request_id || encode(inputs, 'hex') "
    "|| encode(outputs, 'hex')), 1, 15))::bit(60)::bigint), 0), coalesce(max(id), 0) "
    'FROM "{table}" WHERE deployment_id = %s'
)


def file_checksum(path: Path) -> tuple[int, int]:
    """(rows, checksum) of an exported Parquet file, read back from disk."""
    import pyarrow.parquet as pq

    rows = total = 0
    parquet = pq.ParquetFile(path)
    for batch in parquet.iter_batches(columns=["id", "request_id", "inputs", "outputs"], batch_size=ROW_GROUP):
        ids, rids, ins, outs = (batch.column(i).to_pylist() for i in range(4))
        for row in zip(ids, rids, ins, outs, strict=True):
            total += row_hash(*row)
        rows += batch.num_rows
    return rows, total


def month_export(*, deployment_id: int, month: dt.date) -> LogArchive:
    """Export, verify and record one deployment's rows of one (partitioned) month."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from shipyard.registry import storage

    month = month_start(month)
    existing = LogArchive.objects.filter(deployment_id=deployment_id, month=month).first()
    if existing is not None:
        return existing
    table = partition_name(month)
    fields = _columns()
    schema = arrow_schema()
    tmp = storage.new_temp_path(".parquet")
    outermost = not connection.in_atomic_block
    try:
        with transaction.atomic(), connection.cursor() as cur:
            if outermost:  # the count, the checksum and the rows from one snapshot
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cur.execute(_DB_CHECKSUM.format(table=table), [deployment_id])
            db_rows, db_sum, max_id = cur.fetchone()
            with connection.chunked_cursor() as rows_cur, pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
                rows_cur.execute(
                    f'SELECT {", ".join(str(f.column) for f in fields)} FROM "{table}" WHERE deployment_id = %s ORDER BY id',  # noqa: S608 - names from a fixed list
                    [deployment_id],
                )
                while batch := rows_cur.fetchmany(ROW_GROUP):
                    columns = list(zip(*batch, strict=True))
                    arrays = [
                        pa.array([_plain(v, f) for v in columns[i]], type=schema.field(i).type)
                        for i, f in enumerate(fields)
                    ]
                    writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
        file_rows, file_sum = file_checksum(tmp)
        if (file_rows, file_sum) != (db_rows, int(db_sum)):
            raise ArchiveError(
                f"export of deployment {deployment_id} {month:%Y-%m} does not verify: "
                f"{file_rows} rows / checksum {file_sum} in the file, {db_rows} / {db_sum} in the database"
            )
        blob = storage.hash_file(tmp)
        storage.store().commit(tmp, blob)
    finally:
        tmp.unlink(missing_ok=True)
    archive, _ = LogArchive.objects.get_or_create(
        deployment_id=deployment_id,
        month=month,
        defaults={
            "blob_key": blob.key,
            "sha256": blob.sha256,
            "size_bytes": blob.size,
            "rows": db_rows,
            "max_id": max_id,
            "checksum": str(db_sum),
        },
    )
    return archive


def _plain(value: Any, field: models.Field) -> Any:
    if value is None:
        return None
    if isinstance(field, LogValueField):
        return bytes(value)
    if isinstance(field, models.JSONField):
        return value if isinstance(value, str) else json.dumps(value)
    return value


def partition_deployments(table: str) -> list[int]:
    """The deployments with rows in a partition (a loose index scan: one probe per deployment)."""
    with connection.cursor() as cur:
        cur.execute(
            f'WITH RECURSIVE d AS (SELECT min(deployment_id) AS id FROM "{table}" UNION ALL '  # noqa: S608 - names from a fixed list
            f'SELECT (SELECT min(deployment_id) FROM "{table}" WHERE deployment_id > d.id) FROM d '
            "WHERE d.id IS NOT NULL) SELECT id FROM d WHERE id IS NOT NULL"
        )
        return [row[0] for row in cur.fetchall()]


def partition_drop(month: dt.date) -> bool:
    """Detach and drop a month's partition when every deployment in it has a verified archive that
    holds all its rows; the archives become cold. False (nothing changed) otherwise."""
    month = month_start(month)
    table = partition_name(month)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT to_regclass(%s)", [table])
        if cur.fetchone()[0] is None:
            return False
        cur.execute(f'LOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE')
        archives = {a.deployment_id: a for a in LogArchive.objects.select_for_update().filter(month=month)}
        for dep_id in partition_deployments(table):
            archive = archives.get(dep_id)
            if archive is None:
                return False
            newer = f'SELECT 1 FROM "{table}" WHERE deployment_id = %s AND id > %s LIMIT 1'  # noqa: S608 - our name
            cur.execute(newer, [dep_id, archive.max_id])
            if cur.fetchone() is not None:  # rows committed after the export: export again
                archive.delete()
                return False
        cur.execute(f'ALTER TABLE serving_predictionlog DETACH PARTITION "{table}"')
        cur.execute(f'DROP TABLE "{table}"')
        LogArchive.objects.filter(month=month).update(state=LogArchive.COLD, dropped_at=timezone.now())
    return True


def attached_months() -> list[dt.date]:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'serving_predictionlog'::regclass"
        )
        names = [row[0] for row in cur.fetchall()]
    out = []
    for name in names:
        suffix = name.rsplit("_", 1)[-1]
        if suffix.isdigit() and len(suffix) == 6:
            out.append(dt.date(int(suffix[:4]), int(suffix[4:]), 1))
    return sorted(out)


def _default_months(before: dt.date) -> list[dt.date]:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT DISTINCT date_trunc('month', created_at AT TIME ZONE 'UTC')::date "
            "FROM serving_predictionlog_default WHERE created_at < %s",
            [before],
        )
        return sorted(row[0] for row in cur.fetchall())


def log_archive_run(*, now: dt.datetime | None = None) -> dict[str, Any]:
    """The retention policy (beat): export every due deployment-month, drop fully archived months."""
    now = now or timezone.now()
    this_month = month_start(now.date())
    for month in _default_months(this_month):
        prediction_log_partition_ensure(month)
    hot_days = dict(Deployment.objects.values_list("pk", "log_hot_days"))
    out: dict[str, Any] = {"exported": [], "dropped": [], "failed": []}
    for month in attached_months():
        if month >= this_month:
            continue
        month_end = dt.datetime.combine(next_month(month), dt.time(), tzinfo=dt.UTC)
        due = [
            dep_id
            for dep_id in partition_deployments(partition_name(month))
            if month_end + dt.timedelta(days=hot_days.get(dep_id, ORPHAN_HOT_DAYS)) <= now
        ]
        for dep_id in due:
            try:
                archive = month_export(deployment_id=dep_id, month=month)
            except (ArchiveError, OSError) as exc:
                logger.exception("prediction-log export of deployment %s %s failed", dep_id, f"{month:%Y-%m}")
                out["failed"].append({"deployment": dep_id, "month": f"{month:%Y-%m}", "error": str(exc)[:300]})
                continue
            out["exported"].append({"deployment": dep_id, "month": f"{month:%Y-%m}", "rows": archive.rows})
        if partition_drop(month):
            out["dropped"].append(f"{month:%Y-%m}")
    return out


def archived_keys(keys: list[str]) -> set[str]:
    """Which of these blob keys are prediction-log archives (the registry's orphan sweep keeps them)."""
    return set(LogArchive.objects.filter(blob_key__in=keys).values_list("blob_key", flat=True))
