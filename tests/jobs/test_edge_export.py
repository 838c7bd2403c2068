"""export_executorch end to end through a real Celery worker: a compact digits CNN lowered to an
ExecuTorch program with XNNPACK, parity measured in ExecuTorch's runtime, the program registered as a
new version with lineage; a version of the wrong kind is refused; a converter failure names the op."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.jobs.conftest import register_compact, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_export_executorch_through_a_worker(world: Any, celery_worker: Any, compact_weights: Path) -> None:
    from shipyard.registry.models import ModelVersion

    source = register_compact(world.project, compact_weights, by=world.owner)
    client = world.client(world.owner)
    profiles = "/api/v1/projects/fraud-model/edge-profiles/"
    phone = {"name": "phone", "max_size_bytes": 5_000_000, "max_latency_ms": 50, "min_accuracy": 0.8}
    watch = {"name": "watch", "max_size_bytes": 1000, "max_latency_ms": 50, "min_accuracy": 0.8}
    assert client.post(profiles, phone, format="json").status_code == 201
    assert client.post(profiles, watch, format="json").status_code == 201
    res = client.post(
        "/api/v1/jobs/",
        {
            "project": "fraud-model",
            "kind": "export_executorch",
            "model_version": source.pk,
            "params": {"latency_repeats": 3},
        },
        format="json",
    )
    assert res.status_code == 201, res.content
    job = wait_for(res.json()["id"], timeout=300, worker=celery_worker)
    assert job.status == "succeeded", (job.message, job.log[-5:])
    report = job.result
    assert report["kind"] == "export_executorch" and report["format"] == "executorch"
    assert report["max_abs_diff"] <= 1e-4 and report["parity_rows"] == 450
    assert set(report["latency_ms"]) == {"pytorch", "executorch", "onnxruntime"}
    assert all(v["1"] > 0 for v in report["latency_ms"].values())
    exported = ModelVersion.objects.get(pk=report["version"]["id"])
    assert exported.format == "executorch" and exported.parent_id == source.pk and exported.produced_by_job_id == job.pk
    assert exported.artifact_size == report["size_bytes"] > 1000
    assert exported.params["delegate"] == "xnnpack"
    assert report["accuracy"] >= 0.8

    # the profiles: checked on the export, in the report, and as infra-4 evidence on the version's page
    verdicts = {p["name"]: p for p in report["profiles"]}
    assert verdicts["phone"]["passed"] is True
    assert verdicts["watch"]["passed"] is False and verdicts["watch"]["checks"]["size_bytes"]["passed"] is False
    assert verdicts["watch"]["checks"]["accuracy"]["passed"] is True
    page = client.get(f"/api/v1/projects/fraud-model/models/digits-compact/versions/{exported.number}/").json()
    edge = {e["title"].split("'")[1]: e for e in page["evidence"] if e["test_id"] == "infra-4"}
    assert edge["phone"]["passed"] is True and edge["watch"]["passed"] is False
    assert "on executorch" in edge["phone"]["title"] and "max 0.001 MB" in edge["watch"]["title"]

    # the registered program runs in ExecuTorch's runtime with the parent's predictions
    from shipyard.registry.selectors import artifact_path
    from shipyard_ml.data import load_sklearn_dataset
    from shipyard_ml.edge import executorch_predictor

    data = load_sklearn_dataset("digits")
    outputs = executorch_predictor(str(artifact_path(exported)))(data.X_eval[:20])
    assert outputs.shape == (20, 10) and (np.argmax(outputs, 1) == data.y_eval[:20]).mean() >= 0.8

    # a version of the wrong kind: 400 naming model_version, nothing queued
    wrong = client.post(
        "/api/v1/jobs/",
        {"project": "fraud-model", "kind": "export_executorch", "model_version": exported.pk},
        format="json",
    )
    assert wrong.status_code == 400 and "model_version" in wrong.json()["error"]["fields"]


def test_converter_failure_names_the_op(tmp_path: Path) -> None:
    import torch

    from shipyard_ml.edge import export_executorch
    from shipyard_ml.export import ExportFailed

    class DataDependent(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.nonzero(x).float().sum(0, keepdim=True)

    with pytest.raises(ExportFailed, match=r"ExecuTorch lowering failed at operator aten\.\w+"):
        export_executorch(DataDependent(), tmp_path / "bad.pte", np.ones((4, 64), dtype=np.float32))
    assert not (tmp_path / "bad.pte").exists()


@pytest.mark.parametrize(
    "body,field",
    [
        ({"min_accuracy": 1.5}, "min_accuracy"),
        ({"min_accuracy": -0.1}, "min_accuracy"),
        ({"max_latency_ms": 0}, "max_latency_ms"),
        ({"max_latency_ms": -5}, "max_latency_ms"),
        ({"max_size_bytes": 0}, "max_size_bytes"),
        ({"max_size_bytes": "big"}, "max_size_bytes"),
        ({"name": "no spaces allowed"}, "name"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_impossible_profile_is_a_400_naming_the_field(world: Any, body: dict[str, Any], field: str) -> None:
    from shipyard.jobs.models import EdgeProfile

    good = {"name": "phone", "max_size_bytes": 5_000_000, "max_latency_ms": 10, "min_accuracy": 0.95}
    res = world.client(world.owner).post("/api/v1/projects/fraud-model/edge-profiles/", {**good, **body}, format="json")
    assert res.status_code == 400 and field in res.json()["error"]["fields"], res.content
    assert not EdgeProfile.objects.exists()


def test_profiles_roles_scoping_and_conflicts(world: Any) -> None:
    url = "/api/v1/projects/fraud-model/edge-profiles/"
    body = {"name": "phone", "max_size_bytes": 5_000_000, "max_latency_ms": 10, "min_accuracy": 0.95}
    assert world.client(world.teammate).post(url, body, format="json").status_code == 403
    assert world.client(world.outsider).get(url).status_code == 404
    owner = world.client(world.owner)
    assert owner.post(url, body, format="json").status_code == 201
    again = owner.post(url, body, format="json")
    assert again.status_code == 409 and "name" in again.json()["error"]["fields"]
    assert [p["name"] for p in world.client(world.teammate).get(url).json()] == ["phone"]
    assert world.client(world.teammate).delete(f"{url}phone/").status_code == 403
    assert owner.delete(f"{url}phone/").status_code == 204
    assert owner.delete(f"{url}phone/").status_code == 404
