from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from shipyard.accounts import services
from shipyard.accounts.models import Team
from shipyard.accounts.roles import Role
from shipyard.core.errors import DomainError


class Command(BaseCommand):
    help = "Create a user (or reset its password), optionally adding it to a team with a role."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--email", default="")
        parser.add_argument("--team", help="team slug; created if it does not exist")
        parser.add_argument("--role", default=Role.ADMIN, choices=[r.value for r in Role])
        parser.add_argument("--staff", action="store_true", help="also a Django admin superuser")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            with transaction.atomic():
                user = services.user_ensure(
                    username=opts["username"], password=opts["password"], email=opts["email"], is_staff=opts["staff"]
                )
                if opts["team"]:
                    team = Team.objects.filter(slug=opts["team"]).first()
                    if team is None:
                        team = services.team_create(slug=opts["team"], name=opts["team"], owner=user)
                    services.membership_set(team=team, user=user, role=opts["role"])
        except DomainError as exc:
            raise CommandError(f"--{exc.field or 'password'}: {exc.message}") from None
        self.stdout.write(f"user {user.username} ready")
