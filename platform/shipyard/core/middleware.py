from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from shipyard.core.errors import json_error
from shipyard.core.metrics import HTTP_LATENCY, HTTP_REQUESTS


class RequestMetricsMiddleware:
    """Counts requests and observes latency per resolved route (not per raw path)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = (
            match.route
            if match is not None and match.route
            else ("static" if request.path.startswith("/static/") else "other")
        )
        HTTP_LATENCY.labels(request.method, route).observe(time.perf_counter() - started)
        HTTP_REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        return response


class ServiceUnavailableMiddleware:
    """Postgres or Redis down: a 503 with Retry-After naming the service, never a 500 page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, (OperationalError, InterfaceError)):
            return json_error(503, "unavailable", "The database is unavailable; try again shortly.", Retry_After="5")
        if isinstance(exception, (RedisConnectionError, RedisTimeoutError)):
            return json_error(503, "unavailable", "Redis is unavailable; try again shortly.", Retry_After="5")
        return None


class RejectNulBytesMiddleware:
    """PostgreSQL text cannot hold NUL (0x00): a query parameter carrying one is a 400 naming it,
    not a database error deep inside a view."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        for name, values in request.GET.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                field = name.replace("\x00", "")
                message = "NUL characters are not allowed."
                return json_error(400, "invalid", f"{field}: {message}", {field: [message]})
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    """Sets ``settings.CONTENT_SECURITY_POLICY`` on every HTML response (the app, the admin, the API
    docs, error pages) that does not already carry a policy of its own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = "; ".join(
            f"{directive} {' '.join(sources)}".strip()
            for directive, sources in settings.CONTENT_SECURITY_POLICY.items()
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        content_type = response.get("Content-Type", "")
        if content_type.split(";", 1)[0].strip().lower() == "text/html" and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = self.policy
        return response
