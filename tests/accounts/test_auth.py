from __future__ import annotations

from typing import Any

from django.test import Client
from rest_framework.test import APIClient


def test_token_round_trip(world: Any, password: str) -> None:
    client = APIClient()
    response = client.post("/api/v1/auth/token/", {"username": "owner", "password": password}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = client.get("/api/v1/auth/me/").json()
    assert me["username"] == "owner"
    assert me["teams"] == [{"slug": "acme", "name": "Acme", "role": "admin"}]


def test_wrong_password_and_unknown_user_look_the_same(world: Any) -> None:
    client = APIClient()
    wrong_password = client.post("/api/v1/auth/token/", {"username": "owner", "password": "nope-nope"}, format="json")
    unknown_user = client.post("/api/v1/auth/token/", {"username": "ghost", "password": "nope-nope"}, format="json")
    assert wrong_password.status_code == unknown_user.status_code == 401
    assert wrong_password.json() == unknown_user.json()
    assert wrong_password.json()["error"]["code"] == "unauthenticated"


def test_token_endpoint_validates_fields(world: Any) -> None:
    response = APIClient().post("/api/v1/auth/token/", {"username": "owner"}, format="json")
    assert response.status_code == 400
    assert "password" in response.json()["error"]["fields"]


def test_anonymous_is_401(db: Any) -> None:
    response = APIClient().get("/api/v1/projects/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_session_login_requires_csrf(world: Any, password: str) -> None:
    browser = Client(enforce_csrf_checks=True)
    denied = browser.post(
        "/api/v1/auth/login/", {"username": "owner", "password": password}, content_type="application/json"
    )
    assert denied.status_code == 403
    browser.get("/api/v1/auth/csrf/")
    token = browser.cookies["csrftoken"].value
    ok = browser.post(
        "/api/v1/auth/login/",
        {"username": "owner", "password": password},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert ok.status_code == 200, ok.content
    assert ok.json()["user"]["username"] == "owner"
    # After login the session is used; unsafe requests still need the (rotated) CSRF token.
    token = browser.cookies["csrftoken"].value
    no_csrf = browser.post(
        "/api/v1/projects/", {"slug": "x", "name": "X", "team": "acme"}, content_type="application/json"
    )
    assert no_csrf.status_code == 403
    created = browser.post(
        "/api/v1/projects/",
        {"slug": "x", "name": "X", "team": "acme"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert created.status_code == 201, created.content
    assert browser.post("/api/v1/auth/logout/", HTTP_X_CSRFTOKEN=token).status_code == 204
    assert browser.get("/api/v1/auth/me/").status_code == 401


def test_teams_are_scoped(world: Any) -> None:
    teams = world.client(world.outsider).get("/api/v1/teams/").json()
    assert [t["slug"] for t in teams["results"]] == ["rival"]
    assert world.client(world.outsider).get("/api/v1/teams/acme/").status_code == 404


def test_team_create_makes_caller_admin_and_members(world: Any) -> None:
    client = world.client(world.teammate)
    response = client.post("/api/v1/teams/", {"slug": "vision", "name": "Vision"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["role"] == "admin"
    dup = client.post("/api/v1/teams/", {"slug": "vision", "name": "Again"}, format="json")
    assert dup.status_code == 409 and "slug" in dup.json()["error"]["fields"]
    added = client.post("/api/v1/teams/vision/members/", {"username": "owner", "role": "viewer"}, format="json")
    assert added.status_code == 200
    # A member (not admin) of acme may not manage acme's members.
    denied = client.post("/api/v1/teams/acme/members/", {"username": "outsider", "role": "admin"}, format="json")
    assert denied.status_code == 403


def test_management_commands_create_user_team_token(db: Any) -> None:
    from io import StringIO

    from django.core.management import call_command

    call_command("shipyard_create_user", username="ada", password="analytical-engine", team="lab", role="admin")
    out = StringIO()
    call_command("shipyard_create_token", username="ada", stdout=out)
    token = out.getvalue().strip()
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/teams/").json()["results"][0]["slug"] == "lab"
