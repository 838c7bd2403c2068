"""Who may call which deployment, from what the control plane published in Redis.

Bounded caches with a time to live: a deployment's route for ``SERVING_CONFIG_TTL_S`` (0.5 s)
and a valid token's user and teams for ``GATEWAY_TOKEN_TTL_S`` (1 s), so a rollback, a revoked
API key or a revoked token reaches every gateway within a second. Negative results (an unknown
deployment, an unknown token) are never cached, so random names cannot grow the caches.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from typing import Any

import orjson
from cachetools import TTLCache

from shipyard.core import authkeys
from shipyard.serving import protocol
from shipyard.serving.routing import DeploymentRoute

logger = logging.getLogger("shipyard.gateway")

ROUTE_CACHE_SIZE = 1024
TOKEN_CACHE_SIZE = 4096


@dataclass(frozen=True)
class Identity:
    user_id: int
    teams: frozenset[int]
    #: unix time the token stops being valid; None: never on its own
    expires: float | None


class Directory:
    def __init__(self, redis: Any, *, config_ttl_s: float, token_ttl_s: float) -> None:
        self.redis = redis
        self._routes: TTLCache[tuple[str, str], DeploymentRoute] | None = (
            TTLCache(maxsize=ROUTE_CACHE_SIZE, ttl=config_ttl_s) if config_ttl_s > 0 else None
        )
        self._tokens: TTLCache[str, Identity] | None = (
            TTLCache(maxsize=TOKEN_CACHE_SIZE, ttl=token_ttl_s) if token_ttl_s > 0 else None
        )

    async def route(self, project: str, deployment: str) -> DeploymentRoute | None:
        """The deployment's published route, or None (a RedisError when Redis is down)."""
        key = (project, deployment)
        if self._routes is not None:
            hit = self._routes.get(key)
            if hit is not None:
                return hit
        raw = await self.redis.get(protocol.route_key(project, deployment))
        if raw is None:
            return None
        try:
            route = DeploymentRoute.loads(raw)
        except protocol.ProtocolError as exc:  # never published so: treat as absent, and say so
            logger.warning("ignoring the malformed route of %s/%s: %s", project, deployment, exc)
            return None
        if self._routes is not None:
            self._routes[key] = route
        return route

    async def identity(self, token: str) -> Identity | None:
        """The user and teams of a valid token, or None (unknown, revoked or expired)."""
        digest = authkeys.token_digest(token)
        hit = self._tokens.get(digest) if self._tokens is not None else None
        if hit is None:
            raw = await self.redis.get(authkeys.token_key(token))
            if raw is None:
                return None
            try:
                record = orjson.loads(raw)
                user_id = int(record["user"])
                teams_raw = await self.redis.get(authkeys.teams_key(user_id))
                teams = frozenset(int(t) for t in orjson.loads(teams_raw)) if teams_raw else frozenset()
                exp = record.get("exp")
                hit = Identity(user_id=user_id, teams=teams, expires=float(exp) if exp is not None else None)
            except (ValueError, KeyError, TypeError) as exc:  # never mirrored so: not a valid token
                logger.warning("ignoring a malformed token record (%s)", exc.__class__.__name__)
                return None
            if self._tokens is not None:
                self._tokens[digest] = hit
        if hit.expires is not None and hit.expires <= time.time():
            return None
        return hit


def key_matches(route: DeploymentRoute, api_key: str) -> bool:
    return hashlib.sha256(api_key.encode()).hexdigest() in route.key_hashes
