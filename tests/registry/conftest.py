"""Registry fixtures: a private ARTIFACT_ROOT per test and small real artifacts built in-process."""

from __future__ import annotations

import io
import json
import os
import pickle
import struct
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.factories import onnx_bytes


@pytest.fixture(autouse=True)
def artifact_root(settings: Any, tmp_path: Path) -> Path:
    root = tmp_path / "artifacts"
    settings.ARTIFACT_ROOT = root
    settings.STORAGE_BACKEND = "local"
    return root


def stored_blobs(root: Path) -> list[Path]:
    return sorted(p for p in (root / "sha256").glob("*/*")) if (root / "sha256").exists() else []


def temp_leftovers(root: Path) -> list[Path]:
    return sorted((root / "tmp").glob("*")) if (root / "tmp").exists() else []


def onnx_external_bytes(location: str = "../../etc/passwd") -> bytes:
    import onnx

    model = onnx.load_from_string(onnx_bytes())
    init = model.graph.initializer[0]
    init.ClearField("raw_data")
    init.ClearField("float_data")
    init.data_location = onnx.TensorProto.EXTERNAL
    entry = init.external_data.add()
    entry.key, entry.value = "location", location
    return model.SerializeToString()


def state_dict_bytes() -> bytes:
    import torch

    buf = io.BytesIO()
    torch.save(torch.nn.Linear(4, 3).state_dict(), buf)
    return buf.getvalue()


class Payload:
    """Unpickling this runs ``open(marker, 'w')``: the test asserts the marker never appears."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self) -> Any:
        return (os.system, (f"touch {self.marker}",))


def pickle_payload_bytes(marker: Path, *, torch_zip: bool = True) -> bytes:
    if torch_zip:
        import torch

        buf = io.BytesIO()
        torch.save({"weight": Payload(str(marker))}, buf)
        return buf.getvalue()
    return pickle.dumps({"weight": Payload(str(marker))})


def safetensors_bytes() -> bytes:
    data = np.arange(12, dtype=np.float32).tobytes()
    header = json.dumps({"weight": {"dtype": "F32", "shape": [3, 4], "data_offsets": [0, len(data)]}}).encode()
    return struct.pack("<Q", len(header)) + header + data


def torchscript_bytes() -> bytes:
    import torch

    buf = io.BytesIO()
    torch.jit.save(torch.jit.script(torch.nn.Linear(4, 3)), buf)
    return buf.getvalue()


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buf.getvalue()


def csv_bytes(rows: int = 60) -> bytes:
    rng = np.random.default_rng(1)
    lines = ["f0,f1,f2,f3,country,label"]
    for i in range(rows):
        a, b, c, d = rng.normal(size=4)
        lines.append(f"{a:.4f},{b:.4f},{c:.4f},{d:.4f},{'DE' if i % 3 == 0 else 'FR'},{i % 3}")
    return ("\n".join(lines) + "\n").encode()


def torch_export_bytes(n_in: int = 4, n_out: int = 3) -> bytes:
    """A real ``torch.export.save`` archive (.pt2) of a small MLP."""
    import torch

    module = torch.nn.Sequential(torch.nn.Linear(n_in, 8), torch.nn.ReLU(), torch.nn.Linear(8, n_out))
    program = torch.export.export(module, (torch.randn(2, n_in),))
    buf = io.BytesIO()
    torch.export.save(program, buf)
    return buf.getvalue()


def rewrite_zip(content: bytes, *, drop: tuple[str, ...] = (), add: dict[str, bytes] | None = None) -> bytes:
    """``content`` (a zip) without the members whose names end with one of ``drop``, plus ``add``."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            if not info.filename.endswith(drop):
                dst.writestr(info, src.read(info))
        for name, data in (add or {}).items():
            dst.writestr(name, data)
    return out.getvalue()
