from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shipyard.registry.models import Alias, AliasMove, ModelVersion, RegisteredModel
from tests.factories import onnx_bytes
from tests.registry.conftest import (
    csv_bytes,
    onnx_external_bytes,
    pickle_payload_bytes,
    safetensors_bytes,
    state_dict_bytes,
    stored_blobs,
    temp_leftovers,
    torchscript_bytes,
    zip_bytes,
)

BASE = "/api/v1/projects/fraud-model"


def upload(
    client: Any, content: bytes, fmt: str = "onnx", model: str = "scorer", name: str = "model.onnx", **meta: Any
) -> Any:
    data = {"artifact": SimpleUploadedFile(name, content), "format": fmt, **meta}
    return client.post(f"{BASE}/models/{model}/versions/", data, format="multipart")


def test_upload_onnx_infers_signature_stores_content_addressed_and_downloads(world: Any, artifact_root: Path) -> None:
    client = world.client(world.owner)
    content = onnx_bytes()
    response = upload(client, content, metrics='{"accuracy": 0.91}', git_commit="abc1234", tags='{"team": "risk"}')
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["number"] == 1 and body["format"] == "onnx" and body["framework"] == "onnx"
    assert body["signature"]["inputs"] == [{"name": "x", "dtype": "float32", "shape": [None, 4]}]
    assert body["metrics"] == {"accuracy": 0.91}
    sha = hashlib.sha256(content).hexdigest()
    assert body["artifact_sha256"] == sha and body["artifact_size"] == len(content)
    assert stored_blobs(artifact_root) == [artifact_root / "sha256" / sha[:2] / sha[2:]]
    assert temp_leftovers(artifact_root) == []

    download = client.get(f"{BASE}/models/scorer/versions/1/artifact")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == content
    assert download["ETag"] == f'"{sha}"'

    partial = client.get(f"{BASE}/models/scorer/versions/1/artifact", HTTP_RANGE="bytes=10-19")
    assert partial.status_code == 206
    assert partial["Content-Range"] == f"bytes 10-19/{len(content)}"
    assert b"".join(partial.streaming_content) == content[10:20]
    suffix = client.get(f"{BASE}/models/scorer/versions/1/artifact", HTTP_RANGE="bytes=-5")
    assert b"".join(suffix.streaming_content) == content[-5:]
    unsatisfiable = client.get(f"{BASE}/models/scorer/versions/1/artifact", HTTP_RANGE=f"bytes={len(content)}-")
    assert unsatisfiable.status_code == 416

    detail = client.get(f"{BASE}/models/scorer/versions/1/").json()
    assert detail["lineage"]["nodes"][0]["kind"] == "model_version"
    assert detail["deployments"] == []
    # registered without training data or environment: model-1 evidence fails, naming what is missing
    assert [(e["test_id"], e["source"], e["passed"]) for e in detail["evidence"]] == [("model-1", "registry", False)]


def test_versions_number_up_and_identical_content_is_stored_once(world: Any, artifact_root: Path) -> None:
    client = world.client(world.teammate)
    assert upload(client, onnx_bytes()).json()["number"] == 1
    assert upload(client, onnx_bytes()).json()["number"] == 2
    assert upload(client, onnx_bytes(seed=1)).json()["number"] == 3
    assert len(stored_blobs(artifact_root)) == 2
    listed = client.get(f"{BASE}/models/scorer/versions/").json()
    assert [v["number"] for v in listed["results"]] == [3, 2, 1]
    models = client.get(f"{BASE}/models/").json()["results"]
    assert models[0]["name"] == "scorer" and models[0]["latest_version"] == 3


def test_every_format_is_accepted_when_valid(world: Any) -> None:
    client = world.client(world.owner)
    assert upload(client, state_dict_bytes(), "state_dict", name="m.pt", recipe="mlp").status_code == 201
    assert upload(client, safetensors_bytes(), "safetensors", name="m.safetensors").status_code == 201
    script = upload(client, torchscript_bytes(), "torchscript", name="m.ts")
    assert script.status_code == 201 and script.json()["code"] is True
    assert ModelVersion.objects.filter(code=False).count() == 2


REJECTED = [
    ("corrupt onnx", lambda tmp: b"\x08\x07garbage-not-a-protobuf\xff\xff" * 10, "onnx"),
    ("truncated onnx", lambda tmp: onnx_bytes()[:-40], "onnx"),
    ("onnx external data", lambda tmp: onnx_external_bytes(), "onnx"),
    ("truncated state_dict", lambda tmp: state_dict_bytes()[:200], "state_dict"),
    ("plain pickle", lambda tmp: __import__("pickle").dumps({"a": 1.0}), "state_dict"),
    ("safetensors bad header", lambda tmp: b"\xff" * 8 + b"{}", "safetensors"),
    ("truncated safetensors", lambda tmp: safetensors_bytes()[:-8], "safetensors"),
    ("torchscript not a zip", lambda tmp: b"PK\x03\x04 broken", "torchscript"),
    (
        "torchscript with .. member",
        lambda tmp: zip_bytes({"../evil/data.pkl": b"x", "a/code/x.py": b""}),
        "torchscript",
    ),
    ("empty file", lambda tmp: b"", "onnx"),
]


