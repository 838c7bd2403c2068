"""Login throttles: per client address and per username, shared by every login entry point.

The token endpoint, the session login and the Django admin login all count against the same two
budgets: ``login`` per client address (:func:`shipyard.core.clientip.client_ip`, which trusts
``X-Forwarded-For`` only from ``TRUSTED_PROXY_COUNT`` proxies) and ``login_username`` per
normalised username, so neither rotating a forged address nor spreading guesses over many
addresses gets more attempts. Rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``, read
on every request; ``login_username`` falls back to the ``login`` rate when it is not set.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from shipyard.core.clientip import client_ip

MAX_USERNAME_CHARS = 1024


def normalise_username(value: object) -> str | None:
    """The username as throttled: NFKC, trimmed, case-folded; None when it is not a usable string."""
    if not isinstance(value, str):
        return None
    name = unicodedata.normalize("NFKC", value[:MAX_USERNAME_CHARS]).strip().casefold()
    return name or None


def _submitted_username(request: Any) -> str | None:
    data: Any = request.data if hasattr(request, "data") else request.POST
    if not isinstance(data, Mapping):
        return None
    return normalise_username(data.get("username"))


class _LoginThrottle(SimpleRateThrottle):
    fallback_scope: str | None = None

    def get_rate(self) -> str | None:
        rates: dict[str, Any] = dict(api_settings.DEFAULT_THROTTLE_RATES or {})
        rate = rates.get(str(self.scope))
        if rate is None and self.fallback_scope:
            rate = rates.get(self.fallback_scope)
        return str(rate) if rate is not None else None


class LoginAddressThrottle(_LoginThrottle):
    """Login attempts per client address."""

    scope = "login"

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request)}


class LoginUsernameThrottle(_LoginThrottle):
    """Login attempts per (normalised) username, whichever address they come from."""

    scope = "login_username"
    fallback_scope = "login"

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        username = _submitted_username(request)
        if username is None:
            return None
        digest = hashlib.sha256(username.encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": digest}


LOGIN_THROTTLES: tuple[type[SimpleRateThrottle], ...] = (LoginAddressThrottle, LoginUsernameThrottle)


def login_throttle_wait(request: HttpRequest) -> float | None:
    """Count one login attempt outside DRF (the Django admin login); the seconds to wait when a
    budget is spent, else None."""
    waits: list[float] = []
    for throttle_class in LOGIN_THROTTLES:
        throttle = throttle_class()
        if not throttle.allow_request(request, None):  # type: ignore[arg-type]
            waits.append(throttle.wait() or 1.0)
    return max(waits) if waits else None
