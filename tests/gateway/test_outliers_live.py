"""Outlier detection end to end: a real Celery worker fits the detector on the version's training
dataset, the serving worker scores every request, the answer and the log row carry the score and
the verdict (gateway and web process alike), and the outlier-rate monitor alerts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from shipyard.serving import dataplane
from shipyard.serving.drain import drain_prediction_log
from shipyard.serving.models import OutlierDetector, PredictionLog
from tests.gateway.conftest import until
from tests.gateway.test_gateway import gw, setup, web  # noqa: F401  (the shared fixture)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

OUTLIERS = "/api/v1/projects/fraud-model/deployments/digits/outliers/"


def digits_training_set(project: Any, tmp_path: Path) -> Any:
    """The digits data as a parquet dataset version (pixel_0..pixel_63 and target)."""
    import pandas as pd
    from sklearn.datasets import load_digits

    from shipyard.registry.datasets import dataset_version_create

    x, y = load_digits(return_X_y=True)
    frame = pd.DataFrame(x, columns=[f"pixel_{i}" for i in range(64)])
    frame["target"] = y
    path = tmp_path / "digits.parquet"
    frame.to_parquet(path, index=False)
    return dataset_version_create(
        project=project, dataset_name="digits-train", file_or_path=path, format="parquet", label_column="target"
    )


def test_detector_scores_every_request_and_the_monitor_alerts(
    gateway: str,
    worker: Any,
    celery_worker: Any,
    setup: Any,  # noqa: F811
    digits_rows: Any,
    redis_client: Any,
    world: Any,
    tmp_path: Path,
) -> None:
    from rest_framework.test import APIClient

    from shipyard.monitoring.models import Alert, MonitorRun
    from shipyard.monitoring.monitors import monitors_run

    client = APIClient()
    client.force_authenticate(world.owner)
    # the demo version was registered without a real training dataset: 400 naming it
    v1 = setup["v1"]
    v1.training_dataset = None
    v1.save(update_fields=["training_dataset"])
    res = client.post(OUTLIERS, {}, format="json")
    assert res.status_code == 400 and "training_dataset" in res.json()["error"]["fields"], res.json()
    v1.training_dataset = digits_training_set(world.project, tmp_path)
    v1.save(update_fields=["training_dataset"])
    assert client.post(OUTLIERS, {"quantile": 0.99}, format="json").status_code == 202
    ready = until(lambda: OutlierDetector.objects.filter(state="ready").first(), seconds=60)
    assert ready is not None, (OutlierDetector.objects.values("state", "error").first(), celery_worker.log()[-3000:])
    assert ready.training_rows == 1797 and ready.threshold and ready.threshold > 0
    dataplane.ROUTES.clear()
    auth = {"Authorization": f"Token {setup['token']}"}
    from sklearn.datasets import load_digits

    x, _ = load_digits(return_X_y=True)  # noise within each pixel's training range passes validation
    noise = np.random.default_rng(1).uniform(x.min(axis=0), x.max(axis=0), size=(4, 64)).round().tolist()
    body = {"inputs": digits_rows[:6] + noise}
    res = until(lambda: "is_outlier" in (r := gw(gateway, body=body, **auth).json()) and r, seconds=10)
    assert res, gw(gateway, body=body, **auth).text[:300]
    ours, theirs = res, web(body=body, **auth).json()
    for answer in (ours, theirs):
        assert answer["is_outlier"][6:] == [True] * 4
        assert sum(answer["is_outlier"][:6]) <= 1
        assert len(answer["outlier_score"]) == 10 and min(answer["outlier_score"][6:]) > ready.threshold
    assert ours["outlier_score"] == theirs["outlier_score"]
    # the log rows carry them too
    dataplane.STATS.flush()
    until(lambda: redis_client.llen("shipyard:serving:plog") >= 20, seconds=5)
    drain_prediction_log(redis_client)
    rows = PredictionLog.objects.filter(request_id__in=ours["request_ids"] + theirs["request_ids"])
    assert rows.count() == 20 and rows.filter(is_outlier=True).count() >= 8
    assert rows.get(request_id=ours["request_ids"][7]).outlier_score == ours["outlier_score"][7]
    # 40 % outliers in the last hour is over the 5 % limit: the monitor fails and alerts
    monitors_run(deployment_id=setup["deployment"].pk)
    run = MonitorRun.objects.filter(kind="outliers").latest("computed_at")
    assert run.status == "fail" and run.value is not None and run.value >= 0.4, run.summary
    alert = Alert.objects.get(key=f"monitor:{setup['deployment'].pk}:outliers")
    assert alert.status == "open" and "outlier" in alert.title.lower()
    report = client.get(OUTLIERS).json()
    assert report["detector"]["state"] == "ready" and report["scored"] == 20 and report["outliers"] >= 8
