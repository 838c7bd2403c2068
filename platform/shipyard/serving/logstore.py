"""The one read interface of the prediction log, hot (PostgreSQL) and cold (Parquet through DuckDB).

A window's rows come from the attached partitions and from the cold archives of the months whose
partition was dropped; a month is in exactly one of the two (an archive is only read once it is
``cold``), so no row is read twice. Values come back decoded by :mod:`logcodec` (a
:class:`logcodec.Undecodable` for bytes it cannot read), the same from either side.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils import timezone

from shipyard.serving import logcodec
from shipyard.serving.models import LogArchive, LogDayCount

#: the columns a reader may ask for
COLUMNS = (
    "id",
    "created_at",
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


#: a day's count is kept once the day has been over this long (the drain's and late writers' margin)
DAY_SETTLED = dt.timedelta(hours=1)


@dataclass(frozen=True)
class LogWindow:
    """Rows of one deployment logged in [since, until), optionally of one version and status."""

    deployment_id: int
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    version_id: int | None = None
    status: str | None = None
    #: only rows with a higher id (the monitoring ingest's cursor)
    after_id: int | None = None


def _where(window: LogWindow, placeholder: str) -> tuple[str, list[Any]]:
    clauses: list[str] = [f"deployment_id = {placeholder}"]
    params: list[Any] = [window.deployment_id]
    for clause, value in (
        (f"created_at >= {placeholder}", window.since),
        (f"created_at < {placeholder}", window.until),
        (f"version_id = {placeholder}", window.version_id),
        (f"status = {placeholder}", window.status),
        (f"id > {placeholder}", window.after_id),
    ):
        if value is not None:
            clauses.append(clause)
            params.append(value)
    return " AND ".join(clauses), params


def cold_files(window: LogWindow) -> list[str]:
    """Local paths of the cold archives of the window's deployment that overlap the window."""
    from shipyard.registry import storage

    archives = LogArchive.objects.filter(deployment_id=window.deployment_id, state=LogArchive.COLD)
    if window.since is not None:
        archives = archives.filter(month__gte=window.since.date().replace(day=1))
    if window.until is not None:
        archives = archives.filter(month__lte=window.until.date())
    store = storage.store()
    return [str(store.local_path(a.blob_key)) for a in archives.order_by("month")]


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    for name in ("inputs", "outputs"):
        if name in row and row[name] is not None:
            raw = bytes(row[name])
            try:
                row[name] = logcodec.decode(raw)
            except logcodec.CodecError as exc:
                row[name] = logcodec.Undecodable(raw, str(exc))
    if isinstance(row.get("violations"), str):
        row["violations"] = json.loads(row["violations"])
    if isinstance(row.get("created_at"), dt.datetime) and row["created_at"].tzinfo is None:
        row["created_at"] = row["created_at"].replace(tzinfo=dt.UTC)
    return row


def _duck(files: list[str]) -> Any:
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"CREATE VIEW plog AS SELECT * FROM read_parquet({files!r}, union_by_name = true)")  # noqa: S608 - names from a fixed list
    return con


