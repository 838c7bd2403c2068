"""The jobs that measure rubric tests, through a real Celery worker on real Postgres and Redis:
feature_importance (data-2, data-3), tune (model-3) and staleness_impact (model-4), each with a
passing case, a failing case, and a job missing what it needs."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.utils import timezone

from shipyard.rubric.models import Evidence
from tests.jobs.conftest import register_mlp, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

TABULAR_CONFIG = {"hidden": [16], "epochs": 40, "lr": 1e-2}


def create(world: Any, body: dict[str, Any]) -> dict[str, Any]:
    res = world.client(world.owner).post("/api/v1/jobs/", {"project": "fraud-model", **body}, format="json")
    assert res.status_code == 201, res.json()
    return res.json()


def evidence(world: Any, test_id: str, job: Any) -> Evidence:
    """The job's observation for ``test_id`` (the worker records it just after it finishes the job)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = Evidence.objects.filter(project=world.project, test_id=test_id, detail__job=job.pk).first()
        if found is not None:
            return found
        time.sleep(0.1)
    raise AssertionError(f"no {test_id} evidence from job {job.pk}")


# --------------------------------------------------------------------------- data-2, data-3


@pytest.fixture(scope="session")
def tabular_csv(tmp_path_factory: Any) -> Path:
    """Two informative features and a column that is always zero."""
    import pandas as pd

    rng = np.random.default_rng(0)
    a, b = rng.normal(size=400), rng.normal(size=400)
    frame = pd.DataFrame({"a": a, "b": b, "zero": np.zeros(400), "label": ((a + b) > 0).astype(int)})
    path = tmp_path_factory.mktemp("tabular") / "tabular.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def tabular_weights(tabular_csv: Path, tmp_path_factory: Any) -> Path:
    import pandas as pd

    from shipyard_ml.loading import save_state_dict
    from shipyard_ml.recipe_types import TrainingData
    from shipyard_ml.train import tabular_mlp

    frame = pd.read_csv(tabular_csv)
    x, y = frame[["a", "b", "zero"]].to_numpy(), frame["label"].to_numpy()
    data = TrainingData(x[:300], y[:300], x[300:], y[300:], ["a", "b", "zero"], ["0", "1"], (3,))
    model, metrics = tabular_mlp(TABULAR_CONFIG, 0, data)
    assert metrics["accuracy"] > 0.9
    return save_state_dict(model, tmp_path_factory.mktemp("tabular-weights") / "tabular.pt")


def tabular_setup(world: Any, csv: Path, weights: Path, costs: dict[str, Any]) -> tuple[Any, Any]:
    from shipyard.registry.datasets import dataset_version_create
    from shipyard.registry.versions import model_version_create

    dataset = dataset_version_create(
        project=world.project,
        dataset_name="tabular",
        file_or_path=csv,
        format="csv",
        label_column="label",
        feature_costs=costs,
    )
    version = model_version_create(
        project=world.project,
        model_name="tabular",
        artifact_file_or_path=weights,
        format="state_dict",
        recipe="tabular_mlp",
        recipe_config=TABULAR_CONFIG,
        signature={"features": ["a", "b", "zero"]},
        by=world.owner,
    )
    return dataset, version


def test_the_schema_records_measured_and_declared_costs(world: Any, tabular_csv: Path) -> None:
    res = world.client(world.owner).post(
        "/api/v1/projects/fraud-model/datasets/tabular/versions/",
        {
            "file": tabular_csv.open("rb"),
            "format": "csv",
            "label_column": "label",
            "feature_costs": '{"a": {"latency_ms": 3, "dependency": "geo-service"}}',
        },
        format="multipart",
    )
    assert res.status_code == 201, res.json()
    features = {f["name"]: f for f in res.json()["schema"]["features"]}
    assert features["a"]["cost"]["declared"] == {"latency_ms": 3, "dependency": "geo-service"}
    assert features["b"]["cost"]["measured"]["storage_bytes"] > 0
    for bad, message in (
        ('{"nope": {"latency_ms": 1}}', "'nope' is not a feature"),
        ('{"a": {"latency_ms": -1}}', "must be a number >= 0"),
        ('{"a": {"speed": 1}}', "unknown cost 'speed'"),
        ('{"label": {"price": 1}}', "'label' is not a feature"),
    ):
        res = world.client(world.owner).post(
            "/api/v1/projects/fraud-model/datasets/tabular/versions/",
            {"file": tabular_csv.open("rb"), "format": "csv", "label_column": "label", "feature_costs": bad},
            format="multipart",
        )
        assert res.status_code == 400, res.json()
        assert "feature_costs" in res.json()["error"]["fields"]
        assert message in res.json()["error"]["message"]


