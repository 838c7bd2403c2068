"""DRF authentication for ``Authorization: Token <key>`` that respects revocation and expiry."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from shipyard.accounts.tokens import active_token


class ExpiringTokenAuthentication(TokenAuthentication):
    """Like DRF's ``TokenAuthentication``, but every key goes through :func:`active_token`, so an
    expired token, a revoked one and one of a deactivated user are all a 401."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        token = active_token(key)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid or expired token.")
        return (token.user, token)
