"""The gateway's settings, from the environment (through the one reader, ``shipyard.config.env``)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

from shipyard.config import env


@dataclass(frozen=True)
class GatewayConfig:
    redis_url: str
    #: how long a deployment's routing config is reused before Redis is read again
    config_ttl_s: float
    #: how long a valid token's user and teams are reused
    token_ttl_s: float
    max_body_bytes: int
    max_rows: int
    host: str
    port: int
    #: the gRPC (Open Inference Protocol) port; None: no gRPC server
    grpc_port: int | None


def load(environ: Mapping[str, str] | None = None) -> GatewayConfig:
    redis_url = env.parse_redis_url(env.env_str("REDIS_URL", "redis://127.0.0.1:6379/0", environ))
    grpc_port = env.env_int("GATEWAY_GRPC_PORT", 0, environ, minimum=0, maximum=65535)
    return GatewayConfig(
        redis_url=redis_url,
        config_ttl_s=env.env_float("SERVING_CONFIG_TTL_S", 0.5, environ),
        token_ttl_s=env.env_float("GATEWAY_TOKEN_TTL_S", 1.0, environ),
        max_body_bytes=env.env_int("SERVING_MAX_BODY_BYTES", 8 * 1024**2, environ, minimum=1024),
        max_rows=env.env_int("SERVING_MAX_ROWS", 1024, environ, minimum=1),
        host=env.env_str("GATEWAY_HOST", "127.0.0.1", environ),
        port=env.env_int("GATEWAY_PORT", 8001, environ, minimum=1, maximum=65535),
        grpc_port=grpc_port or None,
    )


@functools.cache
def config() -> GatewayConfig:
    return load()
