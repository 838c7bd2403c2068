"""The demo's bandit, ensemble, shadow and outlier detector on the digits project, from real model
answers on the digits rows."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from shipyard.core.demo import DemoContext
from tests.factories import ProjectFactory
from tests.gateway.test_outliers_live import digits_training_set
from tests.serving.conftest import digits_onnx, make_versions  # noqa: F401  (the shared fixture)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_demo_routing_features(world: Any, digits_onnx: Any, redis_client: Any, tmp_path: Path) -> None:  # noqa: F811
    from shipyard.monitoring.demo_routing import seed_routing
    from shipyard.monitoring.models import Alert, MonitorRun
    from shipyard.serving import bandit, lifecycle
    from shipyard.serving.bandit_report import bandit_report
    from shipyard.serving.models import Deployment, OutlierDetector, PredictionLog, ShadowLog
    from shipyard.serving.selectors import bandit_config
    from shipyard.serving.shadow_service import shadow_report

    project = ProjectFactory(team=world.team, slug="digits-classifier")
    v1, v2 = make_versions(project, digits_onnx)
    dataset = digits_training_set(project, tmp_path)
    for v in (v1, v2):
        v.model.name = "digits-mlp"
        v.model.save()
        v.training_dataset = dataset
        v.save()
    lifecycle.deployment_create(project=project, name="digits", model=v2.model, version=v2, by=world.owner)
    out = io.StringIO()
    ctx = DemoContext(stdout=out, user=world.owner, team=world.team, projects={"digits-classifier": project})
    seed_routing(ctx)
    assert "skipped" not in out.getvalue(), out.getvalue()
    digits = Deployment.objects.get(project=project, name="digits")
    detector = OutlierDetector.objects.get(deployment=digits)
    assert detector.state == "ready"
    # three scribbles in 120 rows are flagged; the rate stays under the alert limit
    scribbles = PredictionLog.objects.filter(request_id__startswith="demo-outlier-", is_outlier=True)
    assert {f"demo-outlier-{detector.pk}-{i}" for i in (0, 40, 80)} <= set(
        scribbles.values_list("request_id", flat=True)
    )
    run = MonitorRun.objects.filter(deployment=digits, kind="outliers").latest("computed_at")
    assert run.status == "ok" and 3 <= run.detail["outliers"] < 0.05 * run.detail["scored"]
    assert not Alert.objects.filter(key=f"monitor:{digits.pk}:outliers", status="open").exists()
    shadow = shadow_report(deployment=digits)
    assert shadow["active"] and shadow["count"] == 400 and 0.5 < shadow["agreement"] <= 1.0
    bandit_d = Deployment.objects.prefetch_related("bandit_arms").get(project=project, name="digits-bandit")
    config = bandit_config(bandit_d)
    assert config is not None
    state = bandit.parse_state(redis_client.hgetall(bandit.state_key(bandit_d.pk, config.epoch)), config.arms)
    assert sum(s.successes + s.failures for s in state.values()) == 400
    report = bandit_report(deployment=bandit_d)
    assert sum(a["requests"] for a in report["arms"]) == 400 and report["history"]
    ensemble = Deployment.objects.select_related("live_version").get(project=project, name="digits-ensemble")
    assert ensemble.live_version.format == "ensemble"
    seed_routing(ctx)  # idempotent
    assert ShadowLog.objects.count() == 400 and Deployment.objects.filter(project=project).count() == 3
