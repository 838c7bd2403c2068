from __future__ import annotations

import logging
from typing import Any

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.csrf import csrf_failure as django_csrf_failure
from django.views.decorators.csrf import csrf_exempt, ensure_csrf_cookie
from django.views.decorators.http import require_GET
from prometheus_client import generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from shipyard.core import heartbeat, supervisor
from shipyard.core.errors import json_error
from shipyard.core.metrics import QUEUE_LENGTH, REGISTRY, WORKERS_UP, scrape_hooks
from shipyard.core.redis import client as redis_client

logger = logging.getLogger(__name__)
QUEUES = tuple(settings.WORKER_KINDS)


def _check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        return f"database: {exc.__class__.__name__}"
    return None


def _workers_by_queue() -> dict[str, int]:
    counts = dict.fromkeys(QUEUES, 0)
    for worker in heartbeat.live_workers(redis_client()):
        for queue in worker.get("queues", []):
            counts[queue] = counts.get(queue, 0) + 1
    return counts


def _supervised_processes() -> dict[str, dict[str, Any]] | None:
    """The process table ``manage.py shipyard_run`` publishes (None when it is not running)."""
    return supervisor.read_status(redis_client().get(supervisor.STATUS_KEY))  # type: ignore[arg-type]


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 only when the database, Redis and at least one worker are reachable and no supervised
    process is restarting or failed; else 503 naming what is down."""
    checks: dict[str, Any] = {}
    down: list[str] = []
    db_error = _check_database()
    checks["database"] = "ok" if db_error is None else "down"
    if db_error:
        down.append("database")
    try:
        redis_client().ping()
        checks["redis"] = "ok"
        workers = _workers_by_queue()
        checks["workers"] = workers
        if not any(workers.values()):
            down.append("workers")
        processes = _supervised_processes()
    except Exception:
        checks["redis"] = "down"
        checks["workers"] = "unknown"
        down.extend(["redis", "workers"])
        processes = None
    if processes is not None and any(p["state"] in supervisor.UNHEALTHY_STATES for p in processes.values()):
        down.append("processes")
    status = 200 if not down else 503
    body: dict[str, Any] = {"status": "ok" if not down else "degraded", "checks": checks}
    if processes is not None:
        body["processes"] = processes
    if down:
        body["down"] = down
    response = JsonResponse(body, status=status)
    if down:
        response["Retry-After"] = "10"
    return response


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    try:
        r = redis_client()
        for queue in settings.CELERY_QUEUES:
            QUEUE_LENGTH.labels(queue).set(int(r.llen(queue)))  # type: ignore[arg-type]
        for queue, count in _workers_by_queue().items():
            WORKERS_UP.labels(queue).set(count)
    except redis.RedisError:
        logger.warning("metrics: redis unavailable")
    for hook in scrape_hooks():
        try:
            hook()
        except DatabaseError:
            logger.warning("metrics: the database is unavailable for %s", getattr(hook, "__qualname__", hook))
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)


@ensure_csrf_cookie
def spa(request: HttpRequest) -> HttpResponse:
    """Every non-API path serves the built React app; the router takes it from there."""
    index = settings.FRONTEND_DIST / "index.html"
    if not index.is_file():
        return HttpResponse(
            "<h1>Shipyard</h1><p>The frontend is not built. Run <code>make up</code> "
            "(or <code>npm --prefix frontend run build</code>).</p>",
            status=503,
        )
    response = HttpResponse(index.read_bytes(), content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


# No state changes here, so no CSRF check: an unknown path is a JSON 404 whatever the method,
# not the CSRF middleware's HTML 403 page.
@csrf_exempt
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    return json_error(404, "not_found", f"No API endpoint at {request.path}.")


JSON_PREFIXES = ("/api/", "/serve/")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: the JSON error envelope for API and serving paths, Django's page elsewhere."""
    if request.path.startswith(JSON_PREFIXES):
        detail = f" ({reason.rstrip('.')})" if reason else ""
        return json_error(
            403,
            "csrf_failed",
            f"CSRF check failed{detail}: a session-authenticated request must send the X-CSRFToken header.",
        )
    return django_csrf_failure(request, reason=reason)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return json_error(404, "not_found", "Not found.")


def server_error(request: HttpRequest) -> HttpResponse:
    return json_error(500, "server_error", "Internal server error.")
