from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from shipyard.accounts import services


class Command(BaseCommand):
    help = "Print an API token for a user (Authorization: Token <token>)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--rotate", action="store_true", help="revoke the old token first")

    def handle(self, *args: Any, **opts: Any) -> None:
        user = get_user_model().objects.filter(username=opts["username"]).first()
        if user is None:
            raise CommandError(f"no user named {opts['username']!r}")
        self.stdout.write(services.token_for(user=user, rotate=opts["rotate"]))
