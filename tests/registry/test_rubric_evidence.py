"""The registry feeds the rubric: data-1 from a dataset version's schema, model-1 from a version's provenance."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from shipyard.registry import versions
from shipyard.rubric.models import Evidence
from shipyard.rubric.services import evidence_record
from tests.factories import onnx_bytes
from tests.registry.conftest import csv_bytes

BASE = "/api/v1/projects/fraud-model"
ENVIRONMENT = '{"python": "3.11.2", "packages": {"onnx": "1.17.0"}}'


def post_dataset(client: Any, content: bytes, name: str = "tx", **meta: Any) -> Any:
    data = {"file": SimpleUploadedFile("data.csv", content), "format": "csv", **meta}
    return client.post(f"{BASE}/datasets/{name}/versions/", data, format="multipart")


def post_model(client: Any, content: bytes, model: str = "scorer", **meta: Any) -> Any:
    data = {"artifact": SimpleUploadedFile("model.onnx", content), "format": "onnx", **meta}
    return client.post(f"{BASE}/models/{model}/versions/", data, format="multipart")


def score_test(client: Any, test_id: str) -> dict[str, Any]:
    response = client.get(f"{BASE}/score/")
    assert response.status_code == 200, response.json()
    return dict(response.json()["tests"][test_id])


def test_registry_is_an_evidence_source() -> None:
    assert ("registry", "Registry") in Evidence._meta.get_field("source").choices


def test_dataset_version_records_data_1_and_the_latest_version_supersedes(world: Any) -> None:
    client = world.client(world.teammate)
    assert post_dataset(client, csv_bytes(60), label_column="label").status_code == 201
    assert post_dataset(client, csv_bytes(30), label_column="label").status_code == 201
    rows = list(Evidence.objects.filter(test_id="data-1").order_by("id"))
    assert [(e.source, e.key, e.passed) for e in rows] == [("registry", "dataset:tx", True)] * 2
    latest = rows[-1]
    assert latest.detail["dataset_version"] == 2 and latest.detail["features"] == 5 and latest.detail["rows"] == 30
    assert latest.link == "/projects/fraud-model/datasets/tx" and latest.recorded_by == world.teammate
    assert "tx v2" in latest.title

    state = score_test(client, "data-1")
    assert state["evidence_state"] == "verified" and state["points"]["verified"] == 1
    # one (source, key): only the latest observation is listed
    assert [e["title"] for e in state["evidence"]] == [latest.title]
    listed = client.get(f"{BASE}/evidence/?source=registry").json()
    assert {e["test_id"] for e in listed["results"]} == {"data-1"}


def test_rejected_or_repeated_dataset_uploads_record_nothing_new(world: Any) -> None:
    client = world.client(world.owner)
    bad = post_dataset(client, csv_bytes(20), label_column="no-such-column")
    assert bad.status_code == 400
    assert not Evidence.objects.exists()
    assert post_dataset(client, csv_bytes(20), idempotency_key="nightly-1").status_code == 201
    assert post_dataset(client, csv_bytes(20), idempotency_key="nightly-1").status_code == 201
    assert Evidence.objects.filter(test_id="data-1").count() == 1


def test_model_version_with_provenance_records_passing_model_1(world: Any) -> None:
    client = world.client(world.owner)
    assert post_dataset(client, csv_bytes(), label_column="label").status_code == 201
    response = post_model(
        client, onnx_bytes(n_in=5), training_dataset="tx:1", git_commit="abc1234", environment=ENVIRONMENT
    )
    assert response.status_code == 201, response.json()
    evidence = Evidence.objects.get(test_id="model-1")
    assert evidence.source == "registry" and evidence.passed and evidence.key == "model:scorer"
    assert evidence.detail["model_version_id"] == response.json()["id"] and evidence.detail["missing"] == []
    assert evidence.link == "/projects/fraud-model/models/scorer/versions/1"
    # shown on the version page (detail.model_version_id)
    page = client.get(f"{BASE}/models/scorer/versions/1/").json()
    assert [(e["test_id"], e["source"], e["passed"]) for e in page["evidence"]] == [("model-1", "registry", True)]
    assert score_test(client, "model-1")["evidence_state"] == "verified"


def test_version_without_provenance_fails_model_1_and_supersedes_the_pass(world: Any) -> None:
    client = world.client(world.owner)
    assert post_dataset(client, csv_bytes(), label_column="label").status_code == 201
    good = post_model(client, onnx_bytes(n_in=5), training_dataset="tx", git_commit="abc1234", environment=ENVIRONMENT)
    assert good.status_code == 201, good.json()
    assert post_model(client, onnx_bytes(n_in=5, seed=1), git_commit="abc1234").status_code == 201
    latest = Evidence.objects.filter(test_id="model-1").order_by("-id").first()
    assert latest is not None and not latest.passed
    assert latest.detail["missing"] == ["training_dataset", "environment"]
    assert "without training dataset, environment" in latest.title
    state = score_test(client, "model-1")
    # failing evidence never raises a score: unclaimed stays 0
    assert state["evidence_state"] == "failing" and state["points"]["verified"] == 0


def test_job_produced_versions_record_no_model_1_evidence(world: Any) -> None:
    base = versions.model_version_create(
        project=world.project,
        model_name="scorer",
        artifact_file_or_path=BytesIO(onnx_bytes()),
        format="onnx",
        artifact_filename="model.onnx",
        by=world.owner,
    )
    assert Evidence.objects.filter(test_id="model-1").count() == 1
    versions.model_version_create(
        project=world.project,
        model_name="scorer",
        artifact_file_or_path=BytesIO(onnx_bytes(seed=4)),
        format="onnx",
        parent=base,
        produced_by_job_id=123,
        artifact_filename="export.onnx",
    )
    assert Evidence.objects.filter(test_id="model-1").count() == 1


def test_evidence_record_accepts_the_registry_source(world: Any) -> None:
    row = evidence_record(project=world.project, test_id="data-1", source="registry", passed=True, title="t", key="k")
    assert row.source == "registry"
