"""Recognise a CI sender by its headers and verify its signature. Pure functions, constant-time comparisons.

Each provider's check takes the candidate secrets (the current one and, during a rotation's grace
period, the previous one), the raw body and the request headers (case-insensitive mapping).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

TOLERANCE_S = 300


class SignatureError(Exception):
    """The delivery is not authentic (bad, missing or stale signature)."""


@dataclass(frozen=True)
class Verified:
    provider: str
    delivery_id: str
    event: str


def hmac_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _any_secret(secrets: Iterable[str], check: object) -> bool:
    ok = False
    for secret in secrets:
        if secret:
            ok |= bool(check(secret))  # type: ignore[operator]  # evaluate every candidate
    return ok


def _parse_pairs(header: str, sep: str = ",") -> dict[str, list[str]]:
    pairs: dict[str, list[str]] = {}
    for part in header.split(sep):
        key, _, value = part.strip().partition("=")
        if key and value:
            pairs.setdefault(key.strip(), []).append(value.strip())
    return pairs


def _fresh(timestamp: str, now: float | None) -> None:
    try:
        t = int(timestamp)
    except ValueError:
        raise SignatureError("the signature's timestamp is not an integer") from None
    if abs((time.time() if now is None else now) - t) > TOLERANCE_S:
        raise SignatureError(f"the signature's timestamp is more than {TOLERANCE_S} s from the server's clock")


def shipyard_sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The `X-Shipyard-Signature` value for a body: `t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`."""
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={hmac_hex(secret, f'{t}.'.encode() + body)}"


def verify_shipyard(secrets: Iterable[str], body: bytes, header: str, *, now: float | None = None) -> None:
    pairs = _parse_pairs(header)
    if "t" not in pairs or "v1" not in pairs:
        raise SignatureError("X-Shipyard-Signature must look like t=<unix seconds>,v1=<hex>")
    t = pairs["t"][0]
    _fresh(t, now)
    message = f"{t}.".encode() + body
    if not _any_secret(secrets, lambda s: any(_equal(hmac_hex(s, message), v) for v in pairs["v1"])):
        raise SignatureError("X-Shipyard-Signature does not match")


def verify_github(secrets: Iterable[str], body: bytes, header: str) -> None:
    if not header.startswith("sha256="):
        raise SignatureError("X-Hub-Signature-256 must look like sha256=<hex>")
    given = header.removeprefix("sha256=")
    if not _any_secret(secrets, lambda s: _equal(hmac_hex(s, body), given)):
        raise SignatureError("X-Hub-Signature-256 does not match")


def verify_token(secrets: Iterable[str], token: str, header_name: str) -> None:
    if not token or not _any_secret(secrets, lambda s: _equal(s, token)):
        raise SignatureError(f"{header_name} does not match")


def verify_circleci(secrets: Iterable[str], body: bytes, header: str) -> None:
    given = _parse_pairs(header).get("v1", [])
    if not given:
        raise SignatureError("circleci-signature must contain v1=<hex>")
    if not _any_secret(secrets, lambda s: any(_equal(hmac_hex(s, body), v) for v in given)):
        raise SignatureError("circleci-signature does not match")


def verify_buildkite(secrets: Iterable[str], body: bytes, header: str, *, now: float | None = None) -> None:
    pairs = _parse_pairs(header)
    if "timestamp" not in pairs or "signature" not in pairs:
        raise SignatureError("X-Buildkite-Signature must look like timestamp=<unix>,signature=<hex>")
    t = pairs["timestamp"][0]
    _fresh(t, now)
    message = f"{t}.".encode() + body
    if not _any_secret(secrets, lambda s: _equal(hmac_hex(s, message), pairs["signature"][0])):
        raise SignatureError("X-Buildkite-Signature does not match")


def _body_id(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


def _circleci_id(body: bytes) -> str:
    """CircleCI puts its per-event id (for deduplication) in the body's top-level `id`."""
    if len(body) <= 1024 * 1024:
        try:
            value = json.loads(body).get("id")
        except (ValueError, AttributeError):
            value = None
        if isinstance(value, str) and 0 < len(value) <= 200:
            return value
    return _body_id(body)


def identify_and_verify(
    secrets: list[str], body: bytes, headers: Mapping[str, str], *, now: float | None = None
) -> Verified:
    """Find which CI sent this request, verify it, and return the provider, delivery id and event.

    ``headers`` must be case-insensitive (Django's ``request.headers``). Raises SignatureError.
    """
    get = headers.get
    if not any(secrets):
        raise SignatureError("no CI secret is configured for this project; rotate one first")
    if get("X-Shipyard-Signature"):
        verify_shipyard(secrets, body, get("X-Shipyard-Signature", ""), now=now)
        return Verified("shipyard", get("X-Shipyard-Delivery") or _body_id(body), get("X-Shipyard-Event") or "report")
    if get("X-Hub-Signature-256") or get("X-GitHub-Event"):
        verify_github(secrets, body, get("X-Hub-Signature-256", ""))
        return Verified("github", get("X-GitHub-Delivery") or _body_id(body), get("X-GitHub-Event") or "")
    if get("X-Gitlab-Token") or get("X-Gitlab-Event"):
        verify_token(secrets, get("X-Gitlab-Token", ""), "X-Gitlab-Token")
        delivery = get("X-Gitlab-Event-UUID") or get("X-Gitlab-Webhook-UUID") or _body_id(body)
        return Verified("gitlab", delivery, get("X-Gitlab-Event") or "")
    if get("circleci-signature") or get("circleci-event-type"):
        verify_circleci(secrets, body, get("circleci-signature", ""))
        return Verified("circleci", _circleci_id(body), get("circleci-event-type") or "")
    if get("X-Buildkite-Signature") or get("X-Buildkite-Token") or get("X-Buildkite-Event"):
        if get("X-Buildkite-Signature"):
            verify_buildkite(secrets, body, get("X-Buildkite-Signature", ""), now=now)
        else:
            verify_token(secrets, get("X-Buildkite-Token", ""), "X-Buildkite-Token")
        return Verified("buildkite", _body_id(body), get("X-Buildkite-Event") or "")
    auth = get("Authorization", "")
    if auth.startswith("Bearer "):
        verify_token(secrets, auth.removeprefix("Bearer ").strip(), "Authorization bearer token")
        delivery = get("X-Shipyard-Delivery") or get("Idempotency-Key") or _body_id(body)
        return Verified("generic", delivery, get("X-Shipyard-Event") or "report")
    raise SignatureError(
        "no recognised signature header (X-Shipyard-Signature, X-Hub-Signature-256, X-Gitlab-Token, "
        "circleci-signature, X-Buildkite-Signature/-Token or Authorization: Bearer)"
    )
