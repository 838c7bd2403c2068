"""LiteRT (TFLite) export through a real Celery worker: ONNX -> onnx2tf in the isolated converter
environment (``make litert``), parity, accuracy and batch-1 latency measured through the LiteRT
interpreter, the ``.tflite`` registered with lineage and checked against the edge profiles; refusals
name the field, a converter failure names the operator, a missing environment names ``make litert``."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.jobs.conftest import register_compact, wait_for
from tests.jobs.test_edge_devices import JOBS, PROFILES
from tests.jobs.test_edge_devices import _start as _start

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_export_tflite_through_a_worker(world: Any, celery_worker: Any, compact_weights: Path) -> None:
    from shipyard.registry.models import ModelVersion
    from shipyard_ml.litert import litert_python

    assert litert_python().exists(), f"the LiteRT converter environment is missing ({litert_python()}): make litert"
    source = register_compact(world.project, compact_weights, by=world.owner)
    client = world.client(world.owner)
    phone = {"name": "phone", "max_size_bytes": 5_000_000, "max_latency_ms": 50, "min_accuracy": 0.8}
    watch = {"name": "watch", "max_size_bytes": 1000, "max_latency_ms": 50, "min_accuracy": 0.8}
    for profile in (phone, watch):
        assert client.post(PROFILES, profile, format="json").status_code == 201

    res = _start(client, "export_tflite", source.pk, {"latency_repeats": 5})
    assert res.status_code == 201, res.content
    job = wait_for(res.json()["id"], timeout=300, worker=celery_worker)
    assert job.status == "succeeded", (job.message, job.log[-5:])
    report = job.result
    assert report["kind"] == "export_tflite" and report["format"] == "tflite"
    # parity ran through the LiteRT interpreter on every evaluation row: fp32 matches PyTorch
    assert report["max_abs_diff"] < 1e-4 and report["tolerance"] == 1e-4 and report["parity_rows"] > 100
    assert "LiteRT runtime vs eager PyTorch" in report["parity"]
    assert report["accuracy"] is not None and report["accuracy"] > 0.8
    assert report["latency_ms"]["litert"]["1"] > 0 and report["latency_ms"]["onnxruntime"]["1"] > 0
    assert report["signature"]["inputs"][0]["shape"] == [1, 64]
    assert report["signature"]["outputs"][0]["shape"] == [1, 10]
    assert {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"} <= set(report["spec"]["op_types"])

    exported = ModelVersion.objects.get(pk=report["version"]["id"])
    assert exported.format == "tflite" and exported.parent_id == source.pk and exported.produced_by_job_id == job.pk
    assert exported.artifact_size == report["size_bytes"] > 1000
    assert exported.params["precision"] == "fp32" and exported.params["converter"] == "onnx2tf"
    verdicts = {p["name"]: p["passed"] for p in report["profiles"]}
    assert verdicts == {"phone": True, "watch": False}
    page = client.get(f"/api/v1/projects/fraud-model/models/digits-compact/versions/{exported.number}/").json()
    edge = [e for e in page["evidence"] if e["test_id"] == "infra-4"]
    assert len(edge) == 2 and all("on litert" in e["title"] for e in edge)
    from shipyard.rubric.models import Evidence

    parity = Evidence.objects.filter(test_id="infra-3", passed=True, detail__job=job.pk).first()
    assert parity is not None and "litert export parity" in parity.title

    url = f"/api/v1/projects/fraud-model/models/digits-compact/versions/{exported.number}/artifact"
    download = client.get(url)
    assert download.status_code == 200
    assert download["Content-Disposition"] == f'attachment; filename="digits-compact-v{exported.number}.tflite"'
    assert b"".join(download.streaming_content)[4:8] == b"TFL3"

    # a LiteRT version is not a PyTorch version: 400 naming model_version; so are bad params
    wrong = _start(client, "export_tflite", exported.pk, {})
    assert wrong.status_code == 400 and "model_version" in wrong.json()["error"]["fields"]
    bad = _start(client, "export_tflite", source.pk, {"precision": "int4"})
    assert bad.status_code == 400 and "params.precision" in bad.json()["error"]["fields"]
    outsider = world.client(world.outsider)
    theirs = {"project": "fraud-model", "kind": "export_tflite", "model_version": source.pk}
    assert outsider.post(JOBS, theirs, format="json").status_code == 404
    assert outsider.get(url).status_code == 404


def test_converter_failure_names_the_operator(tmp_path: Path) -> None:
    """onnx2tf has no conversion for CastLike: the failure names the operator and its node."""
    import onnx
    from onnx import TensorProto, helper

    from shipyard_ml.export import ExportFailed
    from shipyard_ml.litert import convert_tflite

    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 4])
    nodes = [
        helper.make_node("Relu", ["input"], ["r"], name="relu"),
        helper.make_node("CastLike", ["r", "input"], ["c"], name="castlike"),
        helper.make_node("Neg", ["c"], ["logits"], name="neg"),
    ]
    graph = helper.make_graph(nodes, "g", [x], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.save(model, tmp_path / "bad.onnx")
    with pytest.raises(ExportFailed, match=r"LiteRT conversion \(onnx2tf\) failed at operator CastLike \(castlike\)"):
        convert_tflite(tmp_path / "bad.onnx", tmp_path / "out", "fp32")


def test_missing_environment_fails_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np
    import torch

    from shipyard_ml.export import ExportFailed
    from shipyard_ml.litert import export_tflite

    monkeypatch.setenv("LITERT_PYTHON", str(tmp_path / "no-such-venv" / "bin" / "python"))
    model = torch.nn.Linear(4, 3)
    with pytest.raises(ExportFailed, match=r"LiteRT converter environment is missing .*make litert"):
        export_tflite(model, tmp_path / "m.tflite", np.ones((4, 4), np.float32))
    assert not (tmp_path / "m.tflite").exists()


def test_tool_runs_without_the_platform_packages() -> None:
    """The tool imports only the standard library and the converter environment's packages (``-I``:
    no PYTHONPATH, no user site)."""
    from shipyard_ml.litert import TOOL, litert_python

    out = subprocess.run(
        [str(litert_python()), "-I", str(TOOL), "-h"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "convert" in out.stdout and "run" in out.stdout
    source = TOOL.read_text()
    assert "shipyard_ml" not in source.split('"""', 2)[2] and "import torch" not in source


