"""Shadow traffic, the control plane's half: start and stop a deployment's shadow, collect the
shadow's answers into :class:`ShadowLog` (agreement with live, both latencies) and report on them.
The data plane's half is ``serving.shadow``."""

from __future__ import annotations

import datetime as dt
import logging
import math
from typing import Any

import orjson
import redis
from django.db import connection, transaction
from django.utils import timezone

from shipyard.core.errors import DomainConflict, DomainError
from shipyard.serving import shadow
from shipyard.serving.lifecycle import _after_change, _check_version, _event, _locked
from shipyard.serving.models import Deployment, EventKind, ShadowLog

logger = logging.getLogger(__name__)

#: shadow log rows older than this are deleted by the hourly maintenance
KEEP_DAYS = 14


@transaction.atomic
def shadow_start(*, deployment: Deployment, version: Any, share: float, by: Any, reason: str = "") -> Deployment:
    """Mirror a share ``share`` (0 < share <= 1) of the requests to ``version``."""
    if not 0.0 < share <= 1.0:
        raise DomainError("Must be more than 0 and at most 1.", field="share")
    d = _locked(deployment)
    try:
        _check_version(d.model, version)
    except DomainError as exc:
        raise DomainError(exc.message, field="version") from None
    if version.pk == d.live_version_id:
        raise DomainError(f"Version {version.number} is live; shadow another version.", field="version")
    old = d.shadow_version
    if d.shadow_version_id != version.pk:
        d.shadow_started_at = timezone.now()
    d.shadow_version, d.shadow_share = version, share
    d.save(update_fields=["shadow_version", "shadow_share", "shadow_started_at", "updated_at"])
    _event(d, EventKind.SHADOW, by, from_version=old, to_version=version, reason=reason, detail={"share": share})
    _after_change(d, version)
    return d


@transaction.atomic
def shadow_stop(*, deployment: Deployment, by: Any, reason: str = "") -> Deployment:
    d = _locked(deployment)
    if d.shadow_version_id is None:
        raise DomainConflict("This deployment has no shadow.", field="shadow")
    old = d.shadow_version
    d.shadow_version, d.shadow_share = None, 0.0
    d.save(update_fields=["shadow_version", "shadow_share", "updated_at"])
    _event(d, EventKind.SHADOW_STOP, by, from_version=old, reason=reason)
    _after_change(d)
    return d


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        try:
            return math.isclose(float(a), float(b), rel_tol=1e-6, abs_tol=1e-9)
        except (TypeError, ValueError):
            return False
    return bool(a == b)


def shadow_collect(r: Any, batch: int = 5000) -> int:
    """Move the shadow answers waiting in Redis into the shadow log; returns the rows written."""
    raw = r.rpop(shadow.REPLIES, batch) or []
    rows: list[ShadowLog] = []
    known = set(Deployment.objects.values_list("pk", flat=True)) if raw else set()
    for item in raw:
        try:
            d = orjson.loads(item)
            ctx = d["s"]
            dep, t = int(ctx["d"]), float(ctx["t"])
            ids, live = list(ctx["ids"]), list(ctx["y"])
            shadow_ms = max(0.0, (float(ctx["done"]) - t) * 1000)
            live_ms = float(ctx["ms"])
            live_version, shadow_version = int(ctx["lv"]), int(ctx["sv"])
        except (ValueError, KeyError, TypeError):
            logger.warning("skipping a malformed shadow reply: %r", item[:200])
            continue
        if dep not in known:
            continue
        at = dt.datetime.fromtimestamp(t, tz=dt.UTC)
        outputs = d.get("outputs") if d.get("ok") else None
        for i, request_id in enumerate(ids):
            out = outputs[i] if outputs is not None and i < len(outputs) else None
            rows.append(
                ShadowLog(
                    created_at=at,
                    deployment_id=dep,
                    live_version_id=live_version,
                    shadow_version_id=shadow_version,
                    request_id=str(request_id)[:40],
                    live_output=live[i] if i < len(live) else None,
                    shadow_output=out,
                    agree=_same(out, live[i]) if outputs is not None and i < len(live) else None,
                    live_ms=live_ms,
                    shadow_ms=shadow_ms,
                    status="ok" if d.get("ok") else str(d.get("code") or "error")[:32],
                )
            )
    ShadowLog.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def shadow_prune(*, older_than: dt.timedelta = dt.timedelta(days=KEEP_DAYS)) -> int:
    deleted, _ = ShadowLog.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted


