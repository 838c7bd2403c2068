"""Where the control plane mirrors data-plane credentials in Redis. Pure: no Django imports.

``accounts.tokens`` writes them on every change; the gateway process reads them:

- :func:`token_key`: one per valid API token, named by the token's SHA-256 (the token itself is
  never stored), holding JSON ``{"user": <id>, "exp": <unix time or null>}`` and expiring with it;
- :func:`teams_key`: one per user, JSON list of the ids of the teams the user is a member of.
"""

from __future__ import annotations

import hashlib

PREFIX = "shipyard:auth"


def token_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def token_key(key: str) -> str:
    return f"{PREFIX}:token:{token_digest(key)}"


def teams_key(user_id: int) -> str:
    return f"{PREFIX}:teams:{user_id}"


def well_formed_token(key: str) -> bool:
    """Printable ASCII of a sane length: anything else cannot be a token, so it is refused
    without a lookup."""
    return 0 < len(key) <= 128 and key.isascii() and key.isprintable()
