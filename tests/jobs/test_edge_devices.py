"""Edge exports for devices through a real Celery worker: a Core ML package (spec checked, parity not
measurable on Linux, profiles checked on size only) and an int8 ExecuTorch program (PT2E, gated on
accuracy against its fp32 parent in ExecuTorch's runtime); refusals name the field, an unsupported
operator is named by the failed job, downloads are named for the platform."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.jobs.conftest import register_compact, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

JOBS = "/api/v1/jobs/"
PROFILES = "/api/v1/projects/fraud-model/edge-profiles/"


def _start(client: Any, kind: str, version: int, params: dict[str, Any]) -> Any:
    body = {"project": "fraud-model", "kind": kind, "model_version": version, "params": params}
    return client.post(JOBS, body, format="json")


def _gate_evidence(job: Any, passed: bool) -> Any:
    """The job's infra-4 gate evidence (the worker records it just after it finishes the job)."""
    from shipyard.rubric.models import Evidence

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = Evidence.objects.filter(test_id="infra-4", passed=passed, detail__job=job.pk).first()
        if found is not None:
            return found
        time.sleep(0.1)
    raise AssertionError(f"no infra-4 evidence from job {job.pk}")


def _download(client: Any, version: Any) -> Any:
    url = f"/api/v1/projects/fraud-model/models/{version.model.name}/versions/{version.number}/artifact"
    res = client.get(url)
    assert res.status_code == 200
    return res


def test_export_coreml_through_a_worker(world: Any, celery_worker: Any, compact_weights: Path, tmp_path: Path) -> None:
    from shipyard.registry.models import ModelVersion

    source = register_compact(world.project, compact_weights, by=world.owner)
    client = world.client(world.owner)
    phone = {"name": "phone", "max_size_bytes": 5_000_000, "max_latency_ms": 50, "min_accuracy": 0.8}
    watch = {"name": "watch", "max_size_bytes": 1000, "max_latency_ms": 50, "min_accuracy": 0.8}
    tablet = {"name": "tablet", "max_size_bytes": 5_000_000, "max_latency_ms": 50, "min_accuracy": 0.8}
    for profile in (phone, watch, tablet):
        assert client.post(PROFILES, profile, format="json").status_code == 201

    res = _start(client, "export_coreml", source.pk, {"precision": "fp16", "edge_profiles": ["phone", "watch"]})
    assert res.status_code == 201, res.content
    job = wait_for(res.json()["id"], timeout=300, worker=celery_worker)
    assert job.status == "succeeded", (job.message, job.log[-5:])
    report = job.result
    assert report["kind"] == "export_coreml" and report["format"] == "coreml"
    # nothing was run, so no parity, latency or accuracy figure is reported, and the report says why
    assert report["max_abs_diff"] is None and report["parity_rows"] == 0 and report["latency_ms"] == {}
    assert report["accuracy"] is None and "not measurable on this platform" in report["parity"]
    spec = report["spec"]
    assert spec["model_type"] == "mlProgram" and spec["compute_precision"] == "fp16"
    assert spec["minimum_deployment_target"] == "iOS16"
    assert spec["inputs"][0]["shape"] == [1, 64] and spec["outputs"][0]["shape"] == [1, 10]
    assert {"conv", "linear"} <= set(spec["op_types"]) and "float16" in spec["weight_dtypes"]

    exported = ModelVersion.objects.get(pk=report["version"]["id"])
    assert exported.format == "coreml" and exported.parent_id == source.pk and exported.produced_by_job_id == job.pk
    assert exported.artifact_size == report["size_bytes"] > 1000
    assert exported.params["compute_precision"] == "fp16" and "not measurable" in exported.params["parity"]

    # only the profiles asked for, checked on size; latency and accuracy marked not measurable
    verdicts = {p["name"]: p for p in report["profiles"]}
    assert set(verdicts) == {"phone", "watch"}
    assert verdicts["phone"]["passed"] is True and verdicts["watch"]["passed"] is False
    assert verdicts["phone"]["checks"]["latency_ms"]["passed"] is None
    assert "not measurable" in verdicts["phone"]["checks"]["accuracy"]["note"]
    page = client.get(f"/api/v1/projects/fraud-model/models/digits-compact/versions/{exported.number}/").json()
    edge = [e for e in page["evidence"] if e["test_id"] == "infra-4"]
    assert len(edge) == 2 and all("on coreml" in e["title"] and "size checked only" in e["title"] for e in edge)
    # no parity ran, so no parity evidence is claimed
    assert not [e for e in page["evidence"] if e["test_id"] == "infra-3"]

    # the download is named for the platform and holds a package coremltools reads back
    download = _download(client, exported)
    assert download["Content-Disposition"] == f'attachment; filename="digits-compact-v{exported.number}.mlpackage.zip"'
    with zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content))) as archive:
        archive.extractall(tmp_path)
    import coremltools as ct

    spec_back = ct.models.MLModel(str(tmp_path / "model.mlpackage"), skip_model_load=True).get_spec()
    assert spec_back.WhichOneof("Type") == "mlProgram" and spec_back.description.input[0].name

    # a Core ML version is not a PyTorch version: 400 naming model_version; so are bad params
    wrong = _start(client, "export_coreml", exported.pk, {})
    assert wrong.status_code == 400 and "model_version" in wrong.json()["error"]["fields"]
    unknown = _start(client, "export_coreml", source.pk, {"edge_profiles": ["toaster"]})
    assert unknown.status_code == 400 and "params.edge_profiles" in unknown.json()["error"]["fields"]
    bad = _start(client, "export_coreml", source.pk, {"precision": "int4"})
    assert bad.status_code == 400 and "params.precision" in bad.json()["error"]["fields"]
    # another team: our project is a 404, our version from their own project a 400 naming it,
    # and the exported package is not theirs to download
    outsider = world.client(world.outsider)
    theirs = {"kind": "export_coreml", "model_version": source.pk}
    assert outsider.post(JOBS, {"project": "fraud-model", **theirs}, format="json").status_code == 404
    res = outsider.post(JOBS, {"project": "rival-secret", **theirs}, format="json")
    assert res.status_code == 400 and "model_version" in res.json()["error"]["fields"]
    url = f"/api/v1/projects/fraud-model/models/digits-compact/versions/{exported.number}/artifact"
    assert outsider.get(url).status_code == 404


