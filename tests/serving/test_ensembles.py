"""Ensembles through the API: bad input names the field, roles and scoping, and the ensemble is one
unit for deploy, canary and the quality gate."""

from __future__ import annotations

from typing import Any

import pytest

from shipyard.registry.models import ModelVersion
from shipyard.serving import lifecycle
from shipyard.serving.selectors import deployment_route
from tests.factories import MembershipFactory, UserFactory
from tests.serving.conftest import fake_version

URL = "/api/v1/projects/fraud-model/models/digits/ensembles/"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"members": [1]}, "members"),
        ({"members": []}, "members"),
        ({"members": [1, 1]}, "members"),
        ({"members": [1, 9]}, "members"),
        ({"members": [1, 3]}, "members"),  # v3 takes other inputs
        ({"members": [1, 2], "combine": "median"}, "combine"),
        ({"members": [1, 2], "combine": "weighted"}, "weights"),
        ({"members": [1, 2], "combine": "weighted", "weights": [1]}, "weights"),
        ({"members": [1, 2], "combine": "weighted", "weights": [0, 0]}, "weights"),
        ({"members": [1, 2], "weights": [1, 2]}, "weights"),
        ({"members": [1, 2], "metrics": {"accuracy": "high"}}, "metrics.accuracy"),
        ({"members": [1, 2], "surprise": 1}, "surprise"),
    ],
)
def test_bad_ensemble_is_a_400_naming_the_field(world: Any, body: dict[str, Any], field: str) -> None:
    fake_version(world.project)
    fake_version(world.project)
    v3 = fake_version(world.project)
    v3.signature = {**v3.signature, "inputs": [{"name": "input", "dtype": "float32", "shape": [-1, 32]}]}
    v3.save()
    res = world.client(world.owner).post(URL, body, format="json")
    assert res.status_code == 400, res.json()
    assert field in res.json()["error"]["fields"], res.json()
    assert not ModelVersion.objects.filter(format="ensemble").exists()


def test_roles_and_scoping(world: Any) -> None:
    fake_version(world.project)
    fake_version(world.project)
    viewer = UserFactory(username="viewer")
    MembershipFactory(user=viewer, team=world.team, role="viewer")
    assert world.client(viewer).post(URL, {"members": [1, 2]}, format="json").status_code == 403
    assert world.client(world.outsider).post(URL, {"members": [1, 2]}, format="json").status_code == 404
    missing = "/api/v1/projects/fraud-model/models/nope/ensembles/"
    assert world.client(world.owner).post(missing, {"members": [1, 2]}, format="json").status_code == 404
    res = world.client(world.teammate).post(URL, {"members": [1, 2], "combine": "vote"}, format="json")
    assert res.status_code == 201, res.json()
    assert res.json()["number"] == 3 and res.json()["ensemble"] == {
        "combine": "vote",
        "weights": None,
        "members": [1, 2],
    }


def test_an_uploaded_artifact_cannot_claim_to_be_an_ensemble(world: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    res = world.client(world.owner).post(
        "/api/v1/projects/fraud-model/models/digits/versions/",
        {"artifact": SimpleUploadedFile("e.json", b"{}"), "format": "ensemble"},
        format="multipart",
    )
    assert res.status_code == 400 and "format" in res.json()["error"]["fields"]


def test_the_ensemble_is_one_unit_for_canary_promote_and_the_gate(world: Any) -> None:
    v1, v2 = fake_version(world.project), fake_version(world.project)
    client = world.client(world.owner)
    res = client.post(
        URL, {"members": [1, 2], "combine": "weighted", "weights": [2, 1], "metrics": {"accuracy": 0.5}}, format="json"
    )
    assert res.status_code == 201, res.json()
    d = lifecycle.deployment_create(
        project=world.project, name="digits", model=v1.model, version=v1, by=world.owner, reason="first"
    )
    base = "/api/v1/projects/fraud-model/deployments/digits/"
    client.patch(base, {"quality_threshold": 0.9, "reason": "a gate for the ensemble"}, format="json")
    res = client.post(base + "canary/", {"version": 3, "weight": 10, "reason": "ensemble as a canary"}, format="json")
    assert res.status_code == 200, res.json()
    assert res.json()["canary_version"]["ensemble"] == {"combine": "weighted", "weights": [2.0, 1.0], "members": [1, 2]}
    # the gate judges the ensemble by its own metrics: 0.5 < 0.9
    res = client.post(base + "promote/", {"reason": "ship it"}, format="json")
    assert res.status_code == 409 and res.json()["error"]["code"] == "quality_gate", res.json()
    route = deployment_route(project="fraud-model", name="digits")
    assert route is not None and route.canary is not None
    assert [m.version_id for m in route.canary.members] == [v1.pk, v2.pk]
    assert route.canary.ensemble_spec(True) == {
        "c": "weighted",
        "w": [2.0, 1.0],
        "m": [[m.version_key, m.artifact_key, "onnx"] for m in route.canary.members],
        "r": True,
    }
    assert d.pk
