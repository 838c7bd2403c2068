"""Seed the demo workspace. Safe to run again: every step is idempotent.

Each app may contribute a ``demo.py`` module with ``seed(ctx: DemoContext) -> None``; they run in
the order of INSTALLED_APPS, after the demo user, team and projects exist.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand

from shipyard.accounts import services as accounts
from shipyard.accounts.models import Team
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


@dataclass
class DemoContext:
    user: Any
    team: Team
    projects: dict[str, Project]
    stdout: Any
    options: dict[str, Any] = field(default_factory=dict)


class Command(BaseCommand):
    help = "Create (or refresh) the demo user, team and projects, and each app's demo data."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--skip-heavy", action="store_true", help="skip steps that train models")

    def handle(self, *args: Any, **opts: Any) -> None:
        user = accounts.user_ensure(username=DEMO_USER, password=DEMO_PASSWORD, email="demo@example.com")
        team = Team.objects.filter(slug=DEMO_TEAM).first() or accounts.team_create(
            slug=DEMO_TEAM, name="Demo team", owner=user
        )
        accounts.membership_set(team=team, user=user, role="admin")
        projects = {}
        for slug, name, description in DEMO_PROJECTS:
            projects[slug], _ = Project.objects.get_or_create(
                slug=slug, defaults={"team": team, "name": name, "description": description}
            )
        ctx = DemoContext(user=user, team=team, projects=projects, stdout=self.stdout, options=opts)
        for app in apps.get_app_configs():
            if not app.name.startswith("shipyard."):
                continue
            try:
                module = importlib.import_module(f"{app.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{app.name}.demo":
                    raise
                continue
            module.seed(ctx)
        self.stdout.write(
            self.style.SUCCESS(f"Demo workspace ready: {settings.PUBLIC_URL}  login: {DEMO_USER} / {DEMO_PASSWORD}")
        )
