from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from shipyard.projects.models import Project
from tests.factories import MembershipFactory, UserFactory


def test_create_list_get_update_delete(world: Any) -> None:
    client = world.client(world.owner)
    created = client.post(
        "/api/v1/projects/", {"slug": "churn", "name": "Churn", "team": "acme", "description": "d"}, format="json"
    )
    assert created.status_code == 201, created.json()
    assert created.json()["team"] == "acme"
    listed = client.get("/api/v1/projects/").json()
    assert [p["slug"] for p in listed["results"]] == ["churn", "fraud-model"]
    assert client.get("/api/v1/projects/?search=chur").json()["count"] == 1
    assert client.get("/api/v1/projects/churn/").json()["name"] == "Churn"
    by_id = client.get(f"/api/v1/projects/{created.json()['id']}/")
    assert by_id.status_code == 200 and by_id.json()["slug"] == "churn"
    patched = client.patch("/api/v1/projects/churn/", {"name": "Churn v2"}, format="json")
    assert patched.status_code == 200 and patched.json()["name"] == "Churn v2"
    assert client.delete("/api/v1/projects/churn/").status_code == 204
    assert not Project.objects.filter(slug="churn").exists()


def test_another_teams_project_is_404_everywhere(world: Any) -> None:
    client = world.client(world.outsider)
    assert [p["slug"] for p in client.get("/api/v1/projects/").json()["results"]] == ["rival-secret"]
    for path in ("/api/v1/projects/fraud-model/", f"/api/v1/projects/{world.project.id}/"):
        assert client.get(path).status_code == 404
        assert client.patch(path, {"name": "pwned"}, format="json").status_code == 404
        assert client.delete(path).status_code == 404
    assert client.get("/api/v1/projects/?team=acme").json()["count"] == 0
    denied = client.post("/api/v1/projects/", {"slug": "sneaky", "name": "S", "team": "acme"}, format="json")
    assert denied.status_code == 400 and "team" in denied.json()["error"]["fields"]
    world.project.refresh_from_db()
    assert world.project.name == "Fraud model"


@pytest.mark.parametrize(
    ("payload", "field", "status"),
    [
        ({"slug": "Bad Slug", "name": "x", "team": "acme"}, "slug", 400),
        ({"slug": "ok", "name": "x" * 101, "team": "acme"}, "name", 400),
        ({"slug": "ok", "name": 12, "team": "acme", "evidence_window_days": "soon"}, "evidence_window_days", 400),
        ({"slug": "ok", "team": "acme"}, "name", 400),
        ({"slug": "ok", "name": "x", "team": "acme", "owner": "me"}, "owner", 400),
        ({"slug": "fraud-model", "name": "dup", "team": "acme"}, "slug", 409),
        ({"slug": "ok", "name": "x", "team": "acme", "evidence_window_days": 0}, "evidence_window_days", 400),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    world: Any, payload: dict[str, Any], field: str, status: int
) -> None:
    before = Project.objects.count()
    response = world.client(world.owner).post("/api/v1/projects/", payload, format="json")
    assert response.status_code == status, response.json()
    error = response.json()["error"]
    assert field in error["fields"], error
    assert field in error["message"]
    assert Project.objects.count() == before


def test_malformed_json_is_400(world: Any) -> None:
    response = world.client(world.owner).generic(
        "POST", "/api/v1/projects/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_non_object_body_is_400(world: Any) -> None:
    response = world.client(world.owner).post("/api/v1/projects/", [1, 2], format="json")
    assert response.status_code == 400


def test_roles(world: Any) -> None:
    viewer = UserFactory(username="viewer")
    MembershipFactory(user=viewer, team=world.team, role="viewer")
    client = world.client(viewer)
    assert client.get("/api/v1/projects/fraud-model/").status_code == 200
    assert (
        client.post("/api/v1/projects/", {"slug": "v", "name": "V", "team": "acme"}, format="json").status_code == 403
    )
    assert client.patch("/api/v1/projects/fraud-model/", {"name": "x"}, format="json").status_code == 403
    # Members edit; only admins delete.
    assert (
        world.client(world.teammate).patch("/api/v1/projects/fraud-model/", {"name": "y"}, format="json").status_code
        == 200
    )
    assert world.client(world.teammate).delete("/api/v1/projects/fraud-model/").status_code == 403


def test_slug_is_not_changeable(world: Any) -> None:
    response = world.client(world.owner).patch("/api/v1/projects/fraud-model/", {"slug": "renamed"}, format="json")
    assert response.status_code == 400 and "slug" in response.json()["error"]["fields"]


def test_unknown_api_path_is_json_404(world: Any) -> None:
    response = APIClient().get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_non_ascii_digits_in_a_reference_are_a_404(world: Any) -> None:
    # "²".isdigit() is true but int("²") fails: such a reference must be a plain 404.
    client = world.client(world.owner)
    for method in ("get", "patch", "delete"):
        assert getattr(client, method)("/api/v1/projects/%C2%B2/").status_code == 404
