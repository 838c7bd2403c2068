"""Monitoring fixtures: a tabular ONNX model with a stored training dataset, a deployment, and
prediction-log rows written the way the serving drain writes them."""

from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.factories import onnx_bytes

FEATURES = ["f0", "f1", "f2", "f3"]


@pytest.fixture(autouse=True)
def artifact_root(settings: Any, tmp_path: Path) -> Path:
    root = tmp_path / "artifacts"
    settings.ARTIFACT_ROOT = root
    settings.STORAGE_BACKEND = "local"
    return root


def _store(path: Path) -> Any:
    import shutil

    from shipyard.registry import storage

    tmp = storage.new_temp_path(path.suffix)
    shutil.copyfile(path, tmp)
    blob = storage.hash_file(tmp)
    storage.store().commit(tmp, blob)
    return blob


def training_frame(rows: int = 3000, seed: int = 1) -> Any:
    import pandas as pd

    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({name: rng.normal(size=rows) for name in FEATURES})
    frame["label"] = rng.integers(0, 3, size=rows)
    return frame


def make_setup(project: Any, tmp_path: Path, *, name: str = "tabular", slices: list | None = None) -> Any:
    """Dataset version (Parquet in storage) + ONNX model version trained "on it" + a deployment."""
    from shipyard.registry.models import Dataset, DatasetVersion, ModelVersion, RegisteredModel
    from shipyard.serving.models import Deployment

    frame = training_frame()
    tmp_path.mkdir(parents=True, exist_ok=True)
    parquet = tmp_path / f"{name}.parquet"
    frame.to_parquet(parquet, index=False)
    blob = _store(parquet)
    dataset, _ = Dataset.objects.get_or_create(project=project, name=f"{name}-data")
    dv = DatasetVersion.objects.create(
        dataset=dataset,
        number=1,
        format="parquet",
        file_key=blob.key,
        sha256=blob.sha256,
        size_bytes=blob.size,
        normalized_key=blob.key,
        row_count=len(frame),
        schema={
            "features": [{"name": n, "dtype": "numeric"} for n in FEATURES] + [{"name": "label", "dtype": "integer"}],
            "label": "label",
        },
        label_column="label",
        slices=slices or [],
    )
    onnx_path = tmp_path / f"{name}.onnx"
    onnx_path.write_bytes(onnx_bytes())
    ablob = _store(onnx_path)
    model, _ = RegisteredModel.objects.get_or_create(project=project, name=name)
    version = ModelVersion.objects.create(
        model=model,
        number=(model.versions.count() + 1),
        format="onnx",
        artifact_key=ablob.key,
        artifact_sha256=ablob.sha256,
        artifact_size=ablob.size,
        signature={"features": FEATURES, "inputs": [{"name": "x", "dtype": "float32", "shape": ["batch", 4]}]},
        metrics={"accuracy": 0.9},
        training_dataset=dv,
    )
    return Deployment.objects.create(project=project, name=name, model=model, live_version=version)


def log_predictions(
    deployment: Any,
    rows: np.ndarray,
    *,
    outputs: list[Any] | None = None,
    confidence: list[float] | None = None,
    start: dt.datetime | None = None,
    step_s: float = 1.0,
    prefix: str = "r",
    violations: dict[int, list[dict[str, Any]]] | None = None,
) -> list[str]:
    """PredictionLog rows as serving's drain writes them; returns their request ids."""
    from django.utils import timezone

    from shipyard.serving.drain import prediction_log_write
    from shipyard.serving.protocol import LogRecord

    start = start or timezone.now() - dt.timedelta(seconds=step_s * len(rows))
    if outputs is None:
        outputs = [int(np.argmax(r[:3])) for r in rows]
    ids = [f"{prefix}-{i}" for i in range(len(rows))]
    prediction_log_write(
        [
            LogRecord(
                t=(start + dt.timedelta(seconds=step_s * i)).timestamp(),
                deployment_id=deployment.pk,
                version_id=deployment.live_version_id,
                request_id=ids[i],
                inputs=[float(v) for v in row],
                outputs=outputs[i],
                confidence=(confidence[i] if confidence else 0.9),
                latency_ms=2.0,
                violations=(violations or {}).get(i, []),
            )
            for i, row in enumerate(rows)
        ]
    )
    return ids


class Hook:
    """A local HTTP server on 127.0.0.1 that records JSON bodies POSTed to it (a Slack-like webhook)."""

    def __init__(self) -> None:
        self.bodies: list[Any] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                hook.bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook() -> Any:
    server = Hook()
    yield server
    server.close()
