from __future__ import annotations

import io
import itertools
from typing import Any

from shipyard.core.demo import DemoContext
from shipyard.projects.demo import DEMO_PROJECTS
from shipyard.rubric import demo
from shipyard.rubric.models import Assessment, Evidence
from tests.factories import MembershipFactory, ProjectFactory, TeamFactory, UserFactory


def test_demo_seed_gives_histories_and_is_idempotent(db: Any) -> None:
    # the same context `manage.py shipyard_seed_demo` builds (the rubric step only, so other
    # apps' demo steps cannot make this test fail)
    user, team = UserFactory(username="demo"), TeamFactory(slug="demo")
    MembershipFactory(user=user, team=team, role="admin")
    projects = {slug: ProjectFactory(team=team, slug=slug, name=name) for slug, name, _ in DEMO_PROJECTS}
    ctx = DemoContext(user=user, team=team, projects=projects, stdout=io.StringIO())

    demo.seed(ctx)
    counts = {slug: p.assessments.count() for slug, p in projects.items()}
    assert counts == {"digits-classifier": 8, "cancer-screening": 6, "wine-quality": 5, "iris-species": 3}
    digits = list(Assessment.objects.filter(project__slug="digits-classifier").order_by("created_at"))
    finals = [a.score_final for a in digits]
    assert finals == sorted(finals) and finals[-1] > finals[0] and finals[-1] >= 3.0
    assert (digits[-1].created_at - digits[0].created_at).days >= 40
    assert all(b.base_id == a.pk for a, b in itertools.pairwise(digits))
    evidence = Evidence.objects.count()
    assert evidence == len(demo.EVIDENCE)

    demo.seed(ctx)
    assert Assessment.objects.count() == sum(counts.values())
    assert Evidence.objects.count() == evidence