def shadow_report(*, deployment: Deployment, minutes: int = 60) -> dict[str, Any]:
    """Agreement and latency of the shadow against live: overall since the shadow started, and per
    minute over the last ``minutes``; the latest disagreements."""
    version = deployment.shadow_version
    base: dict[str, Any] = {
        "active": version is not None,
        "version": version.number if version is not None else None,
        "share": deployment.shadow_share,
        "started_at": deployment.shadow_started_at,
        "count": 0,
        "failed": 0,
        "agreement": None,
        "live_p50_ms": None,
        "live_p99_ms": None,
        "shadow_p50_ms": None,
        "shadow_p99_ms": None,
        "series": [],
        "disagreements": [],
    }
    if version is None or deployment.shadow_started_at is None:
        return base
    since = deployment.shadow_started_at
    params: list[Any] = [deployment.pk, version.pk, since]
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT count(*), count(*) FILTER (WHERE status <> 'ok'),
                      avg(CASE WHEN agree THEN 1.0 WHEN NOT agree THEN 0.0 END),
                      percentile_cont(0.5) WITHIN GROUP (ORDER BY live_ms),
                      percentile_cont(0.99) WITHIN GROUP (ORDER BY live_ms),
                      percentile_cont(0.5) WITHIN GROUP (ORDER BY shadow_ms),
                      percentile_cont(0.99) WITHIN GROUP (ORDER BY shadow_ms)
               FROM serving_shadowlog WHERE deployment_id = %s AND shadow_version_id = %s AND created_at >= %s""",
            params,
        )
        count, errors, agreement, lp50, lp99, sp50, sp99 = cursor.fetchone()
        cursor.execute(
            """SELECT date_trunc('minute', created_at) AS t, count(*),
                      avg(CASE WHEN agree THEN 1.0 WHEN NOT agree THEN 0.0 END),
                      percentile_cont(0.5) WITHIN GROUP (ORDER BY live_ms),
                      percentile_cont(0.5) WITHIN GROUP (ORDER BY shadow_ms)
               FROM serving_shadowlog WHERE deployment_id = %s AND shadow_version_id = %s AND created_at >= %s
               AND created_at >= %s GROUP BY 1 ORDER BY 1""",
            [*params, timezone.now() - dt.timedelta(minutes=minutes)],
        )
        series = [
            {
                "t": t,
                "count": n,
                "agreement": float(a) if a is not None else None,
                "live_p50_ms": lp,
                "shadow_p50_ms": sp,
            }
            for t, n, a, lp, sp in cursor.fetchall()
        ]
    base.update(
        count=count,
        failed=errors,
        agreement=float(agreement) if agreement is not None else None,
        live_p50_ms=lp50,
        live_p99_ms=lp99,
        shadow_p50_ms=sp50,
        shadow_p99_ms=sp99,
        series=series,
        disagreements=list(
            ShadowLog.objects.filter(
                deployment=deployment, shadow_version=version, created_at__gte=since, agree=False
            ).values("created_at", "request_id", "live_output", "shadow_output")[:20]
        ),
    )
    return base


def shadow_drain(r: Any) -> int:
    """The drain's step: collect the waiting shadow answers (Redis errors are the drain's)."""
    try:
        return shadow_collect(r)
    except redis.RedisError as exc:
        logger.warning("cannot collect shadow answers: %s", exc)
        return 0
