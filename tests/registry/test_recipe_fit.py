"""Weights registered with a built-in recipe must fit it: checked on upload, in the child process."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shipyard.core.errors import DomainError
from shipyard.registry.models import ModelVersion, RegisteredModel
from shipyard.registry.versions import model_version_create
from tests.registry.conftest import stored_blobs, temp_leftovers

BASE = "/api/v1/projects/fraud-model"


@pytest.fixture(scope="module")
def digits_weights() -> dict[str, Any]:
    """The state_dict of a digits_mlp with one hidden layer of 16, trained for one epoch."""
    from shipyard_ml.data import load_sklearn_dataset
    from shipyard_ml.train import digits_mlp

    model, _ = digits_mlp({"hidden": [16], "epochs": 1}, 0, load_sklearn_dataset("digits"))
    return model.state_dict()


def state_dict_file(state: dict[str, Any]) -> bytes:
    import torch

    buf = io.BytesIO()
    torch.save(state, buf)
    return buf.getvalue()


def safetensors_file(state: dict[str, Any]) -> bytes:
    from safetensors.torch import save

    return save({k: v.contiguous() for k, v in state.items()})


def upload(client: Any, content: bytes, *, fmt: str, recipe: str, config: dict[str, Any]) -> Any:
    data = {
        "artifact": SimpleUploadedFile("digits.pt", content),
        "format": fmt,
        "recipe": recipe,
        "recipe_config": json.dumps(config),
    }
    return client.post(f"{BASE}/models/digits/versions/", data, format="multipart")


def assert_nothing_stored(artifact_root: Path) -> None:
    assert ModelVersion.objects.count() == 0 and RegisteredModel.objects.count() == 0
    assert stored_blobs(artifact_root) == [] and temp_leftovers(artifact_root) == []


@pytest.mark.parametrize("fmt", ["state_dict", "safetensors"])
def test_weights_that_do_not_fit_their_recipe_are_refused_and_nothing_is_stored(
    world: Any, artifact_root: Path, digits_weights: dict[str, Any], fmt: str
) -> None:
    content = state_dict_file(digits_weights) if fmt == "state_dict" else safetensors_file(digits_weights)
    response = upload(world.client(world.owner), content, fmt=fmt, recipe="digits_mlp", config={"hidden": [32]})
    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert error["code"] == "rejected"
    assert list(error["fields"]) == ["recipe"]
    assert "weights do not fit recipe 'digits_mlp'" in error["fields"]["recipe"][0]
    assert "\n" not in error["fields"]["recipe"][0]
    assert_nothing_stored(artifact_root)


def test_weights_of_another_architecture_are_refused(
    world: Any, artifact_root: Path, digits_weights: dict[str, Any]
) -> None:
    content = state_dict_file(digits_weights)
    response = upload(world.client(world.owner), content, fmt="state_dict", recipe="digits_cnn", config={})
    assert response.status_code == 400, response.json()
    assert "weights do not fit recipe 'digits_cnn'" in response.json()["error"]["fields"]["recipe"][0]
    assert_nothing_stored(artifact_root)


@pytest.mark.parametrize("fmt", ["state_dict", "safetensors"])
def test_weights_that_fit_their_recipe_are_registered(
    world: Any, artifact_root: Path, digits_weights: dict[str, Any], fmt: str
) -> None:
    content = state_dict_file(digits_weights) if fmt == "state_dict" else safetensors_file(digits_weights)
    response = upload(world.client(world.owner), content, fmt=fmt, recipe="digits_mlp", config={"hidden": [16]})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["format"] == fmt and body["recipe"] == "digits_mlp" and body["recipe_config"] == {"hidden": [16]}
    assert len(stored_blobs(artifact_root)) == 1 and temp_leftovers(artifact_root) == []


def test_a_recipe_label_names_no_architecture_and_is_not_checked(world: Any, digits_weights: dict[str, Any]) -> None:
    content = state_dict_file(digits_weights)
    response = upload(world.client(world.owner), content, fmt="state_dict", recipe="team-mlp", config={"hidden": [32]})
    assert response.status_code == 201, response.json()


def test_the_service_refuses_a_mismatch_naming_the_recipe(
    world: Any, artifact_root: Path, tmp_path: Path, digits_weights: dict[str, Any]
) -> None:
    path = tmp_path / "digits.pt"
    path.write_bytes(state_dict_file(digits_weights))
    with pytest.raises(DomainError) as refused:
        model_version_create(
            project=world.project,
            model_name="digits",
            artifact_file_or_path=path,
            format="state_dict",
            recipe="digits_mlp",
            recipe_config={"hidden": [16, 16]},
        )
    assert refused.value.field == "recipe"
    assert "weights do not fit recipe 'digits_mlp'" in str(refused.value)
    assert_nothing_stored(artifact_root)


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        ({"hidden": [2_000_000_000]}, "torch.Size([2000000000, 64])"),  # built on the meta device: no allocation
        ({"hidden": "x"}, "cannot be built with this recipe_config"),
        ({"hidden": [-1]}, "cannot be built with this recipe_config"),
    ],
    ids=["huge-layer", "not-a-list", "negative-width"],
)
def test_a_config_that_cannot_describe_the_weights_is_refused_naming_the_recipe(
    world: Any, artifact_root: Path, digits_weights: dict[str, Any], config: dict[str, Any], fragment: str
) -> None:
    content = state_dict_file(digits_weights)
    response = upload(world.client(world.owner), content, fmt="state_dict", recipe="digits_mlp", config=config)
    assert response.status_code == 400, response.json()
    assert fragment in response.json()["error"]["fields"]["recipe"][0]
    assert_nothing_stored(artifact_root)
