"""Demo seed, first step: the demo user, its team and the four demo projects (idempotent)."""

from __future__ import annotations

from shipyard.accounts import services as accounts
from shipyard.accounts.models import Team
from shipyard.core.demo import DemoContext
from shipyard.projects.models import Project

DEMO_USER, DEMO_PASSWORD, DEMO_TEAM = "demo", "shipyard-demo", "demo"
DEMO_PROJECTS = [
    (
        "digits-classifier",
        "Digits classifier",
        "Handwritten digit recognition (8x8 images) served to the mail-sorting app.",
    ),
    (
        "iris-species",
        "Iris species",
        "Flower species from petal and sepal measurements; the team's first tabular model.",
    ),
    ("cancer-screening", "Breast cancer screening", "Assists radiologists by flagging suspicious biopsies for review."),
    ("wine-quality", "Wine cultivar", "Classifies wine cultivars from chemical analysis for the lab's QA line."),
]


def seed(ctx: DemoContext) -> None:
    user = accounts.user_ensure(username=DEMO_USER, password=DEMO_PASSWORD, email="demo@example.com")
    team = Team.objects.filter(slug=DEMO_TEAM).first() or accounts.team_create(
        slug=DEMO_TEAM, name="Demo team", owner=user
    )
    accounts.membership_set(team=team, user=user, role="admin")
    for slug, name, description in DEMO_PROJECTS:
        ctx.projects[slug], _ = Project.objects.get_or_create(
            slug=slug, defaults={"team": team, "name": name, "description": description}
        )
    ctx.user, ctx.team = user, team
    ctx.login = f"login: {DEMO_USER} / {DEMO_PASSWORD}"
