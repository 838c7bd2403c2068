"""``POST /serve/{project}/{deployment}/feedback {request_id, label}``: a user confirms or corrects a
prediction. Routed from ``shipyard.serving.serve_urls``. Same credentials as predict: the
deployment's ``X-Api-Key`` or a user token (``Authorization: Token``) / session of the owning team."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db import DatabaseError
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework.exceptions import NotFound

from shipyard.core.errors import DomainError, error_body

MAX_BODY = 64 * 1024


def _error(status: int, code: str, message: str, field: str | None = None) -> JsonResponse:
    return JsonResponse(error_body(code, message, {field: [message]} if field else None), status=status)


def _user_from_request(request: HttpRequest) -> Any:
    header = request.headers.get("Authorization", "")
    if header.startswith("Token "):
        from rest_framework.authtoken.models import Token

        token = Token.objects.select_related("user").filter(key=header[6:].strip(), user__is_active=True).first()
        return token.user if token else False
    user = getattr(request, "user", None)
    return user if getattr(user, "is_authenticated", False) else None


@csrf_exempt
def feedback(request: HttpRequest, project: str, deployment: str) -> JsonResponse:
    from shipyard.accounts.models import Membership
    from shipyard.monitoring.services import feedback_submit
    from shipyard.serving.models import ApiKey, Deployment

    if request.method != "POST":
        return _error(405, "method_not_allowed", "Use POST.")
    d = Deployment.objects.select_related("project").filter(project__slug=project, name=deployment).first()
    api_key = request.headers.get("X-Api-Key")
    user: Any = None
    if api_key:
        digest = hashlib.sha256(api_key.encode()).hexdigest()
        if d is None or not ApiKey.objects.filter(deployment=d, key_hash=digest, revoked_at__isnull=True).exists():
            return _error(401, "unauthenticated", "Invalid API key for this deployment.")
    else:
        user = _user_from_request(request)
        if user is False:
            return _error(401, "unauthenticated", "Invalid token.")
        if user is None:
            return _error(
                401, "unauthenticated", "Send a token (Authorization: Token <t>) or the deployment's X-Api-Key."
            )
        if d is None or not Membership.objects.filter(user=user, team_id=d.project.team_id).exists():
            return _error(404, "not_found", "No such deployment.")
    if len(request.body) > MAX_BODY:
        return _error(413, "too_large", "The request body is too large.")
    try:
        body = json.loads(request.body or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _error(400, "invalid", "The body must be JSON.")
    if not isinstance(body, dict):
        return _error(400, "invalid", "Expected a JSON object {request_id, label}.")
    unknown = sorted(set(body) - {"request_id", "label"})
    if unknown:
        return _error(400, "invalid", "Unknown field.", unknown[0])
    if "request_id" not in body:
        return _error(400, "invalid", "This field is required.", "request_id")
    if "label" not in body:
        return _error(400, "invalid", "This field is required.", "label")
    try:
        fb, created = feedback_submit(deployment=d, request_id=body["request_id"], label=body["label"], by=user)
    except DomainError as exc:
        return _error(exc.status_code, exc.code, exc.message, exc.field)
    except NotFound as exc:
        return _error(404, "not_found", str(exc.detail))
    except DatabaseError:
        return _error(503, "unavailable", "The database is unavailable; try again shortly.")
    return JsonResponse(
        {
            "request_id": fb.request_id,
            "label": fb.label,
            "prediction": fb.prediction,
            "correct": fb.correct,
            "created": created,
        },
        status=201 if created else 200,
    )
