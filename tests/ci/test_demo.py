from __future__ import annotations

import io
from typing import Any

from shipyard.ci import demo
from shipyard.ci.models import CIRun, DependencyChange, MetricValue, Notification, TestCase
from shipyard.core.demo import DemoContext
from shipyard.projects.demo import DEMO_PROJECTS
from shipyard.rubric.models import Evidence
from tests.factories import MembershipFactory, ProjectFactory, TeamFactory, UserFactory


def test_demo_seed_gives_ci_history_and_is_idempotent(db: Any) -> None:
    user, team = UserFactory(username="demo"), TeamFactory(slug="demo")
    MembershipFactory(user=user, team=team, role="admin")
    projects = {slug: ProjectFactory(team=team, slug=slug, name=name) for slug, name, _ in DEMO_PROJECTS}
    ctx = DemoContext(user=user, team=team, projects=projects, stdout=io.StringIO())

    demo.seed(ctx)
    digits = projects["digits-classifier"]
    runs = list(CIRun.objects.filter(project=digits).order_by("created_at"))
    assert len(runs) == 15 and {r.branch for r in runs} == {"main", "feature/cnn-head"}
    assert (runs[-1].created_at - runs[0].created_at).days >= 30  # weeks of history
    assert sum(r.status == "failed" for r in runs) == 2  # the flaky main run and one feature run
    assert TestCase.objects.filter(run__project=digits, rubric_ids__contains=["data-7"]).exists()  # tag rule

    verdicts = list(MetricValue.objects.filter(run__project=digits).values_list("name", "verdict"))
    assert [v for _, v in verdicts].count("regression") == 1
    assert ("latency_p99_ms", "regression") in verdicts
    assert {v for _, v in verdicts if _ == "accuracy"} >= {"baseline", "ok"}
    change = DependencyChange.objects.get(project=digits)
    assert change.changed["numpy"] == ["1.26.4", "2.0.2"] and change.added == {"skl2onnx": "1.17.0"}
    assert set(Notification.objects.filter(project=digits).values_list("kind", flat=True)) == {
        "dependencies",
        "regression",
    }

    evidence = Evidence.objects.filter(project=digits, source="ci")
    latest = {e.test_id: e for e in evidence.order_by("observed_at", "id")}
    assert latest["infra-3"].passed and evidence.filter(test_id="infra-3", passed=False).exists()  # flaky, fixed
    assert latest["model-6"].passed  # the failure was on the feature branch only
    assert latest["monitor-1"].passed and latest["monitor-6"].passed and latest["monitor-7"].passed
    assert all(e.detail.get("branch", "main") == "main" for e in evidence if "branch" in e.detail)

    counts = (
        CIRun.objects.count(),
        Evidence.objects.count(),
        Notification.objects.count(),
        MetricValue.objects.count(),
    )
    demo.seed(ctx)
    assert (
        CIRun.objects.count(),
        Evidence.objects.count(),
        Notification.objects.count(),
        MetricValue.objects.count(),
    ) == counts
    assert counts[0] == 4 * 15
