"""Bad input around explain and replay: each a 4xx naming the field, nothing started; no worker needed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shipyard.jobs.models import Job
from tests.debugging.conftest import MLP_CONFIG, dataset, deploy, digits_rows, log, serve_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(world: Any, mlp_weights: Path, mlp_onnx: Path, digits_csv: Path) -> Any:
    dv = dataset(world.project, digits_csv)
    d, v = deploy(
        world.project,
        mlp_weights,
        "state_dict",
        name="digits",
        training=dv,
        recipe="digits_mlp",
        recipe_config=MLP_CONFIG,
    )
    ids = log(d, v, digits_rows(2), [0, 1])
    return d, v, ids


URL = "/serve/fraud-model/digits/explain"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"inputs": [[1.0, 2.0]]}, "inputs"),
        ({"inputs": [["x"] * 64]}, "pixel_0"),
        ({"inputs": [[0.0] * 64] * 33}, "inputs"),
        ({}, "inputs"),
        ({"inputs": [[0.0] * 64], "request_id": "req-0"}, "inputs"),
        ({"inputs": [[0.0] * 64], "colour": 1}, "colour"),
        ({"inputs": [[0.0] * 64], "method": "lime"}, "method"),
        ({"inputs": [[0.0] * 64], "nsamples": 1}, "nsamples"),
        ({"inputs": [[0.0] * 64], "routing_key": ["a"]}, "routing_key"),
        ({"request_id": 5}, "request_id"),
        ([1, 2], "body"),
    ],
)
def test_explain_bad_body_names_the_field(world: Any, setup: Any, body: Any, field: str) -> None:
    res = serve_client(world.owner).post(URL, body, format="json")
    assert res.status_code == 400, res.json()
    assert any(name.split("[")[0] == field for name in res.json()["error"]["fields"]), res.json()
    assert not Job.objects.exists()


def test_explain_access(world: Any, setup: Any) -> None:
    body = {"inputs": [[0.0] * 64]}
    from rest_framework.test import APIClient

    assert APIClient().post(URL, body, format="json").status_code == 401
    assert serve_client(world.outsider).post(URL, body, format="json").status_code == 404
    res = serve_client(world.owner).post("/serve/fraud-model/digits/explain", {"request_id": "nope"}, format="json")
    assert res.status_code == 404 and "request_id" in res.json()["error"]["fields"]
    assert serve_client(world.owner).get(URL).status_code == 405
    assert serve_client(world.outsider).get("/serve/fraud-model/digits/explain/1").status_code == 404
    assert not Job.objects.exists()


def test_onnx_without_training_dataset_is_422(world: Any, mlp_onnx: Path) -> None:
    from shipyard.registry.versions import model_version_create
    from shipyard.serving.models import Deployment

    v = model_version_create(project=world.project, model_name="bare", artifact_file_or_path=mlp_onnx, format="onnx")
    Deployment.objects.create(project=world.project, name="bare", model=v.model, live_version=v)
    res = serve_client(world.owner).post("/serve/fraud-model/bare/explain", {"inputs": [[0.0] * 64]}, format="json")
    assert res.status_code == 422
    assert "training dataset" in res.json()["error"]["message"]
    assert not Job.objects.exists()


def test_replay_bad_input_and_roles(world: Any, setup: Any, mlp_onnx: Path) -> None:
    from shipyard.registry.versions import model_version_create
    from tests.factories import MembershipFactory, UserFactory

    _, _, ids = setup
    url = "/api/v1/projects/fraud-model/deployments/digits/replay/"
    owner = world.client(world.owner)
    res = owner.post(url, {"request_ids": ids, "version": 99}, format="json")
    assert res.status_code == 400 and "version" in res.json()["error"]["fields"]
    res = owner.post(url, {"request_ids": ["missing"], "version": 1}, format="json")
    assert res.status_code == 404
    res = owner.post(url, {"request_ids": [], "version": 1}, format="json")
    assert res.status_code == 400 and "request_ids" in res.json()["error"]["fields"]
    res = owner.post(url, {"request_ids": ids, "version": 1, "extra": 1}, format="json")
    assert res.status_code == 400 and "extra" in res.json()["error"]["fields"]
    other = model_version_create(
        project=world.project, model_name="other", artifact_file_or_path=mlp_onnx, format="onnx"
    )
    assert other.number == 1  # another model's v1 is not the deployed model's
    viewer = UserFactory(username="viewer")
    MembershipFactory(user=viewer, team=world.team, role="viewer")
    assert world.client(viewer).post(url, {"request_ids": ids, "version": 1}, format="json").status_code == 403
    assert world.client(viewer).get("/api/v1/projects/fraud-model/deployments/digits/predictions/").status_code == 200
    assert world.client(world.outsider).post(url, {"request_ids": ids, "version": 1}, format="json").status_code == 404
    res = owner.get("/api/v1/projects/fraud-model/deployments/digits/predictions/?limit=0")
    assert res.status_code == 400 and "limit" in res.json()["error"]["fields"]
    assert not Job.objects.exists()
