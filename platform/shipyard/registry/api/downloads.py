"""Streamed artifact downloads with single-range support (``Range: bytes=a-b``, ``bytes=a-``, ``bytes=-n``)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import IO, Any

from django.http import HttpResponse, StreamingHttpResponse

from shipyard.core.errors import error_body

CHUNK = 1024 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _iter(fh: IO[bytes], start: int, length: int) -> Iterator[bytes]:
    try:
        fh.seek(start)
        remaining = length
        while remaining > 0:
            chunk = fh.read(min(CHUNK, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk
    finally:
        fh.close()


def parse_range(header: str, size: int) -> tuple[int, int] | bool | None:
    """(start, end inclusive), None for "no usable range" (serve it all), False for unsatisfiable."""
    match = _RANGE.match(header.strip())
    if not match:
        return None
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":
        n = int(last)
        if n == 0:
            return False
        return max(0, size - n), size - 1
    start = int(first)
    end = int(last) if last else size - 1
    if start >= size or end < start:
        return False
    return start, min(end, size - 1)


def ranged_response(request: Any, opener: Any, *, size: int, filename: str, etag: str) -> HttpResponse:
    header = request.META.get("HTTP_RANGE", "")
    if_range = request.META.get("HTTP_IF_RANGE", "")
    quoted = f'"{etag}"'
    if request.META.get("HTTP_IF_NONE_MATCH", "") == quoted:
        response = HttpResponse(status=304)
        response["ETag"] = quoted
        return response
    wanted = parse_range(header, size) if header and (not if_range or if_range == quoted) else None
    if wanted is False:
        response = HttpResponse(
            content=json.dumps(error_body("range_not_satisfiable", f"The artifact has {size} bytes.")),
            status=416,
            content_type="application/json",
        )
        response["Content-Range"] = f"bytes */{size}"
        return response
    if wanted:
        start, end = wanted  # type: ignore[misc]
        streamed = StreamingHttpResponse(_iter(opener(), start, end - start + 1), status=206)
        streamed["Content-Range"] = f"bytes {start}-{end}/{size}"
        streamed["Content-Length"] = str(end - start + 1)
    else:
        streamed = StreamingHttpResponse(_iter(opener(), 0, size), status=200)
        streamed["Content-Length"] = str(size)
    streamed["Content-Type"] = "application/octet-stream"
    streamed["Accept-Ranges"] = "bytes"
    streamed["ETag"] = quoted
    streamed["Cache-Control"] = "private, max-age=31536000, immutable"
    safe_name = re.sub(r"[^A-Za-z0-9._-]", "_", filename) or "artifact"
    streamed["Content-Disposition"] = f'attachment; filename="{safe_name}"'
    return streamed  # type: ignore[return-value]