@pytest.mark.parametrize(("label", "make", "fmt"), REJECTED, ids=[r[0] for r in REJECTED])
def test_rejected_uploads_store_nothing(
    world: Any, artifact_root: Path, tmp_path: Path, label: str, make: Any, fmt: str
) -> None:
    response = upload(world.client(world.owner), make(tmp_path), fmt)
    assert response.status_code == 400, response.json()
    assert "artifact" in response.json()["error"]["fields"]
    assert ModelVersion.objects.count() == 0
    assert stored_blobs(artifact_root) == [] and temp_leftovers(artifact_root) == []


@pytest.mark.parametrize("torch_zip", [True, False], ids=["torch-zip", "raw-pickle"])
def test_pickle_reduce_payload_is_rejected_and_never_runs(
    world: Any, artifact_root: Path, tmp_path: Path, torch_zip: bool
) -> None:
    marker = tmp_path / "payload-ran"
    content = pickle_payload_bytes(marker, torch_zip=torch_zip)
    assert not marker.exists()
    response = upload(world.client(world.owner), content, "state_dict", name="model.pt")
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert "weights_only=True" in message
    assert not marker.exists(), "the pickle payload ran"
    assert ModelVersion.objects.count() == 0 and stored_blobs(artifact_root) == []


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("../escape", "'..'"),
        ("/etc/passwd", "absolute"),
        ("bad\x00name", "NUL"),
        ("file://x", "URL"),
        ("s3://bucket/k", "URL"),
    ],
)
def test_names_with_paths_nul_or_schemes_are_rejected(world: Any, value: str, fragment: str) -> None:
    client = world.client(world.owner)
    response = client.post(f"{BASE}/models/", {"name": value}, format="json")
    assert response.status_code == 400
    assert fragment.lower() in response.json()["error"]["fields"]["name"][0].lower()
    dataset = client.post(f"{BASE}/datasets/", {"name": value}, format="json")
    assert dataset.status_code == 400 and "name" in dataset.json()["error"]["fields"]
    assert RegisteredModel.objects.count() == 0


def test_upload_with_path_like_filename_is_rejected(world: Any, artifact_root: Path) -> None:
    # the multipart filename is reduced to its basename by Django; a path in metadata is refused
    from shipyard.core.errors import DomainError
    from shipyard.registry import versions

    with pytest.raises(DomainError) as excinfo:
        versions.model_version_create(
            project=world.project,
            model_name="m",
            artifact_file_or_path=__import__("io").BytesIO(onnx_bytes()),
            format="onnx",
            artifact_filename="../../x.onnx",
        )
    assert excinfo.value.field == "artifact"
    assert stored_blobs(artifact_root) == []


def test_source_uri_is_refused(world: Any) -> None:
    response = upload(world.client(world.owner), onnx_bytes(), source="file:///etc/passwd")
    assert response.status_code == 400 and "source" in response.json()["error"]["fields"]
    assert ModelVersion.objects.count() == 0


def test_bad_metadata_names_the_field(world: Any, artifact_root: Path) -> None:
    client = world.client(world.owner)
    for field, value in [
        ("metrics", '{"accuracy": "high"}'),
        ("metrics", "[1, 2]"),
        ("git_commit", "not-a-commit"),
        ("format", "pickle"),
        ("training_dataset", "nope:1"),
        ("parent", "7"),
        ("signature", '{"inputs": "x"}'),
        ("unknown_field", "1"),
    ]:
        response = (
            upload(client, onnx_bytes(), **{field: value})
            if field != "format"
            else upload(client, onnx_bytes(), fmt=value)
        )
        assert response.status_code == 400, (field, response.json())
        assert field in response.json()["error"]["fields"], (field, response.json())
    assert ModelVersion.objects.count() == 0
    assert stored_blobs(artifact_root) == [] and temp_leftovers(artifact_root) == []


def test_size_limit_answers_413_and_keeps_nothing(world: Any, settings: Any, artifact_root: Path) -> None:
    settings.MAX_UPLOAD_BYTES = 1000
    response = upload(world.client(world.owner), b"x" * 5000)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert ModelVersion.objects.count() == 0
    assert stored_blobs(artifact_root) == [] and temp_leftovers(artifact_root) == []


