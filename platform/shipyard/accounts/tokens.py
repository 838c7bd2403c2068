"""API tokens: the one check of whether a token key is currently valid.

Every place that accepts ``Authorization: Token <key>`` (the DRF authentication class, the
serving gateway, the feedback endpoint) asks :func:`active_token` / :func:`active_token_user_id`,
so revocation, expiry and deactivated users are respected everywhere alike. A token is valid when
it exists, its user is active, its own expiry (``TokenExpiry``, chosen at creation) is in the
future and, when ``TOKEN_TTL_DAYS`` is above 0, it was created less than that many days ago.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from rest_framework.authtoken.models import Token

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
