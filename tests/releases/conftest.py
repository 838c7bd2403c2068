"""Releases fixtures: digits ONNX artifacts to push (a good pair, and one with a serving skew), digits
CSV datasets (raw pixels, and pixels divided by 16), a deployment with a push policy, CI runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

COMMIT = "3f2a9c1d" + "0" * 32
OTHER_COMMIT = "b7e4d2a1" + "0" * 32


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory: Any) -> dict[str, Any]:
    """ONNX digits MLPs: `a` and `b` (good), `skewed` (expects preprocessed pixels; raw pixels fool it)."""
    from shipyard.serving.demo import train_digits_onnx

    root = tmp_path_factory.mktemp("push-onnx")
    out: dict[str, Any] = {}
    for name, kwargs in {"a": {"seed": 0}, "b": {"seed": 1}, "skewed": {"seed": 3, "prescaled": True}}.items():
        path = root / f"digits-{name}.onnx"
        out[f"{name}_metrics"] = train_digits_onnx(path, epochs=10, **kwargs)
        out[name] = path
    return out


@pytest.fixture(scope="session")
def digits_csvs(tmp_path_factory: Any) -> dict[str, Path]:
    import pandas as pd
    from sklearn.datasets import load_digits

    from shipyard.serving.demo import prescale

    bunch = load_digits()
    root = tmp_path_factory.mktemp("push-data")
    out = {}
    for name, data in (("raw", bunch.data[:600]), ("scaled", prescale(bunch.data[:600]))):
        frame = pd.DataFrame(data, columns=[f"pixel_{i}" for i in range(64)])
        frame["label"] = bunch.target[:600]
        out[name] = root / f"digits-{name}.csv"
        frame.to_csv(out[name], index=False)
    return out


def make_dataset(project: Any, path: Path, name: str) -> Any:
    from shipyard.registry.datasets import dataset_version_create

    return dataset_version_create(
        project=project, dataset_name=name, file_or_path=path, format="csv", label_column="label"
    )


def ci_run(
    project: Any, *, commit: str = COMMIT, status: str = "passed", external_id: str = "run-1", branch: str = "main"
) -> Any:
    from shipyard.ci.models import CIRun

    return CIRun.objects.create(
        project=project,
        provider="github",
        external_id=external_id,
        commit=commit,
        branch=branch,
        status=status,
        url=f"https://ci.example.com/runs/{external_id}",
    )


def make_deployment(project: Any, artifacts: dict[str, Any], owner: Any, **settings: Any) -> Any:
    """A deployment `digits` serving `a` as v1 (registered through the registry, so it really loads)."""
    from shipyard.registry.versions import model_version_create
    from shipyard.serving.lifecycle import deployment_create

    v1 = model_version_create(
        project=project,
        model_name="digits",
        artifact_file_or_path=artifacts["a"],
        format="onnx",
        metrics=dict(artifacts["a_metrics"]),
        by=owner,
    )
    return deployment_create(project=project, name="digits", model=v1.model, version=v1, by=owner, settings=settings)
