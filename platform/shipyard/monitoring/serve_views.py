"""``POST /serve/{project}/{deployment}/feedback {request_id, label}``: a user confirms or corrects a
prediction. Routed from ``shipyard.serving.serve_urls``. Same credentials as predict, checked by
the same function (``shipyard.serving.auth.authorize_caller``): the deployment's ``X-Api-Key``, a
user token (``Authorization: Token``) or the session of the owning team with its CSRF token."""

from __future__ import annotations

from typing import Any

from django.db import DatabaseError
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework.exceptions import NotFound

from shipyard.core.errors import DomainError, error_body

MAX_BODY = 64 * 1024
#: a label is a scalar or a small nested list (the model's output shape)
MAX_DEPTH = 16


def _error(status: int, code: str, message: str, field: str | None = None) -> JsonResponse:
    return JsonResponse(error_body(code, message, {field: [message]} if field else None), status=status)


@csrf_exempt  # the session path runs Django's CSRF check inside authorize_caller
def feedback(request: HttpRequest, project: str, deployment: str) -> JsonResponse:
    from django.contrib.auth import get_user_model

    from shipyard.monitoring.feedback import feedback_submit
    from shipyard.serving.auth import authorize_caller
    from shipyard.serving.bodies import body_too_large, read_body
    from shipyard.serving.models import Deployment
    from shipyard.serving.validation import InputError, loads_body

    if request.method != "POST":
        return _error(405, "method_not_allowed", "Use POST.")
    too_large = body_too_large(request, limit=MAX_BODY)
    if too_large is not None:
        return too_large
    caller = authorize_caller(request, project=project, deployment=deployment, cached=False)
    if isinstance(caller, JsonResponse):
        return caller
    d = Deployment.objects.filter(pk=caller.route.deployment_id).first()
    if d is None:
        return _error(404, "not_found", "No such deployment.")
    user: Any = None
    if caller.user_id is not None:
        user = get_user_model().objects.filter(pk=caller.user_id).first()
    raw = read_body(request, limit=MAX_BODY)
    if isinstance(raw, JsonResponse):
        return raw
    try:
        body = loads_body(raw, max_depth=MAX_DEPTH)
    except InputError as exc:
        return _error(400, "invalid", exc.message, exc.field)
    if not isinstance(body, dict):
        return _error(400, "invalid", "Expected a JSON object {request_id, label}.", "body")
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
