"""Celery worker start-up: log the device, and keep a heartbeat in Redis while alive."""

from __future__ import annotations

import logging
import threading
from typing import Any

from celery.signals import worker_ready, worker_shutdown

logger = logging.getLogger("shipyard.worker")
_stop = threading.Event()


def detect_device(queues: list[str]) -> str:
    if "gpu" not in queues:
        return "cpu"
    try:
        import torch
    except ImportError:
        return "cpu (torch not installed)"
    if torch.cuda.is_available():
        return f"cuda ({torch.cuda.get_device_name(0)})"
    return "cpu (no CUDA device visible)"


@worker_ready.connect
def _on_ready(sender: Any = None, **_: Any) -> None:
    from shipyard.core import heartbeat
    from shipyard.core.redis import client

    hostname = sender.hostname
    queues = sorted(q.name for q in sender.app.amqp.queues.consume_from.values())
    device = detect_device(queues)
    logger.info("worker %s ready: queues=%s device=%s", hostname, ",".join(queues), device)

    def loop() -> None:
        while not _stop.is_set():
            try:
                heartbeat.beat(client(), hostname, queues, device)
            except Exception:  # Redis down: /healthz reports it; keep trying
                logger.warning("heartbeat failed", exc_info=True)
            _stop.wait(heartbeat.INTERVAL_SECONDS)

    threading.Thread(target=loop, name="shipyard-heartbeat", daemon=True).start()


@worker_shutdown.connect
def _on_shutdown(sender: Any = None, **_: Any) -> None:
    from shipyard.core import heartbeat
    from shipyard.core.redis import client

    _stop.set()
    try:
        heartbeat.stop(client(), sender.hostname)
    except Exception:
        logger.warning("could not clear heartbeat", exc_info=True)
