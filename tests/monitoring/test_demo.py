"""The demo traffic simulator: drift half-way is flagged, feedback fills the flywheel's daily table."""

from __future__ import annotations

from typing import Any

import pytest

from shipyard.monitoring import demo, selectors
from shipyard.monitoring.models import MonitorRun
from tests.monitoring.conftest import make_setup

pytestmark = pytest.mark.django_db


def test_simulate_backfills_drift_and_feedback(world: Any, tmp_path: Any) -> None:
    d = make_setup(world.project, tmp_path)
    result = demo.simulate(d, predictions=600, hours=48, drift_features=2, checkpoints=4)
    assert result["predictions"] == 600 and result["feedback"] > 50
    table = selectors.drift_table(deployment=d)
    failing = {f["feature"] for f in table["features"] if f["status"] == "fail"}
    assert set(result["drifted_features"]) <= failing
    assert MonitorRun.objects.filter(deployment=d, kind="drift").count() == 4
    first = next(f for f in table["features"] if f["feature"] == result["drifted_features"][0])
    assert len(first["series"]) == 4
    wheel = selectors.flywheel(deployment=d)
    assert len(wheel["daily"]) >= 2 and sum(r["predictions"] for r in wheel["daily"]) == 600
    assert wheel["mistakes_total"] > 0


def test_seed_skips_deployments_without_data_and_is_idempotent(world: Any, tmp_path: Any) -> None:
    import io
    from types import SimpleNamespace

    d = make_setup(world.project, tmp_path)
    out = io.StringIO()
    ctx = SimpleNamespace(projects={"p": world.project}, stdout=out)
    demo.seed(ctx)
    from shipyard.serving.models import PredictionLog

    n = PredictionLog.objects.filter(deployment_id=d.pk).count()
    assert n > 0
    demo.seed(ctx)
    assert PredictionLog.objects.filter(deployment_id=d.pk).count() == n
    assert "drift in" in out.getvalue()
