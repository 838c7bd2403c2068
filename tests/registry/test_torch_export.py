"""torch.export programs (.pt2): accepted after a structure check that never unpickles or runs anything."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shipyard.registry.models import ModelVersion
from tests.registry.conftest import (
    Payload,
    csv_bytes,
    rewrite_zip,
    stored_blobs,
    temp_leftovers,
    torch_export_bytes,
    torchscript_bytes,
    zip_bytes,
)

BASE = "/api/v1/projects/fraud-model"


def upload(client: Any, content: bytes, fmt: str = "torch_export", **meta: Any) -> Any:
    data = {"artifact": SimpleUploadedFile("model.pt2", content), "format": fmt, **meta}
    return client.post(f"{BASE}/models/scorer/versions/", data, format="multipart")


@pytest.fixture(scope="module")
def program() -> bytes:
    return torch_export_bytes(n_in=4, n_out=3)


def test_a_saved_program_is_accepted_as_code_with_its_signature(
    world: Any, artifact_root: Path, program: bytes
) -> None:
    client = world.client(world.teammate)
    response = upload(client, program)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["format"] == "torch_export" and body["code"] is True and body["framework"] == "pytorch"
    assert body["signature"]["inputs"] == [{"name": "input", "dtype": "float32", "shape": [2, 4]}]
    assert body["signature"]["outputs"][0]["shape"] == [2, 3]
    sha = hashlib.sha256(program).hexdigest()
    assert stored_blobs(artifact_root) == [artifact_root / "sha256" / sha[:2] / sha[2:]]
    download = client.get(f"{BASE}/models/scorer/versions/1/artifact")
    assert b"".join(download.streaming_content) == program


def test_the_signature_is_checked_against_the_training_dataset(world: Any, program: bytes) -> None:
    client = world.client(world.owner)
    dataset = client.post(
        f"{BASE}/datasets/tx/versions/",
        {"file": SimpleUploadedFile("tx.csv", csv_bytes()), "format": "csv", "label_column": "label"},
        format="multipart",
    )
    assert dataset.status_code == 201
    # tx has 5 features; the program takes 4
    wrong = upload(client, program, training_dataset="tx:1")
    assert wrong.status_code == 400 and "signature" in wrong.json()["error"]["fields"]
    assert upload(client, torch_export_bytes(n_in=5), training_dataset="tx:1").status_code == 201


def test_validation_never_unpickles_the_archive(
    world: Any, artifact_root: Path, tmp_path: Path, program: bytes
) -> None:
    """The sample inputs of a .pt2 are a pickle; a hostile one must not run while the upload is checked."""
    import pickle

    marker = tmp_path / "payload-ran"
    hostile = rewrite_zip(
        program,
        drop=("data/sample_inputs/model.pt",),
        add={"archive/data/sample_inputs/model.pt": pickle.dumps(Payload(str(marker)))},
    )
    response = upload(world.client(world.owner), hostile)
    assert response.status_code == 201, response.json()
    assert response.json()["code"] is True  # so only workers ever load it
    assert not marker.exists(), "validation unpickled the archive"


def _truncated(program: bytes) -> bytes:
    return program[: len(program) // 2]


def _corrupt_member(program: bytes) -> bytes:
    """Flip bytes inside a stored weight so its CRC no longer matches."""
    import struct
    import zipfile

    info = zipfile.ZipFile(io.BytesIO(program)).getinfo("archive/data/weights/weight_0")
    name_len, extra_len = struct.unpack("<HH", program[info.header_offset + 26 : info.header_offset + 30])
    start = info.header_offset + 30 + name_len + extra_len
    return program[:start] + bytes(b ^ 0xFF for b in program[start : start + 8]) + program[start + 8 :]


REJECTED = [
    ("not a zip", lambda p: b"not a zip archive at all" * 10, "valid zip"),
    ("truncated", _truncated, "valid zip"),
    ("corrupt member", _corrupt_member, "CRC"),
    ("torchscript instead", lambda p: torchscript_bytes(), "archive_format"),
    ("no program", lambda p: rewrite_zip(p, drop=("models/model.json",)), "models/*.json"),
    ("missing weight", lambda p: rewrite_zip(p, drop=("weights/weight_1",)), "weight_1"),
    (
        "program not json",
        lambda p: rewrite_zip(p, drop=("model.json",), add={"archive/models/model.json": b"{"}),
        "JSON",
    ),
    (
        "program without graph",
        lambda p: rewrite_zip(p, drop=("model.json",), add={"archive/models/model.json": b"{}"}),
        "graph",
    ),
    ("two roots", lambda p: rewrite_zip(p, add={"other/archive_format": b"pt2"}), "one root"),
    ("unsafe member", lambda p: rewrite_zip(p, add={"archive/../../evil": b"x"}), "unsafe"),
    (
        "aotinductor package",
        lambda p: rewrite_zip(p, add={"archive/data/aotinductor/model/model.so": b"\x7fELF"}),
        "native",
    ),
    ("plain zip", lambda p: zip_bytes({"archive/archive_format": b"pt2"}), "models/*.json"),
]


@pytest.mark.parametrize(("label", "make", "fragment"), REJECTED, ids=[r[0] for r in REJECTED])
def test_rejected_programs_store_nothing(
    world: Any, artifact_root: Path, program: bytes, label: str, make: Any, fragment: str
) -> None:
    response = upload(world.client(world.owner), make(program))
    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert "artifact" in error["fields"] and fragment in error["message"], error
    assert ModelVersion.objects.count() == 0
    assert stored_blobs(artifact_root) == [] and temp_leftovers(artifact_root) == []


def test_dynamic_batch_dimension_is_unknown_in_the_signature(tmp_path: Path) -> None:
    import torch

    from shipyard_ml.artifacts import validate

    module = torch.nn.Linear(6, 2)
    exported = torch.export.export(module, (torch.randn(3, 6),), dynamic_shapes=({0: torch.export.Dim("batch")},))
    path = tmp_path / "dyn.pt2"
    buf = io.BytesIO()
    torch.export.save(exported, buf)
    path.write_bytes(buf.getvalue())
    report = validate(path, "torch_export")
    assert report.ok and report.code
    assert report.signature["inputs"][0]["shape"] == [None, 6]
