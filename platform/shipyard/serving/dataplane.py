"""The data plane's shared state in one web process: the Redis pool, the bounded routing cache and
the request counters. The predict and feedback views, the deployment lifecycle (which clears the
routing cache and publishes the warm set) and the serving tasks all take them from here."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

import redis
from cachetools import TTLCache
from django.conf import settings
from redis.backoff import NoBackoff
from redis.retry import Retry

from shipyard.serving.routing import DeploymentRoute
from shipyard.serving.stats import StatsBuffer

#: most routing configs one web process keeps (deployments actually called recently)
ROUTE_CACHE_SIZE = 1024


@functools.cache
def serving_redis() -> redis.Redis:
    """The data plane's pool: fail fast when Redis is down (one immediate retry for a stale
    connection after a Redis restart), no socket timeout shorter than the longest request timeout."""
    return redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=0.5,
        socket_timeout=130,
        retry=Retry(NoBackoff(), 1),
        retry_on_error=[redis.ConnectionError],
        max_connections=2048,
    )


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedCache(Generic[K, V]):
    """A thread-safe LRU cache whose entries expire: at most ``maxsize`` entries, each kept up to
    ``ttl()`` seconds (read per fill, so a changed setting applies at once). ``load`` runs outside
    the lock; a None result is returned but not stored."""

    def __init__(self, *, maxsize: int, ttl: Callable[[], float]) -> None:
        self.maxsize = maxsize
        self._ttl = ttl
        self._lock = threading.Lock()
        self._data: TTLCache[K, V] = TTLCache(maxsize=maxsize, ttl=ttl())

    def get(self, key: K, load: Callable[[], V | None]) -> V | None:
        with self._lock:
            hit = self._data.get(key)
        if hit is not None:
            return hit
        value = load()
        if value is not None:
            with self._lock:
                ttl = self._ttl()
                if ttl != self._data.ttl:
                    self._data = TTLCache(maxsize=self.maxsize, ttl=ttl)
                if ttl > 0:
                    self._data[key] = value
        return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        with self._lock:
            self._data.expire()
            return len(self._data)


ROUTES: BoundedCache[tuple[str, str], DeploymentRoute] = BoundedCache(
    maxsize=ROUTE_CACHE_SIZE, ttl=lambda: float(settings.SERVING_CONFIG_TTL_S)
)

#: per-minute request counters and the sampled prediction log, flushed to Redis once a second
STATS = StatsBuffer(serving_redis)
