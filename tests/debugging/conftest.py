"""Debugging fixtures: a digits MLP (PyTorch) and its ONNX export, both recording the digits training
dataset, deployed, with logged predictions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.jobs.conftest import MLP_CONFIG, digits_csv, mlp_weights  # noqa: F401  (fixtures)


@pytest.fixture(scope="session")
def mlp_onnx(mlp_weights: Path, tmp_path_factory: Any) -> Path:  # noqa: F811
    from shipyard_ml.data import load_sklearn_dataset
    from shipyard_ml.export import export_onnx
    from shipyard_ml.loading import ModelSource, load_torch_module

    module = load_torch_module(
        ModelSource(path=str(mlp_weights), format="state_dict", recipe="digits_mlp", recipe_config=MLP_CONFIG)
    )
    out = tmp_path_factory.mktemp("onnx") / "digits.onnx"
    export_onnx(module, out, load_sklearn_dataset("digits").X_eval, opset=17, tolerance=1e-4, latency_repeats=1)
    return out


@pytest.fixture(scope="session")
def no_grad_torchscript(mlp_weights: Path, tmp_path_factory: Any) -> Path:  # noqa: F811
    """A TorchScript module whose forward cuts the graph (``detach``): Integrated Gradients cannot run on it."""
    import torch

    from shipyard_ml.loading import ModelSource, load_torch_module

    inner = load_torch_module(
        ModelSource(path=str(mlp_weights), format="state_dict", recipe="digits_mlp", recipe_config=MLP_CONFIG)
    )

    class Detached(torch.nn.Module):
        def __init__(self, net: torch.nn.Module) -> None:
            super().__init__()
            self.net = net

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.net(x.detach()).detach()

    out = tmp_path_factory.mktemp("ts") / "detached.pt"
    torch.jit.trace(Detached(inner).eval(), torch.zeros(1, 64)).save(str(out))
    return out


def digits_rows(n: int, start: int = 0) -> list[list[float]]:
    from sklearn.datasets import load_digits

    data = load_digits().data
    return [[float(v) for v in row] for row in data[600 + start : 600 + start + n]]


def dataset(project: Any, csv: Path) -> Any:
    from shipyard.registry.datasets import dataset_version_create

    return dataset_version_create(
        project=project, dataset_name="digits", file_or_path=csv, format="csv", label_column="label"
    )


def deploy(project: Any, path: Path, fmt: str, *, name: str, training: Any, **extra: Any) -> Any:
    from shipyard.registry.versions import model_version_create
    from shipyard.serving.models import Deployment

    version = model_version_create(
        project=project,
        model_name="digits",
        artifact_file_or_path=path,
        format=fmt,
        training_dataset=training,
        metrics={"accuracy": 0.95},
        **extra,
    )
    deployment = Deployment.objects.filter(project=project, name=name).first()
    if deployment is None:
        deployment = Deployment.objects.create(project=project, name=name, model=version.model, live_version=version)
    return deployment, version


def log(deployment: Any, version: Any, rows: list[list[float]], outputs: list[Any], prefix: str = "req") -> list[str]:
    """PredictionLog rows as the serving drain writes them (inputs: the row; outputs: [label])."""
    from django.utils import timezone

    from shipyard.serving.models import PredictionLog

    ids = [f"{prefix}-{i}" for i in range(len(rows))]
    PredictionLog.objects.bulk_create(
        [
            PredictionLog(
                created_at=timezone.now(),
                deployment_id=deployment.pk,
                version_id=version.pk,
                request_id=rid,
                inputs=row,
                outputs=[out],
                confidence=0.9,
                latency_ms=1.0,
            )
            for rid, row, out in zip(ids, rows, outputs, strict=True)
        ]
    )
    return ids


def serve_client(user: Any) -> Any:
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def predicted(path: Path, rows: list[list[float]]) -> list[int]:
    from shipyard_ml.inference import load, run_batch

    fmt = "onnx" if path.suffix == ".onnx" else "state_dict"
    model = load(path, fmt, recipe="digits_mlp", recipe_config=MLP_CONFIG)
    return [int(v) for v in run_batch(model, rows).outputs]
