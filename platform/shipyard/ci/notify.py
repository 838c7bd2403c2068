"""Outbound CI notifications (Slack-compatible ``{"text": ...}``), sent through ``shipyard.core.outbound``."""

from __future__ import annotations

from shipyard.core import outbound
from shipyard.core.outbound import UnsafeURL, allow_private

__all__ = ["UnsafeURL", "allow_private", "check_url", "post"]


def check_url(url: str, *, resolve: bool = True) -> None:
    """Raise ``UnsafeURL`` for a URL outbound requests refuse (see ``shipyard.core.outbound.check_url``)."""
    outbound.check_url(url, resolve=resolve)


def post(url: str, text: str, *, timeout: float = 5.0) -> str:
    """Send ``{"text": text}``; returns a short status for the record (``"200"``, ``"refused: ..."``,
    ``"error: ..."``), never text from the remote."""
    return outbound.post_json(url, {"text": text}, timeout=timeout).status[:200]
