"""The gateway's own Prometheus metrics (``GET /metrics``): requests, latency and in-flight."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

REGISTRY = CollectorRegistry(auto_describe=True)

REQUESTS = Counter(
    "shipyard_gateway_requests", "Requests served by this gateway process", ["kind", "status"], registry=REGISTRY
)
LATENCY = Histogram(
    "shipyard_gateway_request_seconds",
    "Time to answer a predict or inference request",
    ["kind"],
    buckets=(0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
IN_FLIGHT = Gauge("shipyard_gateway_in_flight", "Requests waiting for a serving worker", registry=REGISTRY)


def observe(kind: str, status: int, seconds: float) -> None:
    REQUESTS.labels(kind, str(status)).inc()
    LATENCY.labels(kind).observe(seconds)


def exposition() -> bytes:
    return generate_latest(REGISTRY)
