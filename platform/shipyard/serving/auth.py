"""Who may call a deployment's data-plane endpoints (``/serve/<project>/<deployment>/predict`` and
``/feedback``): one function, :func:`authorize_caller`, for both.

Credentials are checked before anything about the deployment is revealed:

1. ``X-Api-Key``: one of the deployment's keys. A key can only be checked against a deployment,
   so an unknown deployment and a wrong key are the same 401.
2. ``Authorization: Token <key>``: a user's API token (unknown, revoked or expired: 401). A
   deployment that does not exist or belongs to a team the user is not in: 404.
3. The session cookie (the browser app): as a token, and Django's CSRF check runs on every call,
   so a session without the CSRF token is a 403 ``csrf_failed``. Token and API-key calls carry no
   ambient credential and need no CSRF token.

No credentials at all: 401, before the deployment is looked up.

The per-process caches are bounded (LRU with a time to live): the routing config for
``SERVING_CONFIG_TTL_S`` and a valid token's user and teams for ``TOKEN_TTL_S``. Negative results
(an unknown deployment, an unknown token) are never cached, so random names from anonymous callers
cannot grow them or push out the entries that matter.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponseForbidden, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware

from shipyard.core.authkeys import well_formed_token
from shipyard.core.errors import error_body
from shipyard.serving.dataplane import ROUTES, BoundedCache
from shipyard.serving.routing import DeploymentRoute

#: most valid tokens one web process keeps
TOKEN_CACHE_SIZE = 4096
#: how long a valid token's user and teams are reused; a revocation reaches the gateway within it
TOKEN_TTL_S = 1.0

TOKENS: BoundedCache[str, tuple[int, frozenset[int]]] = BoundedCache(maxsize=TOKEN_CACHE_SIZE, ttl=lambda: TOKEN_TTL_S)


def route_for(project: str, deployment: str, *, cached: bool = True) -> DeploymentRoute | None:
    """The deployment's routing config (from the per-process cache unless ``cached`` is False),
    or None when there is none."""
    from shipyard.serving.selectors import deployment_route

    if not cached:
        return deployment_route(project=project, name=deployment)
    return ROUTES.get((project, deployment), lambda: deployment_route(project=project, name=deployment))


@dataclass(frozen=True)
class Caller:
    """An authorized data-plane caller and the deployment it may use."""

    kind: str  # "api_key" | "token" | "session"
    route: DeploymentRoute
    #: the user behind a token or session; None for an API key
    user_id: int | None = None


def error(status: int, code: str, message: str, field: str | None = None) -> JsonResponse:
    return JsonResponse(error_body(code, message, {field: [message]} if field else None), status=status)


def _not_found() -> JsonResponse:
    return error(404, "not_found", "No such deployment.")


def _token_user_id(key: str) -> int | None:
    # token validity: accounts.tokens
    from shipyard.accounts.tokens import active_token_user_id

    return active_token_user_id(key)


def _user_teams(user_id: int) -> frozenset[int]:
    from shipyard.accounts.models import Membership

    return frozenset(Membership.objects.filter(user_id=user_id).values_list("team_id", flat=True))


def _token_identity(key: str) -> tuple[int, frozenset[int]] | None:
    user_id = _token_user_id(key)
    return None if user_id is None else (user_id, _user_teams(user_id))


class _CsrfCheck(CsrfViewMiddleware):
    """Django's CSRF check, answering with the reason instead of the HTML failure page."""

    def _reject(self, request: HttpRequest, reason: str) -> HttpResponseForbidden:
        return HttpResponseForbidden(reason)


def _checked_view(request: HttpRequest) -> HttpResponseForbidden:
    """Stands for the data-plane view in the CSRF check (a view that is not exempt); never called."""
    return HttpResponseForbidden()


def _csrf_failure(request: HttpRequest) -> str | None:
    """Why this request fails Django's CSRF check (the session's token, the Origin and, over
    HTTPS, the Referer), or None when it passes; what DRF's ``SessionAuthentication`` does."""
    check = _CsrfCheck(_checked_view)
    check.process_request(request)  # reads the CSRF cookie into request.META
    response = check.process_view(request, _checked_view, (), {})
    if response is None:
        return None
    return response.content.decode(errors="replace") or "CSRF check failed."


def _route_for_user(project: str, deployment: str, teams: frozenset[int], cached: bool) -> DeploymentRoute | None:
    route = route_for(project, deployment, cached=cached)
    return route if route is not None and route.team_id in teams else None


def authorize_caller(
    request: HttpRequest, *, project: str, deployment: str, cached: bool = True
) -> Caller | JsonResponse:
    """The caller of a data-plane endpoint of ``project``/``deployment``, or the error response to
    send (401 no or bad credentials, 403 ``csrf_failed``, 404 not a deployment of the caller's).
    ``cached=False`` reads the deployment and its keys from the database (low-volume endpoints that
    must see a revoked key at once); valid tokens are always cached up to ``TOKEN_TTL_S``."""
    api_key = request.headers.get("X-Api-Key")
    if api_key:
        route = route_for(project, deployment, cached=cached)
        if route is None or hashlib.sha256(api_key.encode()).hexdigest() not in route.key_hashes:
            return error(401, "unauthenticated", "Invalid API key for this deployment.")
        return Caller(kind="api_key", route=route)

    header = request.headers.get("Authorization", "")
    if header.startswith("Token "):
        key = header[6:].strip()
        identity = TOKENS.get(key, lambda: _token_identity(key)) if well_formed_token(key) else None
        if identity is None:
            return error(401, "unauthenticated", "Invalid or expired token.")
        user_id, teams = identity
        route = _route_for_user(project, deployment, teams, cached)
        return _not_found() if route is None else Caller(kind="token", route=route, user_id=user_id)

    user: Any = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        reason = _csrf_failure(request)
        if reason is not None:
            return error(403, "csrf_failed", f"CSRF check failed: {reason}")
        route = _route_for_user(project, deployment, _user_teams(user.pk), cached)
        return _not_found() if route is None else Caller(kind="session", route=route, user_id=user.pk)

    return error(401, "unauthenticated", "Send a token (Authorization: Token <t>) or the deployment's X-Api-Key.")
