from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from shipyard.accounts import services


class Command(BaseCommand):
    help = "Create a team with an existing user as its admin."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--slug", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--owner", required=True, help="username of the team's first admin")

    def handle(self, *args: Any, **opts: Any) -> None:
        owner = get_user_model().objects.filter(username=opts["owner"]).first()
        if owner is None:
            raise CommandError(f"no user named {opts['owner']!r}")
        team = services.team_create(slug=opts["slug"], name=opts["name"], owner=owner)
        self.stdout.write(f"team {team.slug} created")
