"""The client's address, computed in one place.

``X-Forwarded-For`` is written by whoever sends the request, so it is trusted only as far as the
operator says: ``TRUSTED_PROXY_COUNT`` is the number of reverse proxies in front of the web
process that each append (or set) the address they received the request from. With 0 (the
default) the header is ignored and ``REMOTE_ADDR`` is the client. With N, the client is the Nth
address from the right of the header: the entry the outermost trusted proxy wrote. Entries further
left were supplied by the client and are never used. DRF's throttles read the same number through
``REST_FRAMEWORK["NUM_PROXIES"]``.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

UNKNOWN = "unknown"


def trusted_proxy_count() -> int:
    return int(getattr(settings, "TRUSTED_PROXY_COUNT", 0))


def client_ip(request: HttpRequest) -> str:
    """The address of the client that sent ``request``, as far as the trusted proxies vouch for it."""
    remote = str(request.META.get("REMOTE_ADDR") or "").strip()
    count = trusted_proxy_count()
    if count > 0:
        header = str(request.META.get("HTTP_X_FORWARDED_FOR") or "")
        addresses = [part.strip() for part in header.split(",") if part.strip()]
        if addresses:
            return addresses[-min(count, len(addresses))]
    return remote or UNKNOWN