def test_feature_importance_passes_flags_and_judges_cost(
    world: Any, celery_worker: Any, tabular_csv: Path, tabular_weights: Path
) -> None:
    costs = {"a": {"latency_ms": 1}, "b": {"latency_ms": 1000}, "zero": {"latency_ms": 1}}
    dataset, version = tabular_setup(world, tabular_csv, tabular_weights, costs)
    base = {"kind": "feature_importance", "model_version": version.pk, "dataset_version": dataset.pk}
    # passing: the always-zero column is declared exempt; a and b both help; b's cost is not judged
    passing = create(world, {**base, "params": {"exempt": ["zero"], "n_repeats": 5, "ablation": True}})
    job = wait_for(passing["id"], worker=celery_worker)
    assert job.status == "succeeded", (job.message, job.log[-5:])
    rows = {r["feature"]: r for r in job.result["features"]}
    assert rows["a"]["ci_low"] > 0 and rows["b"]["ci_low"] > 0
    assert rows["zero"] == {**rows["zero"], "mean": 0.0, "ci_high": 0.0, "exempt": True, "flagged": False}
    assert rows["zero"]["constant"] is True
    assert rows["a"]["ablation_drop"] > 0.1 and job.result["ablation_baseline"] > 0.9
    assert rows["a"]["cost"] > 0 and rows["a"]["cost_source"] == "measured"  # storage_bytes, the default
    assert job.result["cost"] is None
    first = evidence(world, "data-2", job)
    assert first.passed and first.detail["exempt"] == ["zero"] and first.link == f"/jobs/{job.pk}"
    assert not Evidence.objects.filter(project=world.project, test_id="data-3").exists()

    # failing: the zero column is flagged (its interval is [0, 0]); b costs too much per point of accuracy
    failing = create(
        world, {**base, "params": {"n_repeats": 5, "cost_key": "latency_ms", "min_importance_per_cost": 1e-3}}
    )
    job = wait_for(failing["id"], worker=celery_worker)
    assert job.status == "failed" and job.passed is False
    assert job.result["flagged"] == ["zero"]
    assert job.result["cost"]["below"] == ["b", "zero"] and job.result["cost"]["passed"] is False
    assert {r["feature"]: r["cost_source"] for r in job.result["features"]}["b"] == "declared"
    data2, data3 = evidence(world, "data-2", job), evidence(world, "data-3", job)
    assert not data2.passed and data2.detail["flagged"] == ["zero"]
    assert not data3.passed and data3.detail["cost"]["key"] == "latency_ms"

    # the same ratio on storage (measured on upload) passes for a and b
    storage = create(
        world,
        {**base, "params": {"n_repeats": 5, "exempt": ["zero"], "min_importance_per_cost": 1e-6}},
    )
    job = wait_for(storage["id"], worker=celery_worker)
    assert job.status == "succeeded", job.message
    assert {r["cost_source"] for r in job.result["features"]} == {"measured"}
    assert evidence(world, "data-3", job).passed


def test_feature_importance_without_a_dataset_names_it(world: Any, celery_worker: Any, mlp_weights: Path) -> None:
    version = register_mlp(world.project, mlp_weights, by=world.owner)
    job = wait_for(create(world, {"kind": "feature_importance", "model_version": version.pk})["id"])
    assert job.status == "failed"
    assert "feature_importance needs an evaluation dataset: pass dataset_version" in job.message
    assert not Evidence.objects.filter(project=world.project, test_id="data-2").exists()


# --------------------------------------------------------------------------- model-3


def test_tune_registers_the_best_trial_and_judges_the_starting_configuration(
    world: Any, celery_worker: Any, mlp_weights: Path
) -> None:
    from shipyard.registry.models import ModelVersion

    version = register_mlp(world.project, mlp_weights, by=world.owner)
    params = {"config": {"epochs": 3}, "n_trials": 4, "seed": 0}
    passing = create(world, {"kind": "tune", "model_version": version.pk, "params": {**params, "top_k": 5}})
    job = wait_for(passing["id"], worker=celery_worker)
    assert job.status == "succeeded", (job.message, job.log[-5:])
    report = job.result
    assert report["completed"] + report["pruned"] == 4 and len(report["trials"]) == 4
    assert set(report["search_space"]) == {"lr", "hidden", "weight_decay", "batch_size"}
    complete = [t for t in report["trials"] if t["state"] == "complete"]
    assert report["best_value"] == max(t["value"] for t in complete)
    assert all(len(t["intermediate"]) >= 1 for t in report["trials"])  # per-epoch accuracy (pruning)
    best = ModelVersion.objects.get(pk=report["version"]["id"])
    assert best.produced_by_job_id == job.pk and best.params["tuned_by_job"] == job.pk
    assert best.recipe_config == report["best_config"] and best.recipe == "digits_mlp"
    model3 = evidence(world, "model-3", job)
    assert model3.passed and model3.detail["reference_rank"] <= 5

    # failing: top 1 demanded, and the starting configuration is not the best
    failing = create(world, {"kind": "tune", "model_version": version.pk, "params": {**params, "top_k": 1}})
    job = wait_for(failing["id"], worker=celery_worker)
    assert job.status == "failed" and job.result["reference_rank"] > 1
    assert not evidence(world, "model-3", job).passed

    # a version registered by a tune job is a tuned configuration
    tuned = create(world, {"kind": "tune", "model_version": best.pk, "params": {**params, "top_k": 1}})
    job = wait_for(tuned["id"], worker=celery_worker)
    assert job.passed is True and "comes from tune job" in evidence(world, "model-3", job).title


