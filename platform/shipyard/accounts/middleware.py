"""Throttles POSTs to the Django admin login with the API's login budgets."""

from __future__ import annotations

import math
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse

from shipyard.accounts.throttles import login_throttle_wait
from shipyard.core.errors import json_error


class AdminLoginThrottleMiddleware:
    """A POST to ``/admin/login/`` counts against the same per-address and per-username login
    limits as ``/api/v1/auth/token/`` and ``/api/v1/auth/login/``; over them it is a 429 with
    ``Retry-After`` and never reaches the password check."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._login_path: str | None = None

    def _admin_login_path(self) -> str | None:
        if self._login_path is None:
            try:
                self._login_path = reverse("admin:login")
            except NoReverseMatch:
                return None
        return self._login_path

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and request.path == self._admin_login_path():
            wait = login_throttle_wait(request)
            if wait is not None:
                seconds = max(1, math.ceil(wait))
                return json_error(
                    429,
                    "throttled",
                    f"Too many login attempts. Try again in {seconds} seconds.",
                    Retry_After=str(seconds),
                )
        return self.get_response(request)
