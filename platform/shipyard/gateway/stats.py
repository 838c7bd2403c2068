"""The gateway's request counters and sampled prediction log, flushed to Redis once a second
off the request path (the same stats hashes and log list the web process feeds; ``serving.drain``
folds both into Postgres)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import redis

from shipyard.serving import protocol

logger = logging.getLogger("shipyard.gateway")


class Stats(protocol.StatsAccumulator):
    """The gateway's counters (one event loop: no lock), flushed from that loop."""

    def __init__(self, redis_client: Any, interval_s: float = 1.0) -> None:
        super().__init__()
        self.redis = redis_client
        self.interval_s = interval_s

    async def flush(self) -> None:
        counts, logs = self.take()
        if not counts and not logs:
            return
        pipe = self.redis.pipeline(transaction=False)
        protocol.stats_flush(pipe, counts, logs)
        await pipe.execute()

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            try:
                await self.flush()
            except (redis.RedisError, OSError) as exc:  # at most the buffered second is lost
                logger.warning("serving stats flush failed: %s", exc)