def log_rows(
    window: LogWindow, *, columns: tuple[str, ...], limit: int | None = None, newest_first: bool = True
) -> list[dict[str, Any]]:
    """The window's rows (newest first unless told), hot and cold alike, as dicts of ``columns``."""
    unknown = set(columns) - set(COLUMNS)
    if unknown:
        raise ValueError(f"unknown log columns: {sorted(unknown)}")
    select = ", ".join(dict.fromkeys(("id", *columns)))
    order = "id DESC" if newest_first else "id"
    tail = f" ORDER BY {order}" + (f" LIMIT {int(limit)}" if limit is not None else "")
    where, params = _where(window, "%s")
    with connection.cursor() as cur:
        cur.execute(f"SELECT {select} FROM serving_predictionlog WHERE {where}{tail}", params)  # noqa: S608 - names from a fixed list
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    files = cold_files(window)
    if files and (limit is None or len(rows) < limit):
        where, params = _where(window, "?")
        con = _duck(files)
        try:
            cur = con.execute(f"SELECT {select} FROM plog WHERE {where}{tail}", params)  # noqa: S608 - names from a fixed list
            names = [d[0] for d in cur.description]
            rows += [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        finally:
            con.close()
        rows.sort(key=lambda r: r["id"], reverse=newest_first)
        if limit is not None:
            rows = rows[:limit]
    return [_decode(r) for r in rows]


def log_daily_counts(
    window: LogWindow, *, confidence_threshold: float, now: dt.datetime | None = None
) -> dict[dt.date, tuple[int, int]]:
    """Per UTC day of the window: (logged predictions, those with confidence >= the threshold).

    Whole days that are over (by :data:`DAY_SETTLED`) are counted once and kept in
    :class:`LogDayCount` (the log of a finished day does not change; the count is the same hot or
    cold); the window's partial days are counted live."""
    now = now or timezone.now()
    if window.version_id is not None or window.status is not None or window.after_id is not None:
        return _count_days(window, confidence_threshold)
    since = window.since or now - dt.timedelta(days=3650)
    until = min(window.until or now, now)
    first_whole = since.date() if since.time() == dt.time() else since.date() + dt.timedelta(days=1)
    settled_end = (now - DAY_SETTLED).date()  # days before this one are over
    last_whole = min(settled_end, until.date()) - dt.timedelta(days=1)
    if first_whole > last_whole:
        return _count_days(window, confidence_threshold)
    out: dict[dt.date, tuple[int, int]] = {}
    cached = {
        c.day: (c.predictions, c.confident)
        for c in LogDayCount.objects.filter(
            deployment_id=window.deployment_id, threshold=confidence_threshold, day__range=(first_whole, last_whole)
        )
    }
    missing = [
        first_whole + dt.timedelta(days=i)
        for i in range((last_whole - first_whole).days + 1)
        if first_whole + dt.timedelta(days=i) not in cached
    ]
    if missing:
        lo, hi = _midnight(missing[0]), _midnight(missing[-1] + dt.timedelta(days=1))
        fresh = _count_days(LogWindow(deployment_id=window.deployment_id, since=lo, until=hi), confidence_threshold)
        LogDayCount.objects.bulk_create(
            [
                LogDayCount(
                    deployment_id=window.deployment_id,
                    day=day,
                    threshold=confidence_threshold,
                    predictions=fresh.get(day, (0, 0))[0],
                    confident=fresh.get(day, (0, 0))[1],
                )
                for day in missing
            ],
            ignore_conflicts=True,
        )
        cached.update({day: fresh.get(day, (0, 0)) for day in missing})
    out.update({day: counts for day, counts in cached.items() if counts[0]})
    for lo, hi in ((since, _midnight(first_whole)), (_midnight(last_whole + dt.timedelta(days=1)), until)):
        if lo < hi:
            edge = LogWindow(deployment_id=window.deployment_id, since=lo, until=hi)
            for day, (n, confident) in _count_days(edge, confidence_threshold).items():
                before = out.get(day, (0, 0))
                out[day] = (before[0] + n, before[1] + confident)
    return out


def settled_until(now: dt.datetime | None = None) -> dt.datetime:
    """The end of the last day :func:`log_daily_counts` keeps (later days are still filling)."""
    return _midnight(((now or timezone.now()) - DAY_SETTLED).date())


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def count_days(window: LogWindow, confidence_threshold: float) -> dict[dt.date, tuple[int, int]]:
    """Per UTC day of the window, counted from the rows now (no kept days)."""
    return _count_days(window, confidence_threshold)


def _count_days(window: LogWindow, confidence_threshold: float) -> dict[dt.date, tuple[int, int]]:
    out: dict[dt.date, tuple[int, int]] = {}
    where, params = _where(window, "%s")
    with connection.cursor() as cur:
        cur.execute(
            "SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*), "  # noqa: S608 - names from a fixed list
            f"count(*) FILTER (WHERE confidence >= %s) FROM serving_predictionlog WHERE {where} GROUP BY 1",
            [confidence_threshold, *params],
        )
        for day, n, confident in cur.fetchall():
            out[day] = (n, confident)
    files = cold_files(window)
    if files:
        where, params = _where(window, "?")
        con = _duck(files)
        try:
            for day, n, confident in con.execute(
                "SELECT CAST(created_at AS DATE), count(*), count(*) FILTER (WHERE confidence >= ?) "  # noqa: S608 - names from a fixed list
                f"FROM plog WHERE {where} GROUP BY 1",
                [confidence_threshold, *params],
            ).fetchall():
                before = out.get(day, (0, 0))
                out[day] = (before[0] + n, before[1] + confident)
        finally:
            con.close()
    return out


def log_row_by_request_id(deployment_id: int, request_id: str, *, columns: tuple[str, ...]) -> dict[str, Any] | None:
    """One logged prediction by its request id: the hot log first (an index probe), then cold."""
    window = LogWindow(deployment_id=deployment_id)
    select = ", ".join(dict.fromkeys(("id", *columns)))
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT {select} FROM serving_predictionlog WHERE deployment_id = %s AND request_id = %s LIMIT 1",  # noqa: S608 - names from a fixed list
            [deployment_id, request_id],
        )
        found = cur.fetchone()
        if found is not None:
            return _decode(dict(zip([d[0] for d in cur.description], found, strict=True)))
    files = cold_files(window)
    if not files:
        return None
    con = _duck(files)
    try:
        query = f"SELECT {select} FROM plog WHERE deployment_id = ? AND request_id = ? LIMIT 1"  # noqa: S608 - fixed names
        cur = con.execute(
            query,
            [deployment_id, request_id],
        )
        found = cur.fetchone()
        return _decode(dict(zip([d[0] for d in cur.description], found, strict=True))) if found else None
    finally:
        con.close()


def log_rows_by_request_ids(
    deployment_id: int, request_ids: list[str], *, columns: tuple[str, ...]
) -> dict[str, dict[str, Any]]:
    """Logged predictions by request id (hot first, the rest from the cold archives), keyed by id."""
    unknown = set(columns) - set(COLUMNS)
    if unknown:
        raise ValueError(f"unknown log columns: {sorted(unknown)}")
    select = ", ".join(dict.fromkeys(("id", "request_id", *columns)))
    found: dict[str, dict[str, Any]] = {}
    wanted = sorted(set(request_ids))
    with connection.cursor() as cur:
        for start in range(0, len(wanted), 5000):
            cur.execute(
                f"SELECT {select} FROM serving_predictionlog WHERE deployment_id = %s AND request_id = ANY(%s)",  # noqa: S608 - fixed names
                [deployment_id, wanted[start : start + 5000]],
            )
            names = [d[0] for d in cur.description]
            for r in cur.fetchall():
                row = dict(zip(names, r, strict=True))
                found.setdefault(row["request_id"], row)
    missing = [rid for rid in wanted if rid not in found]
    files = cold_files(LogWindow(deployment_id=deployment_id)) if missing else []
    if files:
        con = _duck(files)
        try:
            query = f"SELECT {select} FROM plog WHERE deployment_id = ? AND list_contains(?, request_id)"  # noqa: S608 - fixed names
            cur = con.execute(query, [deployment_id, missing])
            names = [d[0] for d in cur.description]
            for r in cur.fetchall():
                row = dict(zip(names, r, strict=True))
                found.setdefault(row["request_id"], row)
        finally:
            con.close()
    return {rid: _decode(row) for rid, row in found.items()}
