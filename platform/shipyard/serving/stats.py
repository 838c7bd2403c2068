"""Per-process counters for served requests, flushed to Redis once a second off the request path.

Every request is counted per (deployment, version, minute): count, errors, timeouts, input
violations, a latency histogram and confidence sums. Sampled prediction-log records are buffered
too. A daemon thread pushes both to Redis every second; ``serving.drain`` folds them into
Postgres (``PredictionRollup`` and the partitioned ``PredictionLog``). If Redis is down, at most
the buffered second is lost: the log is a sample and the record lives in Postgres.
"""

from __future__ import annotations

import bisect
import logging
import threading
import time
from typing import Any

from shipyard.serving import protocol
from shipyard.serving.models import LATENCY_EDGES_MS

logger = logging.getLogger(__name__)

MAX_BUFFERED_LOGS = 20_000


class StatsBuffer:
    def __init__(self, redis_factory: Any, interval_s: float = 1.0) -> None:
        self._redis_factory = redis_factory
        self.interval_s = interval_s
        self._lock = threading.Lock()
        self._counts: dict[tuple[int, int, int], protocol.StatsDelta] = {}
        self._logs: list[str] = []
        self._thread: threading.Thread | None = None

    def record(
        self,
        *,
        deployment_id: int,
        version_id: int,
        latency_ms: float,
        status: str,
        violations: int = 0,
        confidences: list[float] | None = None,
        logs: list[protocol.LogRecord] | None = None,
    ) -> None:
        minute = int(time.time() // 60)
        bucket = bisect.bisect_left(LATENCY_EDGES_MS, latency_ms)
        with self._lock:
            c = self._counts.get((deployment_id, version_id, minute))
            if c is None:
                c = self._counts[(deployment_id, version_id, minute)] = protocol.StatsDelta()
            c.count += 1
            if status != "ok":
                c.errors += 1
            if status == "timeout":
                c.timeouts += 1
            c.violations += violations
            c.lat_sum += latency_ms
            c.hist[bucket] = c.hist.get(bucket, 0) + 1
            if confidences:
                c.conf_sum += sum(confidences)
                c.conf_n += len(confidences)
            if logs and len(self._logs) < MAX_BUFFERED_LOGS:
                self._logs.extend(record.dumps() for record in logs)
        if self._thread is None:
            self._start()

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._loop, name="serving-stats-flush", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while True:
            time.sleep(self.interval_s)
            try:
                self.flush()
            except Exception as exc:  # never let the flusher die
                logger.warning("serving stats flush failed: %s", exc)

    def flush(self) -> None:
        with self._lock:
            counts, self._counts = self._counts, {}
            logs, self._logs = self._logs, []
        if not counts and not logs:
            return
        pipe = self._redis_factory().pipeline(transaction=False)
        for (dep, ver, minute), c in counts.items():
            key = protocol.stats_key(dep, ver, minute)
            for name, value in c.to_hash().items():
                if name in protocol.STATS_SUMS:
                    pipe.hincrbyfloat(key, name, value)
                else:
                    pipe.hincrby(key, name, int(value))
            pipe.expire(key, 7 * 24 * 3600)
            pipe.sadd(protocol.STATS_KEYS, key)
        if logs:
            pipe.rpush(protocol.PLOG, *logs)
        pipe.execute()
