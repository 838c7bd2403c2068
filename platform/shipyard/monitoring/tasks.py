"""Celery adapters for monitoring (queue ``monitoring``): take ids, safe to run twice."""

from __future__ import annotations

from typing import Any

from celery import shared_task


@shared_task(name="monitoring.run_all", acks_late=True, reject_on_worker_lost=True)
def run_all() -> int:
    """Fan out one run per deployment (beat: every minute)."""
    from shipyard.serving.models import Deployment

    ids = list(Deployment.objects.values_list("id", flat=True))
    for deployment_id in ids:
        run_deployment.delay(deployment_id)
    return len(ids)


@shared_task(name="monitoring.ingest_all", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def ingest_all() -> int:
    """Fan out one ingest per deployment (beat: every few seconds; a run still going keeps its lease)."""
    from shipyard.serving.models import Deployment

    ids = list(Deployment.objects.values_list("id", flat=True))
    for deployment_id in ids:
        ingest_deployment.apply_async((deployment_id,), expires=30)
    return len(ids)


@shared_task(name="monitoring.ingest_deployment", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def ingest_deployment(deployment_id: int, chunk_size: int = 0) -> dict[str, Any]:
    from shipyard.monitoring.ingestion import ingest_deployment as run
    from shipyard.monitoring.reference import INGEST_CHUNK

    return run(deployment_id=deployment_id, chunk_size=max(100, min(chunk_size or INGEST_CHUNK, 50_000)))


@shared_task(name="monitoring.run_deployment", acks_late=True, reject_on_worker_lost=True)
def run_deployment(deployment_id: int, force_drift: bool = False) -> dict[str, Any]:
    from shipyard.monitoring.monitors import monitors_run

    return monitors_run(deployment_id=deployment_id, force_drift=force_drift)


@shared_task(name="monitoring.skew_all", acks_late=True, reject_on_worker_lost=True)
def skew_all() -> int:
    from shipyard.serving.models import Deployment

    ids = list(Deployment.objects.values_list("id", flat=True))
    for deployment_id in ids:
        skew_deployment.delay(deployment_id)
    return len(ids)


@shared_task(name="monitoring.skew_deployment", acks_late=True, reject_on_worker_lost=True)
def skew_deployment(deployment_id: int) -> str:
    from shipyard.monitoring.monitors import skew_run

    return skew_run(deployment_id=deployment_id)


@shared_task(name="monitoring.deliver_alert", acks_late=True, reject_on_worker_lost=True)
def deliver_alert(alert_id: int) -> int:
    from shipyard.monitoring.alerts import alert_deliver

    return len(alert_deliver(alert_id=alert_id))


@shared_task(name="monitoring.prune", acks_late=True, reject_on_worker_lost=True)
def prune() -> dict[str, int]:
    from shipyard.monitoring.monitors import retention_prune

    return retention_prune()
