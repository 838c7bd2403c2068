"""Canary analysis: compare the canary with live every interval; roll back or promote."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from shipyard.serving.lifecycle import deployment_promote, deployment_rollback
from shipyard.serving.models import (
    Deployment,
)
from shipyard.serving.signals import deployment_notice

logger = logging.getLogger(__name__)


def canary_analyze(*, deployment_id: int, now: dt.datetime | None = None) -> dict[str, Any]:
    """Compare canary and live over the last interval; N breaching intervals roll the canary back,
    a whole passing window optionally promotes it. Safe to run twice (an interval is analysed once)."""
    from shipyard.serving.selectors import version_window_stats

    now = now or timezone.now()
    with transaction.atomic():
        d = Deployment.objects.select_for_update().select_related("project").filter(pk=deployment_id).first()
        if d is None or d.canary_version_id is None or d.canary_weight == 0:
            return {"status": "no_canary"}
        interval = dt.timedelta(seconds=d.canary_interval_s)
        if d.canary_analyzed_at and now - d.canary_analyzed_at < interval:
            return {"status": "not_due"}
        since = max(now - interval, d.canary_started_at or now - interval)
        canary = version_window_stats(deployment=d, version_id=d.canary_version_id, since=since)
        live = version_window_stats(deployment=d, version_id=d.live_version_id, since=since)
        d.canary_analyzed_at = now
        breaches: list[str] = []
        if canary["count"] < d.canary_min_requests:
            d.save(update_fields=["canary_analyzed_at"])
            return {"status": "insufficient_traffic", "canary": canary, "live": live}
        live_err = live["error_rate"] or 0.0
        if (canary["error_rate"] or 0.0) - live_err > d.canary_max_error_rate_delta:
            breaches.append(f"error rate {canary['error_rate']:.3f} vs live {live_err:.3f}")
        if (
            canary["p99_ms"] is not None
            and live["p99_ms"] is not None
            and canary["p99_ms"] > live["p99_ms"] * d.canary_max_p99_ratio
        ):
            breaches.append(f"p99 {canary['p99_ms']:.1f} ms vs live {live['p99_ms']:.1f} ms")
        quality = _feedback_quality(d, since)
        if quality is not None:
            cq, lq = quality.get(d.canary_version_id), quality.get(d.live_version_id)
            if cq is not None and lq is not None and lq - cq > d.canary_max_quality_drop:
                breaches.append(f"quality {cq:.3f} vs live {lq:.3f}")
        if breaches:
            d.canary_breaches += 1
            d.canary_passes = 0
        else:
            d.canary_passes += 1
            d.canary_breaches = 0
        d.save(update_fields=["canary_analyzed_at", "canary_breaches", "canary_passes"])
        breach_count, pass_count = d.canary_breaches, d.canary_passes
    result = {"status": "breach" if breaches else "pass", "breaches": breaches, "canary": canary, "live": live}
    if breaches and breach_count >= d.canary_breach_intervals:
        deployment_rollback(
            deployment=d,
            by=None,
            automatic=True,
            reason=f"Canary analysis: {breach_count} consecutive breaching intervals ({'; '.join(breaches)})",
            detail={"canary": canary, "live": live},
        )
        logger.warning("deployment %s: canary rolled back automatically: %s", d.pk, "; ".join(breaches))
        _notify(d, f"Canary of {d.name} rolled back automatically: {'; '.join(breaches)}")
        result["action"] = "rolled_back"
    elif not breaches and d.canary_auto_promote and pass_count >= d.canary_window_intervals:
        deployment_promote(deployment=d, by=None, reason=f"Canary analysis: passed {pass_count} consecutive intervals")
        result["action"] = "promoted"
    return result


#: How the canary's online quality is measured: (deployment, since) -> accuracy per version id.
#: The monitoring app owns user feedback and registers its source when it starts
#: (``MonitoringConfig.ready``); with none registered the analysis compares errors and latency only.
QualitySource = Callable[..., dict[int, float]]
_quality_sources: list[QualitySource] = []


def quality_source_register(source: QualitySource) -> None:
    if source not in _quality_sources:
        _quality_sources.append(source)


def _feedback_quality(deployment: Deployment, since: dt.datetime) -> dict[int, float] | None:
    """Accuracy per version from user feedback, from the registered quality source."""
    out: dict[int, float] = {}
    for source in _quality_sources:
        out.update(source(deployment=deployment, since=since))
    return out if _quality_sources else None


def _notify(deployment: Deployment, message: str) -> None:
    """Tell whoever listens (the monitoring app turns it into a delivered alert); the audit event
    already records it."""
    deployment_notice.send(sender=Deployment, deployment=deployment, message=message)
