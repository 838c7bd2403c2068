"""Celery adapters for the registry (queue ``cpu``): safe to run twice."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="registry.orphan_blobs_delete", acks_late=True, reject_on_worker_lost=True)
def orphan_blobs_delete() -> dict[str, int]:
    """Remove unreferenced blobs and abandoned upload temp files past the grace period (beat: daily)."""
    from shipyard.registry import blobs

    return blobs.orphan_blobs_delete()
