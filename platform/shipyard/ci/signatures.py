"""Recognise a CI sender by its headers and verify its signature. Pure functions, constant-time comparisons.

Each provider's check takes the candidate secrets (the current one and, during a rotation's grace
period, the previous one), the raw body and the request headers (case-insensitive mapping).

Replays: the Shipyard scheme signs the timestamp, the delivery id and the body, so a captured
request cannot be stored again under a new id. Provider schemes are accepted as the providers
define them (GitHub's signature covers only the body); for every signed scheme the verified
MAC is returned as ``Verified.replay_key`` and the receiver stores a digest of it under a
unique constraint, so the same signature cannot be used by a second delivery.
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
    #: the verified MAC (``"<provider>:<hex>"``); "" for token schemes, which sign nothing
    replay_key: str = ""


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


def _matching_mac(secrets: Iterable[str], message: bytes, given: list[str]) -> str:
    """The HMAC of ``message`` under a candidate secret that equals one of ``given``; "" when none does.

    Every secret and every given value is compared (constant time each)."""
    found = ""
    for secret in secrets:
        if not secret:
            continue
        expected = hmac_hex(secret, message)
        for value in given:
            if _equal(expected, value):
                found = expected
    return found


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


def shipyard_message(timestamp: str | int, delivery_id: str, body: bytes) -> bytes:
    """What the Shipyard scheme signs: ``"<t>.<delivery id>.<raw body>"``."""
    return f"{timestamp}.{delivery_id}.".encode() + body


def shipyard_sign(secret: str, body: bytes, *, delivery_id: str, timestamp: int | None = None) -> str:
    """The `X-Shipyard-Signature` value: `t=<unix>,v2=<hex HMAC-SHA256(secret, "<t>.<delivery id>.<body>")>`."""
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v2={hmac_hex(secret, shipyard_message(t, delivery_id, body))}"


def verify_shipyard(
    secrets: Iterable[str], body: bytes, header: str, *, delivery_id: str, now: float | None = None
) -> str:
    """Check a Shipyard-scheme signature; returns the verified MAC."""
    pairs = _parse_pairs(header)
    if "t" in pairs and "v1" in pairs and "v2" not in pairs:
        raise SignatureError(
            "X-Shipyard-Signature v1 does not cover the delivery id and is no longer accepted: send "
            'v2=<hex HMAC-SHA256(secret, "<t>.<X-Shipyard-Delivery>.<body>")>'
        )
    if "t" not in pairs or "v2" not in pairs:
        raise SignatureError("X-Shipyard-Signature must look like t=<unix seconds>,v2=<hex>")
    if not delivery_id:
        raise SignatureError("X-Shipyard-Delivery is required with X-Shipyard-Signature (it is signed)")
    t = pairs["t"][0]
    _fresh(t, now)
    mac = _matching_mac(secrets, shipyard_message(t, delivery_id, body), pairs["v2"])
    if not mac:
        raise SignatureError("X-Shipyard-Signature does not match")
    return mac


def verify_github(secrets: Iterable[str], body: bytes, header: str) -> str:
    if not header.startswith("sha256="):
        raise SignatureError("X-Hub-Signature-256 must look like sha256=<hex>")
    mac = _matching_mac(secrets, body, [header.removeprefix("sha256=")])
    if not mac:
        raise SignatureError("X-Hub-Signature-256 does not match")
    return mac


def verify_token(secrets: Iterable[str], token: str, header_name: str) -> None:
    if not token or not _any_secret(secrets, lambda s: _equal(s, token)):
        raise SignatureError(f"{header_name} does not match")


def verify_circleci(secrets: Iterable[str], body: bytes, header: str) -> str:
    given = _parse_pairs(header).get("v1", [])
    if not given:
        raise SignatureError("circleci-signature must contain v1=<hex>")
    mac = _matching_mac(secrets, body, given)
    if not mac:
        raise SignatureError("circleci-signature does not match")
    return mac


def verify_buildkite(secrets: Iterable[str], body: bytes, header: str, *, now: float | None = None) -> str:
    pairs = _parse_pairs(header)
    if "timestamp" not in pairs or "signature" not in pairs:
        raise SignatureError("X-Buildkite-Signature must look like timestamp=<unix>,signature=<hex>")
    t = pairs["timestamp"][0]
    _fresh(t, now)
    mac = _matching_mac(secrets, f"{t}.".encode() + body, pairs["signature"][:1])
    if not mac:
        raise SignatureError("X-Buildkite-Signature does not match")
    return mac


def _body_id(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


def _circleci_id(body: bytes) -> str:
    """CircleCI puts its per-event id (for deduplication) in the body's top-level `id`."""
    if len(body) <= 1024 * 1024:
        try:
            value = json.loads(body).get("id")
        except (ValueError, AttributeError, RecursionError):
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
        delivery = get("X-Shipyard-Delivery", "")
        mac = verify_shipyard(secrets, body, get("X-Shipyard-Signature", ""), delivery_id=delivery, now=now)
        return Verified("shipyard", delivery, get("X-Shipyard-Event") or "report", f"shipyard:{mac}")
    if get("X-Hub-Signature-256") or get("X-GitHub-Event"):
        mac = verify_github(secrets, body, get("X-Hub-Signature-256", ""))
        delivery = get("X-GitHub-Delivery") or _body_id(body)
        return Verified("github", delivery, get("X-GitHub-Event") or "", f"github:{mac}")
    if get("X-Gitlab-Token") or get("X-Gitlab-Event"):
        verify_token(secrets, get("X-Gitlab-Token", ""), "X-Gitlab-Token")
        delivery = get("X-Gitlab-Event-UUID") or get("X-Gitlab-Webhook-UUID") or _body_id(body)
        return Verified("gitlab", delivery, get("X-Gitlab-Event") or "")
    if get("circleci-signature") or get("circleci-event-type"):
        mac = verify_circleci(secrets, body, get("circleci-signature", ""))
        return Verified("circleci", _circleci_id(body), get("circleci-event-type") or "", f"circleci:{mac}")
    if get("X-Buildkite-Signature") or get("X-Buildkite-Token") or get("X-Buildkite-Event"):
        replay_key = ""
        if get("X-Buildkite-Signature"):
            mac = verify_buildkite(secrets, body, get("X-Buildkite-Signature", ""), now=now)
            replay_key = f"buildkite:{mac}"
        else:
            verify_token(secrets, get("X-Buildkite-Token", ""), "X-Buildkite-Token")
        return Verified("buildkite", _body_id(body), get("X-Buildkite-Event") or "", replay_key)
    auth = get("Authorization", "")
    if auth.startswith("Bearer "):
        verify_token(secrets, auth.removeprefix("Bearer ").strip(), "Authorization bearer token")
        delivery = get("X-Shipyard-Delivery") or get("Idempotency-Key") or _body_id(body)
        return Verified("generic", delivery, get("X-Shipyard-Event") or "report")
    raise SignatureError(
        "no recognised signature header (X-Shipyard-Signature, X-Hub-Signature-256, X-Gitlab-Token, "
        "circleci-signature, X-Buildkite-Signature/-Token or Authorization: Bearer)"
    )