def test_tune_without_a_declared_search_space_names_it(world: Any, celery_worker: Any, mlp_weights: Path) -> None:
    version = register_mlp(world.project, mlp_weights, by=world.owner)
    body = {"kind": "tune", "model_version": version.pk, "params": {"recipe": "tests.jobs.broken_recipes:explode"}}
    job = wait_for(create(world, body)["id"])
    assert job.status == "failed"
    assert "recipe 'tests.jobs.broken_recipes:explode' declares no search space" in job.message


# --------------------------------------------------------------------------- model-4


@pytest.fixture(scope="session")
def weak_weights(tmp_path_factory: Any) -> Path:
    from shipyard_ml.data import load_sklearn_dataset
    from shipyard_ml.loading import save_state_dict
    from shipyard_ml.train import digits_mlp

    model, _ = digits_mlp({"hidden": [64], "epochs": 1, "lr": 1e-4}, 0, load_sklearn_dataset("digits"))
    return save_state_dict(model, tmp_path_factory.mktemp("weak") / "weak.pt")


def test_staleness_impact_fits_accuracy_against_age(
    world: Any, celery_worker: Any, mlp_weights: Path, weak_weights: Path, digits_dataset: Any
) -> None:
    from shipyard.registry.versions import model_version_create

    now = timezone.now()
    old = model_version_create(
        project=world.project,
        model_name="digits-mlp",
        artifact_file_or_path=weak_weights,
        format="state_dict",
        recipe="digits_mlp",
        recipe_config={"hidden": [64], "epochs": 1, "lr": 1e-4},
        params={"trained_at": (now - timedelta(days=56)).isoformat()},
        by=world.owner,
    )
    live = register_mlp(world.project, mlp_weights, by=world.owner)
    from shipyard.registry.models import ModelVersion

    ModelVersion.objects.filter(pk=live.pk).update(params={"trained_at": (now - timedelta(days=7)).isoformat()})
    base = {"kind": "staleness_impact", "model_version": live.pk, "dataset_version": digits_dataset.pk}

    # failing: retrained every 49 days (measured between the two versions), the loss exceeds 0.02
    job = wait_for(create(world, base)["id"], worker=celery_worker)
    assert job.status == "failed", job.message
    report = job.result
    assert [p["version"] for p in report["points"]] == [old.number, live.number]
    assert report["points"][0]["date_source"] == "declared"
    assert report["points"][0]["age_days"] == pytest.approx(56, abs=0.1)
    assert report["points"][1]["accuracy"] > report["points"][0]["accuracy"]
    assert report["loss_per_week"] > 0 and report["interval_source"] == "measured"
    assert report["retrain_interval_days"] == pytest.approx(49, abs=0.1)
    assert report["expected_loss"] > 0.02 and report["fresh"] is True
    assert not evidence(world, "model-4", job).passed

    # passing: retrained daily, the expected loss is within 0.05
    body = {**base, "params": {"retrain_interval_days": 1, "tolerance": 0.05}}
    job = wait_for(create(world, body)["id"], worker=celery_worker)
    assert job.status == "succeeded", job.message
    assert job.result["expected_loss"] <= 0.05 and job.result["interval_source"] == "declared"
    model4 = evidence(world, "model-4", job)
    assert model4.passed and len(model4.detail["points"]) == 2


def test_staleness_impact_names_what_is_missing(
    world: Any, celery_worker: Any, mlp_weights: Path, digits_dataset: Any
) -> None:
    version = register_mlp(world.project, mlp_weights, by=world.owner)
    job = wait_for(create(world, {"kind": "staleness_impact", "model_version": version.pk})["id"])
    assert job.status == "failed" and "staleness_impact needs recent labelled data" in job.message
    body = {"kind": "staleness_impact", "model_version": version.pk, "dataset_version": digits_dataset.pk}
    job = wait_for(create(world, body)["id"])
    assert job.status == "failed" and "at least two dated versions; found 1 of digits-mlp" in job.message
