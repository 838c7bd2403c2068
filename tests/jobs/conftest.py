"""Jobs fixtures: a small trained digits MLP registered as a state_dict version, a digits dataset version."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

MLP_CONFIG = {"hidden": [64], "epochs": 10}


@pytest.fixture(scope="session")
def mlp_weights(tmp_path_factory: Any) -> Path:
    from shipyard_ml.data import load_sklearn_dataset
    from shipyard_ml.loading import save_state_dict
    from shipyard_ml.train import digits_mlp

    model, _ = digits_mlp(MLP_CONFIG, 0, load_sklearn_dataset("digits"))
    return save_state_dict(model, tmp_path_factory.mktemp("weights") / "digits-mlp.pt")


@pytest.fixture(scope="session")
def compact_weights(tmp_path_factory: Any) -> Path:
    """A compact digits CNN (the edge recipe), trained once per session."""
    from shipyard_ml.data import load_sklearn_dataset
    from shipyard_ml.loading import save_state_dict
    from shipyard_ml.train import digits_compact

    model, _ = digits_compact({"epochs": 8}, 0, load_sklearn_dataset("digits"))
    return save_state_dict(model, tmp_path_factory.mktemp("compact") / "digits-compact.pt")


def register_compact(project: Any, weights: Path, *, by: Any) -> Any:
    """The compact digits CNN registered as a state_dict version of ``digits-compact`` with its recipe."""
    from shipyard.registry.versions import model_version_create

    return model_version_create(
        project=project,
        model_name="digits-compact",
        artifact_file_or_path=weights,
        format="state_dict",
        recipe="digits_compact",
        recipe_config={"epochs": 8},
        metrics={"accuracy": 0.95},
        by=by,
    )


@pytest.fixture(scope="session")
def digits_csv(tmp_path_factory: Any) -> Path:
    import pandas as pd
    from sklearn.datasets import load_digits

    bunch = load_digits()
    frame = pd.DataFrame(bunch.data[:600], columns=[f"pixel_{i}" for i in range(64)])
    frame["label"] = bunch.target[:600]
    path = tmp_path_factory.mktemp("data") / "digits.csv"
    frame.to_csv(path, index=False)
    return path


def register_mlp(
    project: Any, weights: Path, *, name: str = "digits-mlp", config: dict[str, Any] | None = None, by: Any = None
) -> Any:
    """Register ``weights`` (trained with MLP_CONFIG) as a digits_mlp state_dict version.

    The registry refuses weights that do not fit their recipe, so a ``config`` other than the one
    the weights were trained with is written onto the stored row afterwards: the version a job then
    sees is one whose recorded config no longer fits its weights (as a row stored before the
    registry checked the fit would be).
    """
    from shipyard.registry.models import ModelVersion
    from shipyard.registry.versions import model_version_create

    version = model_version_create(
        project=project,
        model_name=name,
        artifact_file_or_path=weights,
        format="state_dict",
        recipe="digits_mlp",
        recipe_config=MLP_CONFIG,
        metrics={"accuracy": 0.95},
        by=by,
    )
    if config is not None and config != MLP_CONFIG:
        ModelVersion.objects.filter(pk=version.pk).update(recipe_config=config)
        version.refresh_from_db()
    return version


@pytest.fixture
def mlp_version(world: Any, mlp_weights: Path) -> Any:
    return register_mlp(world.project, mlp_weights, by=world.owner)


@pytest.fixture
def digits_dataset(world: Any, digits_csv: Path) -> Any:
    from shipyard.registry.datasets import dataset_version_create

    return dataset_version_create(
        project=world.project,
        dataset_name="digits",
        file_or_path=digits_csv,
        format="csv",
        label_column="label",
        slices=[{"name": "zeros_and_ones", "filter": "label in [0, 1]"}, {"name": "eights", "filter": "label == 8"}],
    )


def wait_for(
    job_id: int,
    statuses: tuple[str, ...] = ("succeeded", "failed", "cancelled"),
    timeout: float = 180.0,
    worker: Any = None,
    **extra: Any,
) -> Any:
    from shipyard.jobs.models import Job

    deadline = time.monotonic() + timeout
    job = Job.objects.get(pk=job_id)
    while time.monotonic() < deadline:
        job = Job.objects.get(pk=job_id)
        if job.status in statuses and all(getattr(job, k) >= v for k, v in extra.items()):
            return job
        time.sleep(0.3)
    log = worker.log()[-4000:] if worker is not None else ""
    raise AssertionError(
        f"job {job_id} is {job.status} ({job.progress}% {job.message}) after {timeout}s\n{job.log[-10:]}\n{log}"
    )


def digits_eval_rows() -> np.ndarray:
    from shipyard_ml.data import load_sklearn_dataset

    return load_sklearn_dataset("digits").X_eval


@pytest.fixture
def api_version(world: Any) -> Any:
    """A version row without running artifact validation (API tests never load it)."""
    from shipyard.registry.models import ModelVersion, RegisteredModel

    model = RegisteredModel.objects.create(project=world.project, name="digits-mlp")
    return ModelVersion.objects.create(
        model=model,
        number=1,
        format="state_dict",
        artifact_key="sha256/00/" + "0" * 62,
        artifact_sha256="0" * 64,
        artifact_size=1,
        recipe="digits_mlp",
        recipe_config=MLP_CONFIG,
    )
