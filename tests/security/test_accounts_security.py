"""Attacks on accounts: login throttle bypasses, losing a team's last admin, tokens that outlive
their revocation or expiry, weak passwords."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from shipyard.accounts import services
from shipyard.accounts.models import Membership, TokenExpiry
from shipyard.accounts.tokens import active_token_user_id
from shipyard.core.errors import DomainConflict, DomainError

TOKEN_URL = "/api/v1/auth/token/"
LOGIN_URL = "/api/v1/auth/login/"
ADMIN_LOGIN_URL = "/admin/login/"


def _rates(settings: Any, *, address: str, username: str) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"login": address, "login_username": username},
    }


@pytest.fixture(autouse=True)
def _fresh_throttles() -> Any:
    cache.clear()
    yield
    cache.clear()


# --- login throttle -------------------------------------------------------------------------


def test_rotating_forwarded_for_does_not_escape_the_address_throttle(world: Any, settings: Any) -> None:
    _rates(settings, address="5/min", username="1000/min")
    client = APIClient()
    statuses = [
        client.post(
            TOKEN_URL,
            {"username": f"guess-{i}", "password": "wrong-password"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"10.0.{i}.{i}",
        ).status_code
        for i in range(20)
    ]
    assert statuses[:5] == [401] * 5
    assert statuses[5:] == [429] * 15


def test_behind_one_proxy_only_the_proxy_written_address_counts(world: Any, settings: Any, password: str) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    _rates(settings, address="5/min", username="1000/min")
    client = APIClient()
    # The client prepends forged entries; the proxy appends the address it saw (203.0.113.7).
    statuses = [
        client.post(
            TOKEN_URL,
            {"username": f"guess-{i}", "password": "wrong-password"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"10.0.{i}.{i}, 203.0.113.7",
        ).status_code
        for i in range(20)
    ]
    assert statuses[:5] == [401] * 5
    assert statuses[5:] == [429] * 15
    throttled = client.post(
        TOKEN_URL, {"username": "owner", "password": password}, format="json", HTTP_X_FORWARDED_FOR="203.0.113.7"
    )
    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) >= 1
    assert throttled.json()["error"]["code"] == "throttled"
    # Another client behind the same proxy has its own budget.
    other = client.post(
        TOKEN_URL, {"username": "owner", "password": password}, format="json", HTTP_X_FORWARDED_FOR="198.51.100.9"
    )
    assert other.status_code == 200


def test_rotating_remote_addr_does_not_escape_the_username_throttle(world: Any, settings: Any, password: str) -> None:
    _rates(settings, address="1000/min", username="3/min")
    client = APIClient()
    spellings = ["owner", " OWNER", "Owner ", "owner", "OWNER", "owner"]
    statuses = [
        client.post(
            TOKEN_URL,
            {"username": name, "password": "wrong-password"},
            format="json",
            REMOTE_ADDR=f"192.0.2.{i + 1}",
        ).status_code
        for i, name in enumerate(spellings)
    ]
    assert statuses == [401, 401, 401, 429, 429, 429]
    # The session login shares the same per-username budget, and the right password does not help.
    session_login = Client().post(
        LOGIN_URL,
        {"username": "owner", "password": password},
        content_type="application/json",
        REMOTE_ADDR="192.0.2.99",
    )
    assert session_login.status_code == 429
    # Another user's budget is untouched.
    teammate = client.post(
        TOKEN_URL, {"username": "teammate", "password": password}, format="json", REMOTE_ADDR="192.0.2.100"
    )
    assert teammate.status_code == 200


def test_admin_login_flood_is_throttled(world: Any, settings: Any) -> None:
    _rates(settings, address="5/min", username="1000/min")
    browser = Client()
    statuses = []
    for i in range(20):
        response = browser.post(
            ADMIN_LOGIN_URL,
            {"username": f"admin-{i}", "password": "wrong-password", "next": "/admin/"},
            HTTP_X_FORWARDED_FOR=f"10.1.{i}.{i}",
        )
        statuses.append(response.status_code)
    assert statuses[:5] == [200] * 5  # the admin re-renders its form on a wrong password
    assert statuses[5:] == [429] * 15
    assert int(response["Retry-After"]) >= 1
    assert response.json()["error"]["code"] == "throttled"


def test_admin_login_shares_the_username_budget(world: Any, settings: Any) -> None:
    _rates(settings, address="1000/min", username="3/min")
    for i in range(3):
        assert (
            APIClient()
            .post(
                TOKEN_URL,
                {"username": "owner", "password": "wrong-password"},
                format="json",
                REMOTE_ADDR=f"192.0.2.{i}",
            )
            .status_code
            == 401
        )
    flood = Client().post(ADMIN_LOGIN_URL, {"username": "owner", "password": "x"}, REMOTE_ADDR="198.51.100.1")
    assert flood.status_code == 429


# --- last admin -----------------------------------------------------------------------------


def test_admin_cannot_demote_the_last_admin(world: Any) -> None:
    client = world.client(world.owner)
    response = client.post("/api/v1/teams/acme/members/", {"username": "owner", "role": "member"}, format="json")
    assert response.status_code == 409, response.content
    error = response.json()["error"]
    assert error["code"] == "last_admin"
    assert "role" in error["fields"]
    assert Membership.objects.get(team=world.team, user=world.owner).role == "admin"
    # With a second admin, the first may step down.
    promoted = client.post("/api/v1/teams/acme/members/", {"username": "teammate", "role": "admin"}, format="json")
    assert promoted.status_code == 200
    demoted = client.post("/api/v1/teams/acme/members/", {"username": "owner", "role": "viewer"}, format="json")
    assert demoted.status_code == 200
    # ...and now the teammate is the last admin.
    again = world.client(world.teammate).post(
        "/api/v1/teams/acme/members/", {"username": "teammate", "role": "maintainer"}, format="json"
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "last_admin"


def test_last_admin_cannot_be_removed(world: Any) -> None:
    with pytest.raises(DomainConflict) as raised:
        services.membership_remove(team=world.team, user=world.owner)
    assert raised.value.code == "last_admin" and raised.value.field == "role"
    assert Membership.objects.filter(team=world.team, user=world.owner).exists()
    services.membership_remove(team=world.team, user=world.teammate)
    assert not Membership.objects.filter(team=world.team, user=world.teammate).exists()


# --- token revocation and expiry ------------------------------------------------------------


def _issue(password: str, **extra: Any) -> Any:
    return APIClient().post(TOKEN_URL, {"username": "owner", "password": password, **extra}, format="json")


def test_deleted_token_is_refused(world: Any, password: str) -> None:
    token = _issue(password).json()["token"]
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/auth/me/").status_code == 200
    assert client.delete(TOKEN_URL).status_code == 204
    refused = client.get("/api/v1/auth/me/")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "unauthenticated"
    assert active_token_user_id(token) is None
    assert APIClient().delete(TOKEN_URL).status_code == 401


def test_token_with_its_own_expiry_is_refused_once_expired(world: Any, password: str) -> None:
    response = _issue(password, expires_in_days=1)
    assert response.status_code == 200, response.content
    token = response.json()["token"]
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/auth/me/").status_code == 200
    assert active_token_user_id(token) == world.owner.pk
    TokenExpiry.objects.filter(token_id=token).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get("/api/v1/auth/me/").status_code == 401
    assert active_token_user_id(token) is None
    # Logging in again replaces the expired token with a working one.
    fresh = _issue(password).json()["token"]
    assert fresh != token
    assert APIClient(HTTP_AUTHORIZATION=f"Token {fresh}").get("/api/v1/auth/me/").status_code == 200


def test_site_wide_token_ttl(world: Any, password: str, settings: Any) -> None:
    settings.TOKEN_TTL_DAYS = 30
    token = _issue(password).json()["token"]
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/auth/me/").status_code == 200
    Token.objects.filter(key=token).update(created=timezone.now() - timedelta(days=31))
    assert client.get("/api/v1/auth/me/").status_code == 401
    assert active_token_user_id(token) is None


@pytest.mark.parametrize("value", [0, -1, 3651, "soon"])
def test_expires_in_days_is_validated(world: Any, password: str, value: Any) -> None:
    response = _issue(password, expires_in_days=value)
    assert response.status_code == 400
    assert "expires_in_days" in response.json()["error"]["fields"]


def test_inactive_user_token_is_refused(world: Any, password: str) -> None:
    token = _issue(password).json()["token"]
    world.owner.is_active = False
    world.owner.save(update_fields=["is_active"])
    assert APIClient(HTTP_AUTHORIZATION=f"Token {token}").get("/api/v1/auth/me/").status_code == 401
    assert active_token_user_id(token) is None
    assert active_token_user_id("") is None
    assert active_token_user_id("x" * 10_000) is None


def test_logout_revokes_the_token_issued_for_the_session(world: Any, password: str) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.get("/api/v1/auth/csrf/")
    csrf = browser.cookies["csrftoken"].value
    login = browser.post(
        LOGIN_URL, {"username": "owner", "password": password}, content_type="application/json", HTTP_X_CSRFTOKEN=csrf
    )
    assert login.status_code == 200
    issued = browser.post(TOKEN_URL, {"username": "owner", "password": password}, content_type="application/json")
    assert issued.status_code == 200
    token = issued.json()["token"]
    api = APIClient(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/auth/me/").status_code == 200
    csrf = browser.cookies["csrftoken"].value
    assert browser.post("/api/v1/auth/logout/", HTTP_X_CSRFTOKEN=csrf).status_code == 204
    assert api.get("/api/v1/auth/me/").status_code == 401
    assert not Token.objects.filter(key=token).exists()


def test_session_delete_revokes_the_token_issued_for_it(world: Any, password: str) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.get("/api/v1/auth/csrf/")
    csrf = browser.cookies["csrftoken"].value
    assert (
        browser.post(
            LOGIN_URL,
            {"username": "owner", "password": password},
            content_type="application/json",
            HTTP_X_CSRFTOKEN=csrf,
        ).status_code
        == 200
    )
    token = browser.post(TOKEN_URL, {"username": "owner", "password": password}, content_type="application/json")
    key = token.json()["token"]
    # Without the CSRF token a session-authenticated DELETE is refused and revokes nothing.
    assert browser.delete(TOKEN_URL).status_code == 403
    assert active_token_user_id(key) == world.owner.pk
    csrf = browser.cookies["csrftoken"].value
    assert browser.delete(TOKEN_URL, HTTP_X_CSRFTOKEN=csrf).status_code == 204
    assert active_token_user_id(key) is None
    assert browser.get("/api/v1/auth/me/").status_code == 200  # the session itself stays


def test_logout_leaves_a_token_the_session_did_not_issue(world: Any, password: str) -> None:
    cli_token = _issue(password).json()["token"]
    browser = Client()
    assert (
        browser.post(
            LOGIN_URL, {"username": "owner", "password": password}, content_type="application/json"
        ).status_code
        == 200
    )
    assert browser.post("/api/v1/auth/logout/").status_code == 204
    assert APIClient(HTTP_AUTHORIZATION=f"Token {cli_token}").get("/api/v1/auth/me/").status_code == 200


# --- passwords ------------------------------------------------------------------------------


@pytest.mark.parametrize("weak", ["password", "12345678", "qwertyuiop", "short"])
def test_weak_password_is_refused_by_the_create_user_command(db: Any, weak: str) -> None:
    with pytest.raises(CommandError, match="--password"):
        call_command("shipyard_create_user", username="mallory", password=weak)
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.filter(username="mallory").exists()


def test_weak_password_is_refused_by_the_service_naming_the_field(world: Any, password: str) -> None:
    with pytest.raises(DomainError) as raised:
        services.user_ensure(username="owner", password="password")
    assert raised.value.field == "password"
    world.owner.refresh_from_db()
    assert world.owner.check_password(password)
