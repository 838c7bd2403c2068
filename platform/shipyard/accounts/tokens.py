"""API tokens: the one check of whether a token key is currently valid.

Every place that accepts ``Authorization: Token <key>`` (the DRF authentication class, the
serving gateway, the feedback endpoint) asks :func:`active_token` / :func:`active_token_user_id`,
so revocation, expiry and deactivated users are respected everywhere alike. A token is valid when
it exists, its user is active, its own expiry (``TokenExpiry``, chosen at creation) is in the
future and, when ``TOKEN_TTL_DAYS`` is above 0, it was created less than that many days ago.

The gateway process never reads the database: each valid token is mirrored into Redis (under
the SHA-256 of its key, see ``core.authkeys``, with its user and the time it stops being valid)
when it is issued, and deleted when it is revoked or its user is deactivated; each user's team
ids are mirrored when a membership changes. :func:`tokens_resync` rebuilds the whole mirror (at
start-up, hourly, and for tokens made outside these services).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

import redis
from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from rest_framework.authtoken.models import Token

from shipyard.core import authkeys
from shipyard.core.redis import client

logger = logging.getLogger(__name__)

MAX_KEY_LENGTH = 40


def token_ttl() -> timedelta | None:
    days = int(getattr(settings, "TOKEN_TTL_DAYS", 0))
    return timedelta(days=days) if days > 0 else None


def _active_tokens() -> QuerySet[Token]:
    now = timezone.now()
    tokens = Token.objects.filter(user__is_active=True).filter(Q(expiry__isnull=True) | Q(expiry__expires_at__gt=now))
    ttl = token_ttl()
    if ttl is not None:
        tokens = tokens.filter(created__gt=now - ttl)
    return tokens


def active_token(key: str) -> Token | None:
    """The token with this key, with its user loaded, if it is currently valid; else None."""
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH:
        return None
    return _active_tokens().select_related("user").filter(key=key).first()


def active_token_user_id(key: str) -> int | None:
    """The id of the user a currently valid token with this key belongs to; None for an unknown,
    revoked or expired token or an inactive user."""
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH:
        return None
    user_id: int | None = _active_tokens().filter(key=key).values_list("user_id", flat=True).first()
    return user_id


# -- the data plane's mirror ---------------------------------------------------------------------
def _valid_until(token: Token) -> datetime | None:
    """When a valid token stops being accepted (its own expiry or the age limit), None for never."""
    ends: list[datetime] = []
    expiry = getattr(token, "expiry", None)  # absent: the related-object error is an AttributeError
    if expiry is not None:
        ends.append(expiry.expires_at)
    ttl = token_ttl()
    if ttl is not None:
        ends.append(token.created + ttl)
    return min(ends) if ends else None


def _queue_mirror(pipe: Any, token: Token) -> None:
    until = _valid_until(token)
    record = json.dumps({"user": token.user_id, "exp": until.timestamp() if until is not None else None})
    key = authkeys.token_key(token.key)
    if until is None:
        pipe.set(key, record)
    else:
        pipe.set(key, record, exat=max(int(until.timestamp()) + 1, 1))


def _queue_teams(pipe: Any, user_id: int) -> None:
    from shipyard.accounts.models import Membership

    teams = sorted(Membership.objects.filter(user_id=user_id).values_list("team_id", flat=True))
    pipe.set(authkeys.teams_key(user_id), json.dumps(teams))


def _run(what: str, fill: Any) -> None:
    """Run the Redis commands ``fill`` queues on a pipeline; a Redis outage is logged (the data
    plane is down with it, and the next resync repairs the mirror)."""
    try:
        pipe = client().pipeline(transaction=False)
        fill(pipe)
        pipe.execute()
    except redis.RedisError as exc:
        logger.warning("cannot mirror %s to the data plane: %s", what, exc)


def token_mirror(*, key: str) -> None:
    """Mirror the token with this key as it is now: written when valid, deleted otherwise."""
    token = _active_tokens().select_related("expiry").filter(key=key).first() if key else None

    def fill(pipe: Any) -> None:
        if token is None:
            pipe.delete(authkeys.token_key(key))
            return
        _queue_mirror(pipe, token)
        _queue_teams(pipe, token.user_id)

    _run("a token", fill)


def token_unmirror(*, keys: list[str]) -> None:
    if keys:
        _run("a token revocation", lambda pipe: pipe.delete(*(authkeys.token_key(k) for k in keys)))


def teams_mirror(*, user_ids: list[int]) -> None:
    """Mirror these users' team ids (after a membership change)."""

    def fill(pipe: Any) -> None:
        for user_id in user_ids:
            _queue_teams(pipe, user_id)

    _run("team memberships", fill)


def user_tokens_mirror(*, user_id: int) -> None:
    """Mirror a user's tokens as they are now (after the user was deactivated or reactivated)."""
    keys = list(Token.objects.filter(user_id=user_id).values_list("key", flat=True))
    for key in keys:
        token_mirror(key=key)


def tokens_resync() -> int:
    """Rebuild the whole mirror: every valid token and its user's teams; every other mirrored token
    is deleted. Returns the number of valid tokens."""
    from shipyard.accounts.models import Membership

    tokens = list(_active_tokens().select_related("expiry"))
    keep = {authkeys.token_key(t.key) for t in tokens}
    r: Any = client()
    stale = [k for k in r.scan_iter(match=f"{authkeys.PREFIX}:token:*", count=1000) if k.decode() not in keep]
    teams: dict[int, list[int]] = {}
    for user_id, team_id in Membership.objects.values_list("user_id", "team_id"):
        teams.setdefault(user_id, []).append(team_id)
    pipe = r.pipeline(transaction=True)
    for token in tokens:
        _queue_mirror(pipe, token)
    for user_id, ids in teams.items():
        pipe.set(authkeys.teams_key(user_id), json.dumps(sorted(ids)))
    if stale:
        pipe.delete(*stale)
    pipe.execute()
    return len(tokens)
