"""Prometheus metrics of the web process (per process; scrape every replica)."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

HTTP_REQUESTS = Counter(
    "shipyard_http_requests_total",
    "HTTP requests handled",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_LATENCY = Histogram(
    "shipyard_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
QUEUE_LENGTH = Gauge("shipyard_queue_length", "Messages waiting in a Celery queue", ["queue"], registry=REGISTRY)
WORKERS_UP = Gauge("shipyard_workers_up", "Workers with a fresh heartbeat, per queue", ["queue"], registry=REGISTRY)
JOBS = Gauge("shipyard_jobs", "Jobs by status", ["status"], registry=REGISTRY)
#: what the serving workers have yet to take: the shared request list and every deployment's own
#: (``deployment`` is the id, or "shared"); a queue-depth autoscaler sums it (deploy/k8s/keda.yaml)
SERVING_QUEUE_LENGTH = Gauge(
    "shipyard_serving_queue_length",
    "Predict requests waiting for a serving worker, per request list",
    ["deployment"],
    registry=REGISTRY,
)

#: Functions that refresh gauges from data an app above core owns, run on every scrape. Apps
#: register theirs in ``AppConfig.ready`` (core sits below them and never imports them).
_scrape_hooks: list[Callable[[], None]] = []


def scrape_hook_register(hook: Callable[[], None]) -> None:
    if hook not in _scrape_hooks:
        _scrape_hooks.append(hook)


def scrape_hooks() -> list[Callable[[], None]]:
    return list(_scrape_hooks)
