"""Continuous ingest of the prediction log: one run per deployment at a time (a Redis lease), as
long as there are rows (no fixed per-run cap), then the lag is recorded, exported to /metrics and
alerted on when the ingest cannot keep up."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from django.utils import timezone

from shipyard.core import redis as core_redis
from shipyard.monitoring.alerts import alert_fire, alert_resolve
from shipyard.monitoring.ingest import ingest, ingest_lag
from shipyard.monitoring.models import MonitorConfig
from shipyard.monitoring.reference import (
    INGEST_BUDGET_S,
    INGEST_CHUNK,
    INGEST_LAG_ALERT_S,
    config_for,
    monitoring_link,
    reference_ensure,
)

logger = logging.getLogger(__name__)

LEASE_KEY = "shipyard:monitoring:ingest:{}"
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


def lag_record(config: MonitorConfig, *, now: Any = None) -> dict[str, Any]:
    """Measure and store how far the ingest is behind; fire (or resolve) the lag alert."""
    now = now or timezone.now()
    lag = ingest_lag(config, now)
    MonitorConfig.objects.filter(pk=config.pk).update(
        ingest_lag_rows=lag["rows"], ingest_lag_s=lag["seconds"], ingest_checked_at=now
    )
    config.ingest_lag_rows, config.ingest_lag_s, config.ingest_checked_at = lag["rows"], lag["seconds"], now
    deployment = config.deployment
    key = f"monitor-lag:{deployment.pk}"
    if lag["seconds"] > INGEST_LAG_ALERT_S:
        alert_fire(
            project=deployment.project,
            deployment=deployment,
            key=key,
            title=f"Monitoring of {deployment.name} is {lag['seconds']:.0f} s behind the prediction log",
            message=(
                f"{lag['rows']} logged predictions are not ingested yet; drift, invariants and the "
                "flywheel describe the past until the ingest catches up. Add monitoring workers."
            ),
            link=monitoring_link(deployment),
            detail={"kind": "ingest_lag", "rows": lag["rows"], "seconds": lag["seconds"]},
            now=now,
        )
    else:
        alert_resolve(project=deployment.project, key=key, now=now)
    return lag


def ingest_deployment(
    *, deployment_id: int, budget_s: float = INGEST_BUDGET_S, chunk_size: int = INGEST_CHUNK
) -> dict[str, Any]:
    """Ingest one deployment's new log rows (unless another run holds its lease), then record the lag."""
    from shipyard.serving.models import Deployment

    deployment = Deployment.objects.select_related("project", "live_version").filter(pk=deployment_id).first()
    if deployment is None:
        return {"status": "gone"}
    client = core_redis.client()
    key, token = LEASE_KEY.format(deployment_id), secrets.token_hex(8)
    if not client.set(key, token, nx=True, ex=int(budget_s) + 30):
        return {"status": "busy"}
    try:
        config = config_for(deployment)
        config.deployment = deployment
        reference_ensure(config)
        rows = ingest(config, budget_s=budget_s, chunk_size=chunk_size) if config.reference else 0
        lag = lag_record(config)
    finally:
        client.eval(_RELEASE, 1, key, token)
    return {"status": "ok", "ingested": rows, "lag_rows": lag["rows"], "lag_s": lag["seconds"]}


def lag_gauges() -> list[tuple[str, str, int, float, int]]:
    """(project slug, deployment name, rows behind, seconds behind, invalid rows) per monitored deployment."""
    return [
        (c.deployment.project.slug, c.deployment.name, c.ingest_lag_rows, c.ingest_lag_s, c.ingest_invalid)
        for c in MonitorConfig.objects.select_related("deployment__project").only(
            "ingest_lag_rows", "ingest_lag_s", "ingest_invalid", "deployment__name", "deployment__project__slug"
        )
    ]
