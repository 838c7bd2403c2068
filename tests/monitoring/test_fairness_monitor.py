"""The fairness monitor (rubric model-7 on production): fairlearn over the sensitive groups of labelled
feedback, with thresholds, an alert when a group is treated worse, and evidence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from shipyard.monitoring.feedback import feedback_submit
from shipyard.monitoring.models import Alert, MonitorRun
from shipyard.rubric.models import Evidence
from tests.monitoring.conftest import log_predictions, make_setup

pytestmark = pytest.mark.django_db


def _deployment(
    world: Any, tmp_path: Path, sensitive: list[str], name: str = "tabular"
) -> tuple[Any, np.ndarray, list[str]]:
    d = make_setup(world.project, tmp_path, name=name, slices=[{"name": "high_f0", "filter": "f0 > 0"}])
    d.live_version.training_dataset.__class__.objects.filter(pk=d.live_version.training_dataset_id).update(
        sensitive_features=sensitive
    )
    d.live_version.training_dataset.refresh_from_db()
    rows = np.random.default_rng(5).normal(size=(120, 4))
    ids = log_predictions(d, rows, outputs=[1] * len(rows))
    return d, rows, ids


def _run(d: Any) -> MonitorRun:
    from shipyard.monitoring.monitors import monitors_run

    monitors_run(deployment_id=d.pk)
    return MonitorRun.objects.filter(deployment=d, kind="fairness").latest("computed_at")


def test_group_treated_worse_fails_and_alerts(world: Any, tmp_path: Path) -> None:
    d, rows, ids = _deployment(world, tmp_path, ["high_f0"])
    for rid, row in zip(ids, rows, strict=True):
        # right on the high_f0 group, mostly wrong on the rest
        feedback_submit(deployment=d, request_id=rid, label=1 if row[0] > 0 else (2 if hash(rid) % 4 else 1))
    run = _run(d)
    assert run.status == "fail", run.summary
    grouping = run.detail["groupings"][0]
    assert grouping["feature"] == "high_f0" and grouping["source"] == "slice"
    acc = {g["group"]: g["accuracy"] for g in grouping["groups"]}
    assert acc["in slice"] == 1.0 and acc["rest"] < 0.5
    assert any("accuracy difference" in v for v in grouping["violations"])
    assert run.detail["data"] == "feedback"
    assert Alert.objects.filter(key=f"monitor:{d.pk}:fairness", status="open").exists()
    ev = Evidence.objects.get(project=world.project, test_id="model-7", key=f"monitor:{d.pk}:fairness")
    assert not ev.passed


def test_groups_treated_alike_pass_and_no_sensitive_features_is_no_data(world: Any, tmp_path: Path) -> None:
    d, _, ids = _deployment(world, tmp_path, ["high_f0", "f2"])
    for rid in ids:
        feedback_submit(deployment=d, request_id=rid, label=1)
    run = _run(d)
    assert run.status == "ok", run.summary
    assert [g["feature"] for g in run.detail["groupings"]] == ["f2", "high_f0"]
    assert Evidence.objects.get(project=world.project, test_id="model-7").passed

    other, _, _ = _deployment(world, tmp_path / "other", [], name="other")
    assert _run(other).status == "no_data"