def test_tflite_uploads_are_checked(world: Any, tmp_path: Path) -> None:
    """A `tflite` upload must carry the TFLite flatbuffer identifier; the download is named .tflite."""
    from shipyard.core.errors import DomainError
    from shipyard.registry.versions import model_version_create

    (tmp_path / "x.tflite").write_bytes(b"\x1c\x00\x00\x00ET12" + b"\x00" * 64)
    with pytest.raises(DomainError, match="not a LiteRT model"):
        model_version_create(
            project=world.project,
            model_name="lite",
            artifact_file_or_path=tmp_path / "x.tflite",
            format="tflite",
            by=world.owner,
        )
    (tmp_path / "ok.tflite").write_bytes(b"\x1c\x00\x00\x00TFL3" + b"\x00" * 64)
    version = model_version_create(
        project=world.project,
        model_name="lite",
        artifact_file_or_path=tmp_path / "ok.tflite",
        format="tflite",
        by=world.owner,
    )
    res = world.client(world.owner).get(f"/api/v1/projects/fraud-model/models/lite/versions/{version.number}/artifact")
    assert res.status_code == 200 and res["Content-Disposition"] == 'attachment; filename="lite-v1.tflite"'


def test_fp16_has_its_own_tolerance(tmp_path: Path) -> None:
    """fp16 weights move the outputs (so fp32's 1e-4 would refuse them); the fp16 gate is 5e-2."""
    import numpy as np
    import torch

    from shipyard_ml.litert import FP16_TOLERANCE, export_tflite

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    x = np.random.default_rng(0).normal(size=(40, 64)).astype(np.float32)
    y = model(torch.from_numpy(x)).argmax(1).numpy()
    report = export_tflite(model, tmp_path / "m.tflite", x, eval_y=y, precision="fp16", latency_repeats=3)
    assert report.passed and report.tolerance == FP16_TOLERANCE == 5e-2
    assert report.max_abs_diff is not None and 0 < report.max_abs_diff < FP16_TOLERANCE
    assert report.spec["precision"] == "fp16"
    assert report.accuracy == 1.0 and report.latency_ms["litert"]["1"] > 0
    assert (tmp_path / "m.tflite").read_bytes()[4:8] == b"TFL3"
