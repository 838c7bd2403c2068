"""Request bodies on the data plane: a JSON 413 above the limit, before anything is parsed. Shared
by the predict and feedback views."""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse

from shipyard.core.errors import json_error


def _too_large(limit: int) -> JsonResponse:
    return json_error(413, "too_large", f"The request body is larger than {limit} bytes.")


def body_too_large(request: HttpRequest, *, limit: int) -> JsonResponse | None:
    """A JSON 413 when the declared Content-Length is above ``limit`` (nothing is read)."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    return _too_large(limit) if length > limit else None


def read_body(request: HttpRequest, *, limit: int) -> bytes | JsonResponse:
    """The raw body, or a JSON 413 above ``limit`` bytes (Django's own upload limit included)."""
    too_large = body_too_large(request, limit=limit)
    if too_large is not None:
        return too_large
    try:
        raw = request.body
    except RequestDataTooBig:
        return _too_large(limit)
    return _too_large(limit) if len(raw) > limit else raw
