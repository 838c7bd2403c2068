"""Celery adapters for the registry (queue ``cpu``): safe to run twice."""

from __future__ import annotations

from typing import Any

from celery import shared_task


@shared_task(name="registry.orphan_blobs_delete", acks_late=True, reject_on_worker_lost=True)
def orphan_blobs_delete() -> dict[str, int]:
    """Remove unreferenced blobs and abandoned upload temp files past the grace period (beat: daily)."""
    from shipyard.registry import blobs

    return blobs.orphan_blobs_delete()


@shared_task(name="registry.pii_scan", acks_late=True, reject_on_worker_lost=True)
def pii_scan(version_id: int) -> dict[str, Any] | None:
    """Scan one dataset version for PII and record data-5 evidence (counts and column names only)."""
    from shipyard.registry import privacy

    return privacy.pii_scan_run(version_id=version_id)