def test_signature_must_match_training_dataset_schema(world: Any) -> None:
    client = world.client(world.owner)
    ds = client.post(
        f"{BASE}/datasets/tx/versions/",
        {"file": SimpleUploadedFile("tx.csv", csv_bytes()), "format": "csv", "label_column": "label"},
        format="multipart",
    )
    assert ds.status_code == 201, ds.json()
    # the dataset has 5 features (f0..f3, country); the ONNX model takes 4
    wrong = upload(client, onnx_bytes(n_in=4), training_dataset="tx:1")
    assert wrong.status_code == 400
    assert "signature" in wrong.json()["error"]["fields"]
    right = upload(client, onnx_bytes(n_in=5), training_dataset="tx")
    assert right.status_code == 201, right.json()
    assert right.json()["training_dataset"] == {"dataset": "tx", "number": 1}
    named = upload(client, onnx_bytes(n_in=2), training_dataset="tx:1", signature='{"features": ["f0", "zz"]}')
    assert named.status_code == 400 and "zz" in named.json()["error"]["message"]


def test_idempotency_key_registers_once(world: Any) -> None:
    client = world.client(world.owner)
    first = upload(client, onnx_bytes(), idempotency_key="job-7")
    second = upload(client, onnx_bytes(seed=3), idempotency_key="job-7")
    assert first.status_code == 201 and second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert ModelVersion.objects.count() == 1


def test_lineage_parent_and_derived_versions(world: Any) -> None:
    client = world.client(world.owner)
    upload(client, onnx_bytes())
    upload(client, onnx_bytes(seed=2), parent="1")
    lineage = client.get(f"{BASE}/models/scorer/versions/1/").json()["lineage"]
    numbers = sorted(n["number"] for n in lineage["nodes"])
    assert numbers == [1, 2]
    assert any(e["kind"] == "derived" for e in lineage["edges"])
    child = client.get(f"{BASE}/models/scorer/versions/2/").json()
    assert child["parent"] == {"model": "scorer", "number": 1}


def test_outsider_sees_nothing(world: Any) -> None:
    upload(world.client(world.owner), onnx_bytes())
    outsider = world.client(world.outsider)
    for path in [
        f"{BASE}/models/",
        f"{BASE}/models/scorer/",
        f"{BASE}/models/scorer/versions/",
        f"{BASE}/models/scorer/versions/1/",
        f"{BASE}/models/scorer/versions/1/artifact",
        f"{BASE}/models/scorer/aliases/",
        f"{BASE}/datasets/",
    ]:
        assert outsider.get(path).status_code == 404, path
    assert upload(outsider, onnx_bytes()).status_code == 404
    assert (
        outsider.post(f"{BASE}/models/scorer/aliases/", {"alias": "champion", "version": 1}, format="json").status_code
        == 404
    )
    # and the outsider's own project lists none of ours
    assert outsider.get("/api/v1/projects/rival-secret/models/").json()["results"] == []
    assert ModelVersion.objects.count() == 1


def test_unauthenticated_is_401(world: Any) -> None:
    from rest_framework.test import APIClient

    assert APIClient().get(f"{BASE}/models/").status_code == 401


def test_alias_moves_are_recorded_and_role_checked(world: Any) -> None:
    owner = world.client(world.owner)
    upload(owner, onnx_bytes())
    upload(owner, onnx_bytes(seed=1))
    url = f"{BASE}/models/scorer/aliases/"
    assert world.client(world.teammate).post(url, {"alias": "champion", "version": 1}, format="json").status_code == 403
    assert owner.post(url, {"alias": "champion", "version": 1}, format="json").json()["version"] == 1
    assert (
        owner.post(url, {"alias": "champion", "version": 2, "reason": "better"}, format="json").json()["version"] == 2
    )
    stale = owner.post(url, {"alias": "champion", "version": 1, "expected_version": 1}, format="json")
    assert stale.status_code == 409 and "expected_version" in stale.json()["error"]["fields"]
    assert owner.post(url, {"alias": "Bad Name", "version": 1}, format="json").status_code == 400
    assert owner.post(url, {"alias": "x", "version": 9}, format="json").json()["error"]["fields"].keys() == {"version"}
    body = owner.get(url).json()
    assert body["aliases"] == [
        {"name": "champion", "version": 2, "updated_by": "owner", "updated_at": body["aliases"][0]["updated_at"]}
    ]
    assert [(m["from_version"], m["to_version"]) for m in body["moves"]] == [(1, 2), (None, 1)]
    resolved = owner.get(f"{BASE}/models/scorer/versions/2/").json()
    assert resolved["aliases"] == ["champion"]
    assert owner.delete(f"{url}champion/").status_code == 204
    assert Alias.objects.count() == 0 and AliasMove.objects.count() == 3
