from __future__ import annotations

import io
from typing import Any

from django.core.management import call_command

from shipyard.projects.models import Project
from shipyard.rubric.models import Assessment, Evidence


def test_demo_seed_gives_histories_and_is_idempotent(db: Any) -> None:
    out = io.StringIO()
    call_command("shipyard_seed_demo", "--skip-heavy", stdout=out)
    counts = {p.slug: p.assessments.count() for p in Project.objects.filter(team__slug="demo")}
    assert counts == {"digits-classifier": 8, "cancer-screening": 6, "wine-quality": 5, "iris-species": 3}
    digits = list(Assessment.objects.filter(project__slug="digits-classifier").order_by("created_at"))
    finals = [a.score_final for a in digits]
    assert finals == sorted(finals) and finals[-1] > finals[0] and finals[-1] >= 3.0
    assert (digits[-1].created_at - digits[0].created_at).days >= 40
    evidence = Evidence.objects.count()
    assert evidence > 10

    call_command("shipyard_seed_demo", "--skip-heavy", stdout=io.StringIO())
    assert Assessment.objects.count() == sum(counts.values())
    assert Evidence.objects.count() == evidence
