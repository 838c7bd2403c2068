"""Outbound webhook (Slack-compatible `{"text": ...}`) with a guard against internal addresses."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

import requests
from django.conf import settings


class UnsafeURL(ValueError):
    pass


def allow_private() -> bool:
    """Admins may allow internal targets (the setting CI_OUTBOUND_ALLOW_PRIVATE, from the environment)."""
    return bool(settings.CI_OUTBOUND_ALLOW_PRIVATE)


def check_url(url: str, *, resolve: bool = True) -> None:
    """Refuse non-http(s) URLs and hosts resolving to loopback, private, link-local or reserved addresses."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise UnsafeURL("the URL must be http:// or https:// with a host")
    if allow_private():
        return
    host = parts.hostname
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        if host.lower() in {"localhost"} or host.lower().endswith((".localhost", ".internal", ".local")):
            raise UnsafeURL(f"the host {host!r} is internal")
        if not resolve:
            return
        try:
            infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
        except OSError:
            raise UnsafeURL(f"the host {host!r} does not resolve")
        addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    for address in addresses:
        if not address.is_global or address.is_multicast:
            raise UnsafeURL(f"the host {host!r} resolves to an internal address ({address})")


def post(url: str, text: str, *, timeout: float = 5.0) -> str:
    """Send `{"text": text}`; returns a short status for the record ("200", "refused: ...", "error: ...")."""
    try:
        check_url(url)
    except UnsafeURL as exc:
        return f"refused: {exc}"[:200]
    try:
        response = requests.post(url, json={"text": text}, timeout=timeout, allow_redirects=False)
    except requests.RequestException as exc:
        return f"error: {type(exc).__name__}"[:200]
    return str(response.status_code)
