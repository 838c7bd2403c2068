"""Fairness jobs (fairlearn MetricFrame over a dataset's sensitive groups) through a real Celery worker:
a grouping the model treats alike passes, one it treats worse fails, and the figures are fairlearn's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from shipyard.jobs.models import Job
from shipyard.rubric.models import Evidence
from tests.debugging.conftest import predicted
from tests.jobs.conftest import register_mlp, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _frame() -> Any:
    """Digits with two synthetic sensitive attributes: ``cohort`` (random, the model cannot tell them
    apart) and ``scanner`` ("old" rows lose the left half of the image, so the model does worse on them)."""
    import pandas as pd
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = bunch.data.copy()
    rng = np.random.default_rng(3)
    old = rng.random(len(x)) < 0.3
    x[old] = x[old] * np.tile(np.r_[np.zeros(4), np.ones(4)], 8)
    frame = pd.DataFrame(x, columns=[f"pixel_{i}" for i in range(64)])
    frame["cohort"] = np.where(rng.random(len(x)) < 0.5, "A", "B")
    frame["scanner"] = np.where(old, "old", "new")
    frame["label"] = bunch.target
    return frame


def _dataset(world: Any, tmp_path: Path, sensitive: list[str]) -> Any:
    from shipyard.registry.datasets import dataset_version_create

    path = tmp_path / "digits-groups.parquet"
    _frame().to_parquet(path, index=False)
    return dataset_version_create(
        project=world.project,
        dataset_name="digits-groups",
        file_or_path=path,
        format="parquet",
        label_column="label",
        sensitive_features=sensitive,
        slices=[{"name": "zeros", "filter": "label == 0"}],
    )


def _job(world: Any, version: Any, dv: Any, params: dict[str, Any] | None = None) -> Job:
    res = world.client(world.owner).post(
        "/api/v1/jobs/",
        {
            "project": "fraud-model",
            "kind": "fairness",
            "model_version": version.pk,
            "dataset_version": dv.pk,
            "params": params or {},
        },
        format="json",
    )
    assert res.status_code == 201, res.json()
    return wait_for(res.json()["id"], timeout=120)


def test_fairness_job_pass_and_fail(world: Any, celery_worker: Any, mlp_weights: Path, tmp_path: Path) -> None:
    from fairlearn.metrics import MetricFrame, demographic_parity_difference, equalized_odds_difference

    version = register_mlp(world.project, mlp_weights, by=world.owner)
    dv = _dataset(world, tmp_path, ["cohort"])
    assert dv.sensitive_features == ["cohort"]

    job = _job(world, version, dv)  # the dataset's marked feature: a random cohort
    assert job.status == "succeeded", job.message
    r = job.result
    assert r["kind"] == "fairness" and r["passed"] and r["rows"] == 1797
    cohort = r["groupings"][0]
    assert cohort["feature"] == "cohort" and cohort["passed"]
    assert {g["group"] for g in cohort["groups"]} == {"A", "B"}

    # the numbers are fairlearn's on the same predictions
    frame = _frame()
    y = frame["label"].to_numpy()
    pred = np.asarray(predicted(mlp_weights, frame[[f"pixel_{i}" for i in range(64)]].to_numpy().tolist()))
    mf = MetricFrame(
        metrics=lambda t, p: float((t == p).mean()), y_true=y, y_pred=pred, sensitive_features=frame["cohort"]
    )
    acc = {g["group"]: g["accuracy"] for g in cohort["groups"]}
    assert acc["A"] == pytest.approx(mf.by_group["A"]) and acc["B"] == pytest.approx(mf.by_group["B"])
    # one class against the rest, the largest over the classes (every class has enough rows in both cohorts)
    dpd = {c: demographic_parity_difference(y == c, pred == c, sensitive_features=frame["cohort"]) for c in range(10)}
    eod = [equalized_odds_difference(y == c, pred == c, sensitive_features=frame["cohort"]) for c in range(10)]
    assert cohort["demographic_parity_difference"] == pytest.approx(max(dpd.values()))
    assert cohort["worst_class"] == str(max(dpd, key=lambda c: dpd[c]))
    assert cohort["equalized_odds_difference"] == pytest.approx(max(eod))
    assert Evidence.objects.filter(project=world.project, test_id="model-7", passed=True).exists()

    # the scanner grouping (and a slice, by name): the model is worse on old scans, so it fails
    job = _job(world, version, dv, {"sensitive_features": ["scanner", "zeros"]})
    assert job.status == "failed"
    scanner = job.result["groupings"][0]
    assert scanner["feature"] == "scanner" and not scanner["passed"]
    acc = {g["group"]: g["accuracy"] for g in scanner["groups"]}
    assert acc["new"] - acc["old"] > 0.1
    assert any("accuracy difference" in v for v in scanner["violations"])
    assert job.result["groupings"][1]["source"] == "slice"
    latest = Evidence.objects.filter(project=world.project, test_id="model-7").order_by("-observed_at").first()
    assert latest is not None and not latest.passed


def test_fairness_job_names_what_is_missing(world: Any, celery_worker: Any, mlp_weights: Path, tmp_path: Path) -> None:
    version = register_mlp(world.project, mlp_weights, by=world.owner)
    dv = _dataset(world, tmp_path, [])
    job = _job(world, version, dv)
    assert job.status == "failed" and "no sensitive features" in job.message
    job = _job(world, version, dv, {"sensitive_features": ["religion"]})
    assert job.status == "failed" and "'religion' is neither a column nor a slice" in job.message


def test_dataset_sensitive_features_validated(world: Any, tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("a,b,label\n1,x,0\n2,y,1\n")
    url = "/api/v1/projects/fraud-model/datasets/d/versions/"
    client = world.client(world.owner)
    for bad in ('["nope"]', '["label"]', "[1]", '{"a": 1}'):
        with path.open("rb") as fh:
            res = client.post(url, {"file": fh, "format": "csv", "label_column": "label", "sensitive_features": bad})
        assert res.status_code == 400 and "sensitive_features" in res.json()["error"]["fields"], (bad, res.json())
    with path.open("rb") as fh:
        res = client.post(url, {"file": fh, "format": "csv", "label_column": "label", "sensitive_features": '["b"]'})
    assert res.status_code == 201 and res.json()["sensitive_features"] == ["b"]