def test_unsupported_op_fails_the_job_naming_it(
    world: Any, celery_worker: Any, digits_dataset: Any, tmp_path: Path
) -> None:
    import torch

    from shipyard.registry.versions import model_version_create

    class Bessel(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.special.bessel_j0(x)[:, :10]

    program = torch.export.export(Bessel().eval(), (torch.ones(1, 64),))
    torch.export.save(program, tmp_path / "bessel.pt2")
    version = model_version_create(
        project=world.project,
        model_name="bessel",
        artifact_file_or_path=tmp_path / "bessel.pt2",
        format="torch_export",
        by=world.owner,
    )
    body = {"project": "fraud-model", "kind": "export_coreml", "model_version": version.pk}
    res = world.client(world.owner).post(JOBS, {**body, "dataset_version": digits_dataset.pk}, format="json")
    assert res.status_code == 201, res.content
    job = wait_for(res.json()["id"], timeout=300, worker=celery_worker)
    assert job.status == "failed"
    assert "Core ML conversion failed at operator special_bessel_j0" in job.message
    assert job.result["kind"] == "export_coreml" and not job.produced_versions


def test_int8_executorch_through_a_worker(world: Any, celery_worker: Any, compact_weights: Path) -> None:
    from shipyard.registry.models import ModelVersion

    source = register_compact(world.project, compact_weights, by=world.owner)
    client = world.client(world.owner)
    res = _start(
        client,
        "export_executorch",
        source.pk,
        {"quantization": "int8", "max_metric_drop": 0.05, "calibration_rows": 128, "latency_repeats": 3},
    )
    assert res.status_code == 201, res.content
    job = wait_for(res.json()["id"], timeout=400, worker=celery_worker)
    assert job.status == "succeeded", (job.message, job.log[-5:])
    report = job.result
    assert report["format"] == "executorch" and report["max_metric_drop"] == 0.05 and report["tolerance"] is None
    assert report["reference_accuracy"] - report["accuracy"] <= 0.05 and report["accuracy"] >= 0.85
    assert "ExecuTorch runtime vs the fp32 parent" in report["parity"] and report["parity_rows"] == 450
    assert report["max_abs_diff"] > 0 and report["latency_ms"]["executorch"]["1"] > 0
    exported = ModelVersion.objects.get(pk=report["version"]["id"])
    assert exported.params["quantization"] == "int8" and exported.params["calibration_rows"] == 128
    assert exported.parent_id == source.pk
    assert "int8 quality gate" in _gate_evidence(job, True).title
    download = _download(client, exported)
    assert download["Content-Disposition"] == f'attachment; filename="digits-compact-v{exported.number}.pte"'

    # a gate no int8 model can meet (accuracy must rise by 50 points): the job fails, nothing is registered
    res = _start(
        client,
        "export_executorch",
        source.pk,
        {"quantization": "int8", "max_metric_drop": -0.5, "calibration_rows": 64, "latency_repeats": 1},
    )
    job = wait_for(res.json()["id"], timeout=400, worker=celery_worker)
    assert job.status == "failed" and "int8 accuracy gate failed" in job.message
    assert job.result["accuracy"] is not None and not job.produced_versions
    assert "quality gate" in _gate_evidence(job, False).title
    bad = _start(client, "export_executorch", source.pk, {"quantization": "int4"})
    assert bad.status_code == 400 and "params.quantization" in bad.json()["error"]["fields"]


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


@pytest.mark.parametrize(
    "members,reason",
    [
        ({"../evil.mlpackage/Manifest.json": b"{}"}, "one <name>.mlpackage folder"),
        ({"a.mlpackage/Manifest.json": b"{}", "b.mlpackage/Manifest.json": b"{}"}, "one <name>.mlpackage folder"),
        ({"model.mlpackage/Manifest.json": b"{}"}, "model.mlmodel is missing"),
        ({"model.onnx": b"not a package"}, "one <name>.mlpackage folder"),
    ],
)
def test_coreml_uploads_are_checked(world: Any, tmp_path: Path, members: dict[str, bytes], reason: str) -> None:
    from shipyard.core.errors import DomainError
    from shipyard.registry.models import ModelVersion
    from shipyard.registry.versions import model_version_create

    bad = _zip(tmp_path / "bad.mlpackage.zip", members)
    with pytest.raises(DomainError, match=reason) as caught:
        model_version_create(
            project=world.project, model_name="apple", artifact_file_or_path=bad, format="coreml", by=world.owner
        )
    assert caught.value.field == "artifact" and not ModelVersion.objects.exists()


def test_a_coreml_zip_that_is_not_a_zip_is_refused(world: Any, tmp_path: Path) -> None:
    from shipyard.core.errors import DomainError
    from shipyard.registry.versions import model_version_create

    (tmp_path / "x.mlpackage.zip").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(DomainError, match="not a zipped Core ML package"):
        model_version_create(
            project=world.project,
            model_name="apple",
            artifact_file_or_path=tmp_path / "x.mlpackage.zip",
            format="coreml",
            by=world.owner,
        )


def test_torch_export_programs_export_for_devices(tmp_path: Path) -> None:
    """A torch.export program (which refuses .eval() and has no ONNX export here) lowers to ExecuTorch,
    int8 included, and converts to Core ML; its report simply has no ONNX Runtime figure."""
    import numpy as np
    import torch

    from shipyard_ml.coreml import export_coreml
    from shipyard_ml.data import load_sklearn_dataset
    from shipyard_ml.edge import export_executorch
    from shipyard_ml.loading import ModelSource, load_torch_module

    torch.manual_seed(0)
    mlp = torch.nn.Sequential(torch.nn.Linear(64, 16), torch.nn.ReLU(), torch.nn.Linear(16, 10)).eval()
    data = load_sklearn_dataset("digits")
    x = np.ascontiguousarray(data.X_eval[:40], dtype=np.float32)
    program = torch.export.export(mlp, (torch.from_numpy(x[:2]),), dynamic_shapes=({0: torch.export.Dim("batch")},))
    torch.export.save(program, tmp_path / "mlp.pt2")
    module = load_torch_module(ModelSource(path=str(tmp_path / "mlp.pt2"), format="torch_export"))

    fp32 = export_executorch(module, tmp_path / "mlp.pte", x, eval_y=data.y_eval[:40], latency_repeats=1)
    assert fp32.passed and fp32.max_abs_diff is not None and fp32.max_abs_diff <= 1e-4
    assert set(fp32.latency_ms) == {"pytorch", "executorch"} and "ONNX Runtime not compared" in fp32.summary
    int8 = export_executorch(
        module,
        tmp_path / "mlp-int8.pte",
        x,
        eval_y=data.y_eval[:40],
        latency_repeats=1,
        quantization="int8",
        max_metric_drop=1.0,
    )
    assert int8.accuracy is not None and int8.reference_accuracy is not None and int8.max_metric_drop == 1.0
    coreml = export_coreml(module, tmp_path / "mlp.mlpackage.zip", x, precision="fp32")
    assert coreml.spec["op_types"]["linear"] == 2 and coreml.spec["outputs"][0]["shape"] == [1, 10]
