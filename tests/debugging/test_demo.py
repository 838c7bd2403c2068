"""The demo for explanations, replays and fairness on digits-classifier: the synthetic sensitive slice is
marked, the fairness monitor judges the simulated feedback, and the queued jobs run on a real worker
and leave infra-5 and model-7 evidence."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from shipyard.jobs.models import Job
from shipyard.monitoring.models import MonitorRun
from shipyard.rubric.models import Evidence
from tests.debugging.conftest import MLP_CONFIG, deploy
from tests.factories import ProjectFactory
from tests.jobs.conftest import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _digits_dataset(project: Any, tmp_path: Path) -> Any:
    import pandas as pd
    from sklearn.datasets import load_digits

    from shipyard.registry.datasets import dataset_version_create

    bunch = load_digits()
    frame = pd.DataFrame(bunch.data, columns=[f"pixel_{r}_{c}" for r in range(8) for c in range(8)])
    frame["label"] = bunch.target
    path = tmp_path / "digits.parquet"
    frame.to_parquet(path, index=False)
    return dataset_version_create(
        project=project,
        dataset_name="digits",
        file_or_path=path,
        format="parquet",
        label_column="label",
        slices=[
            {"name": "faint-centre", "filter": "pixel_3_3 < 8"},
            {"name": "bold-centre", "filter": "pixel_3_3 >= 8"},
        ],
    )


def test_demo_explanation_replay_fairness(
    world: Any, celery_worker: Any, mlp_weights: Path, mlp_onnx: Path, tmp_path: Path
) -> None:
    from shipyard.monitoring import debug_demo, demo

    project = ProjectFactory(team=world.team, slug="digits-classifier", name="Digits")
    dv = _digits_dataset(project, tmp_path)
    deploy(
        project, mlp_weights, "state_dict", name="digits", training=dv, recipe="digits_mlp", recipe_config=MLP_CONFIG
    )
    d, onnx_v = deploy(project, mlp_onnx, "onnx", name="digits", training=dv)
    d.live_version = onnx_v
    d.save(update_fields=["live_version"])
    out = io.StringIO()
    ctx = SimpleNamespace(projects={"digits-classifier": project}, stdout=out, user=world.owner)

    debug_demo.prepare(ctx)
    dv.refresh_from_db()
    assert dv.sensitive_features == ["faint-centre"]
    demo.simulate(d, predictions=400, hours=4, checkpoints=2)
    fairness = MonitorRun.objects.filter(deployment=d, kind="fairness").latest("computed_at")
    assert fairness.detail["groupings"][0]["feature"] == "faint-centre"
    assert fairness.detail["thresholds"]["max_demographic_parity_difference"] == 1.0
    assert fairness.status == "ok", fairness.summary

    debug_demo.seed(ctx)
    debug_demo.seed(ctx)  # idempotent
    jobs = {j.kind: j for j in Job.objects.filter(project=project)}
    assert set(jobs) == {"explain", "replay", "fairness"} and Job.objects.filter(project=project).count() == 3
    for job in jobs.values():
        done = wait_for(job.pk, timeout=120)
        assert done.status in ("succeeded", "failed") and done.result.get("kind") == job.kind, done.message
    explanation = Job.objects.get(pk=jobs["explain"].pk).result
    assert explanation["method"] == "kernel_shap" and explanation["image_shape"] == [8, 8]
    assert Job.objects.get(pk=jobs["replay"].pk).result["version"] == 1
    assert Evidence.objects.filter(project=project, test_id="infra-5", passed=True).count() == 2
    assert Job.objects.get(pk=jobs["fairness"].pk).status == "succeeded"
    assert Evidence.objects.filter(project=project, test_id="model-7", key__startswith="job:", passed=True).exists()
    assert "synthetic" in out.getvalue()
