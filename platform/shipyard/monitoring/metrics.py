"""Prometheus gauges of the monitoring app, refreshed on every /metrics scrape (core's hook)."""

from __future__ import annotations

from prometheus_client import Gauge

from shipyard.core.metrics import REGISTRY

INGEST_LAG_ROWS = Gauge(
    "shipyard_monitoring_ingest_lag_rows",
    "Logged predictions the monitoring ingest has not folded yet",
    ["project", "deployment"],
    registry=REGISTRY,
)
INGEST_LAG_SECONDS = Gauge(
    "shipyard_monitoring_ingest_lag_seconds",
    "Age of the oldest logged prediction the monitoring ingest has not folded yet",
    ["project", "deployment"],
    registry=REGISTRY,
)
INGEST_INVALID = Gauge(
    "shipyard_monitoring_ingest_invalid_rows",
    "Logged predictions skipped because they could not be decoded",
    ["project", "deployment"],
    registry=REGISTRY,
)


def refresh() -> None:
    from shipyard.monitoring.ingestion import lag_gauges

    for gauge in (INGEST_LAG_ROWS, INGEST_LAG_SECONDS, INGEST_INVALID):
        gauge.clear()
    for project, deployment, rows, seconds, invalid in lag_gauges():
        INGEST_LAG_ROWS.labels(project, deployment).set(rows)
        INGEST_LAG_SECONDS.labels(project, deployment).set(seconds)
        INGEST_INVALID.labels(project, deployment).set(invalid)
