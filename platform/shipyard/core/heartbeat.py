"""Worker heartbeats in Redis: ``/healthz`` and ``/metrics`` read them without a broadcast."""

from __future__ import annotations

import json
import time
from typing import Any

KEY_PREFIX = "shipyard:worker:"
TTL_SECONDS = 30
INTERVAL_SECONDS = 10


def beat(client: Any, hostname: str, queues: list[str], device: str) -> None:
    payload = json.dumps({"hostname": hostname, "queues": queues, "device": device, "at": time.time()})
    client.set(f"{KEY_PREFIX}{hostname}", payload, ex=TTL_SECONDS)


def live_workers(client: Any) -> list[dict[str, Any]]:
    keys = list(client.scan_iter(match=f"{KEY_PREFIX}*", count=500))
    if not keys:
        return []
    return [json.loads(raw) for raw in client.mget(keys) if raw]


def stop(client: Any, hostname: str) -> None:
    client.delete(f"{KEY_PREFIX}{hostname}")
