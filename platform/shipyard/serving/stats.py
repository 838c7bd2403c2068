"""Per-process counters for served requests, flushed to Redis once a second off the request path.

Every request is counted per (deployment, version, minute): count, errors, timeouts, input
violations, a latency histogram and confidence sums. Sampled prediction-log records are buffered
too. A daemon thread pushes both to Redis every second; ``serving.drain`` folds them into
Postgres (``PredictionRollup`` and the partitioned ``PredictionLog``). If Redis is down, at most
the buffered second is lost: the log is a sample and the record lives in Postgres.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from shipyard.serving import protocol

logger = logging.getLogger(__name__)


class StatsBuffer:
    """The web process's :class:`protocol.StatsAccumulator`, shared by request threads and flushed
    by a daemon thread."""

    def __init__(self, redis_factory: Any, interval_s: float = 1.0) -> None:
        self._redis_factory = redis_factory
        self.interval_s = interval_s
        self._lock = threading.Lock()
        self._acc = protocol.StatsAccumulator()
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
        with self._lock:
            self._acc.record(
                deployment_id=deployment_id,
                version_id=version_id,
                latency_ms=latency_ms,
                status=status,
                violations=violations,
                confidences=confidences,
                logs=logs,
            )
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
            counts, logs = self._acc.take()
        if not counts and not logs:
            return
        pipe = self._redis_factory().pipeline(transaction=False)
        protocol.stats_flush(pipe, counts, logs)
        pipe.execute()
