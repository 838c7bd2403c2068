"""Writes for users, teams and memberships."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from rest_framework.authtoken.models import Token

from shipyard.accounts.models import Membership, Team
from shipyard.accounts.roles import Role
from shipyard.core.errors import DomainConflict


@transaction.atomic
def team_create(*, slug: str, name: str, owner: Any) -> Team:
    if Team.objects.filter(slug=slug).exists():
        raise DomainConflict(f"A team with slug '{slug}' already exists.", field="slug")
    team = Team.objects.create(slug=slug, name=name)
    Membership.objects.create(user=owner, team=team, role=Role.ADMIN)
    return team


@transaction.atomic
def membership_set(*, team: Team, user: Any, role: Role | str) -> Membership:
    membership, _ = Membership.objects.update_or_create(team=team, user=user, defaults={"role": Role(role)})
    return membership


@transaction.atomic
def user_ensure(*, username: str, password: str | None, email: str = "", is_staff: bool = False) -> Any:
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(username=username, defaults={"email": email})
    if password:
        user.set_password(password)
    if is_staff:
        user.is_staff = user.is_superuser = True
    if created or password or is_staff:
        user.save()
    return user


def token_for(*, user: Any, rotate: bool = False) -> str:
    if rotate:
        Token.objects.filter(user=user).delete()
    token, _ = Token.objects.get_or_create(user=user)
    return str(token.key)
