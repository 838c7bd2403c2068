"""Seed the demo workspace. Safe to run again: every step is idempotent.

Each app may contribute a ``demo.py`` module with ``seed(ctx: DemoContext) -> None``; they run in
the order of INSTALLED_APPS (the projects app's seed creates the demo user, team and projects).
"""

from __future__ import annotations

import importlib
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand

from shipyard.core.demo import DemoContext


class Command(BaseCommand):
    help = "Create (or refresh) the demo user, team and projects, and each app's demo data."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--skip-heavy", action="store_true", help="skip steps that train models")

    def handle(self, *args: Any, **opts: Any) -> None:
        ctx = DemoContext(stdout=self.stdout, options=opts)
        for app in apps.get_app_configs():
            if not app.name.startswith("shipyard."):
                continue
            try:
                module = importlib.import_module(f"{app.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{app.name}.demo":
                    raise
                continue
            if hasattr(module, "seed"):
                module.seed(ctx)
        self.stdout.write(self.style.SUCCESS(f"Demo workspace ready: {settings.PUBLIC_URL}  {ctx.login}"))
