from __future__ import annotations

import platform as std_platform

from celery import shared_task


@shared_task(name="core.smoke", acks_late=True, reject_on_worker_lost=True)
def smoke(value: str) -> None:
    """End-to-end check of the broker and a worker: records the echo in Redis."""
    from shipyard.core.redis import client

    client().set(f"shipyard:smoke:{value}", f"pong:{value}:{std_platform.system()}", ex=300)
