"""The JSON parser every DRF endpoint uses: hostile bodies are a 400, never a 500.

Two things a JSON body can carry that the rest of the stack cannot take:

* nesting deep enough to exhaust the interpreter's recursion limit while decoding, or later while
  a serializer, ``json.dumps`` or the database adapter walks the value: refused beyond
  ``MAX_DEPTH`` levels as a ``parse_error``;
* NUL characters (``\\u0000``) in keys or string values, which PostgreSQL ``text`` and ``jsonb``
  cannot store: refused as ``invalid`` with the path of the offending value as the field name
  (``answers.data-1.note``, ``rows[3].name``).

A body larger than ``API_MAX_JSON_BYTES`` is a 413 before it is decoded (``Content-Length`` first,
then the bytes actually read, for a chunked body).

Both checks are cheap when they cannot apply: the walk over the decoded value only runs when the
raw body holds enough brackets to reach the depth limit or an escaped NUL.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.settings import api_settings
from rest_framework.utils import json as drf_json

from shipyard.core.errors import PayloadTooLarge

MAX_DEPTH = 200
NUL_MESSAGE = "NUL characters are not allowed."
TOO_DEEP_MESSAGE = f"JSON parse error - nested deeper than {MAX_DEPTH} levels."


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _check(data: Any, *, max_depth: int, check_nul: bool) -> None:
    """Walk ``data`` without recursion; raise on the first value nested too deep or holding a NUL."""
    stack: list[tuple[Any, str, int]] = [(data, "", 1)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            if check_nul and "\x00" in value:
                _refuse_nul(path)
            continue
        if not isinstance(value, (dict, list)):
            continue
        if depth > max_depth:
            raise ParseError(TOO_DEEP_MESSAGE)
        if isinstance(value, dict):
            for key, item in value.items():
                if check_nul and "\x00" in key:
                    _refuse_nul(_join(path, key.replace("\x00", "")))
                stack.append((item, _join(path, key), depth + 1))
        else:
            for index, item in enumerate(value):
                stack.append((item, f"{path}[{index}]" if path else str(index), depth + 1))


def _refuse_nul(path: str) -> None:
    raise ValidationError({path or api_settings.NON_FIELD_ERRORS_KEY: [NUL_MESSAGE]})


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The JSON body is larger than the limit of {limit} bytes (API_MAX_JSON_BYTES).")


class SafeJSONParser(JSONParser):
    """DRF's ``JSONParser`` with a depth limit and a NUL check; same media type, same strictness."""

    max_depth = MAX_DEPTH

    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        context = parser_context or {}
        encoding = context.get("encoding", settings.DEFAULT_CHARSET)
        limit = int(settings.API_MAX_JSON_BYTES)
        request = context.get("request")
        declared = getattr(request, "META", {}).get("CONTENT_LENGTH") or "0"
        if declared.isdecimal() and int(declared) > limit:
            raise _too_large(limit)
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise _too_large(limit)
        try:
            text = raw.decode(encoding) if isinstance(raw, bytes) else str(raw)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(f"JSON parse error - the body is not valid {encoding}.") from exc
        parse_constant = drf_json.strict_constant if self.strict else None
        try:
            data = json.loads(text, parse_constant=parse_constant)
        except RecursionError as exc:
            raise ParseError(TOO_DEEP_MESSAGE) from exc
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        check_depth = text.count("[") + text.count("{") >= self.max_depth
        check_nul = "\\u0000" in text
        if check_depth or check_nul:
            _check(data, max_depth=self.max_depth if check_depth else len(text) + 1, check_nul=check_nul)
        return data
