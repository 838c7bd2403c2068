"""One error shape for the whole API: ``{"error": {"code", "message", "fields"?}}``."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import DatabaseError, OperationalError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The resource was changed by someone else."
    default_code = "conflict"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "A backing service is unavailable; try again shortly."
    default_code = "unavailable"

    def __init__(self, detail: str | None = None, *, retry_after: int = 5) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class DomainError(Exception):
    """Raised by services for a rule violation; maps to a 400 naming the field when known."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code


class DomainConflict(DomainError):
    status_code = 409
    code = "conflict"


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return {"error": body}


def json_error(
    status_code: int, code: str, message: str, fields: dict[str, Any] | None = None, **headers: str
) -> JsonResponse:
    response = JsonResponse(error_body(code, message, fields), status=status_code)
    for key, value in headers.items():
        response[key.replace("_", "-")] = value
    return response


def _flatten_fields(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            out.update(_flatten_fields(value, name))
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            out[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                if item:
                    out.update(_flatten_fields(item, f"{prefix}[{index}]" if prefix else str(index)))
    else:
        out[prefix or "non_field_errors"] = [str(detail)]
    return out


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        fields = getattr(exc, "fields", None) or ({exc.field: [exc.message]} if exc.field else None)
        return Response(error_body(exc.code, exc.message, fields), status=exc.status_code)
    if isinstance(exc, OperationalError):
        logger.warning("database unavailable: %s", exc)
        return Response(
            error_body("unavailable", "The database is unavailable; try again shortly."),
            status=503,
            headers={"Retry-After": "5"},
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, RequestDataTooBig):  # Django's DATA_UPLOAD_MAX_MEMORY_SIZE, met while reading the body
        exc = PayloadTooLarge()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        if isinstance(exc, DatabaseError):
            logger.exception("database error")
        return None

    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten_fields(exc.detail)
        first_field, first_messages = next(iter(fields.items()))
        if first_field == "non_field_errors":
            message = first_messages[0]
        else:
            message = f"{first_field}: {first_messages[0]}"
        response.data = error_body("invalid", message, fields)
    elif isinstance(exc, exceptions.APIException):
        detail = exc.detail
        code = exc.get_codes() if not isinstance(exc.get_codes(), (dict, list)) else exc.default_code
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            code = "unauthenticated"
        response.data = error_body(
            str(code), str(detail) if not isinstance(detail, (dict, list)) else str(exc.default_detail)
        )
        if isinstance(exc, ServiceUnavailable):
            response["Retry-After"] = str(exc.retry_after)
    return response
