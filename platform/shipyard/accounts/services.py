"""Writes for users, teams and memberships."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from shipyard.accounts.models import Membership, Team, TokenExpiry
from shipyard.accounts.roles import Role
from shipyard.accounts.tokens import active_token, teams_mirror, token_mirror, token_unmirror
from shipyard.core.errors import DomainConflict, DomainError

LAST_ADMIN = "A team must keep at least one admin: make another member admin first."


@transaction.atomic
def team_create(*, slug: str, name: str, owner: Any) -> Team:
    if Team.objects.filter(slug=slug).exists():
        raise DomainConflict(f"A team with slug '{slug}' already exists.", field="slug")
    team = Team.objects.create(slug=slug, name=name)
    Membership.objects.create(user=owner, team=team, role=Role.ADMIN)
    _mirror_teams(owner.pk)
    return team


def _mirror_teams(user_id: int) -> None:
    """Once the change commits, tell the data plane the user's teams."""
    transaction.on_commit(lambda: teams_mirror(user_ids=[user_id]))


def _refuse_losing_last_admin(*, team: Team, user: Any) -> None:
    """Called with the team row locked: refuse when ``user`` is the team's only admin."""
    admins = list(Membership.objects.filter(team=team, role=Role.ADMIN).values_list("user_id", flat=True))
    if admins == [user.pk]:
        raise DomainConflict(LAST_ADMIN, field="role", code="last_admin")


@transaction.atomic
def membership_set(*, team: Team, user: Any, role: Role | str) -> Membership:
    role = Role(role)
    # Lock the team so that two admins demoting each other at once cannot both succeed.
    Team.objects.select_for_update().filter(pk=team.pk).first()
    if role != Role.ADMIN:
        _refuse_losing_last_admin(team=team, user=user)
    membership, _ = Membership.objects.update_or_create(team=team, user=user, defaults={"role": role})
    _mirror_teams(user.pk)
    return membership


@transaction.atomic
def membership_remove(*, team: Team, user: Any) -> None:
    Team.objects.select_for_update().filter(pk=team.pk).first()
    _refuse_losing_last_admin(team=team, user=user)
    Membership.objects.filter(team=team, user=user).delete()
    _mirror_teams(user.pk)


@transaction.atomic
def user_ensure(*, username: str, password: str | None, email: str = "", is_staff: bool = False) -> Any:
    user_model = get_user_model()
    existing = user_model.objects.filter(username=username).first()
    if password:
        try:
            validate_password(password, user=existing or user_model(username=username, email=email))
        except ValidationError as exc:
            raise DomainError(" ".join(exc.messages), field="password") from None
    user, created = user_model.objects.get_or_create(username=username, defaults={"email": email})
    if password:
        user.set_password(password)
    if is_staff:
        user.is_staff = user.is_superuser = True
    if created or password or is_staff:
        user.save()
    return user


@transaction.atomic
def token_issue(*, user: Any, rotate: bool = False, expires_in_days: int | None = None) -> tuple[Token, bool]:
    """The user's API token and whether it was created now. An expired token is replaced; with
    ``expires_in_days`` the token stops being accepted that many days from now."""
    gone: list[str] = []
    if rotate:
        gone += Token.objects.filter(user=user).values_list("key", flat=True)
        Token.objects.filter(user=user).delete()
    current = Token.objects.filter(user=user).first()
    if current is not None and active_token(current.key) is None:
        gone.append(current.key)
        current.delete()
    token, created = Token.objects.get_or_create(user=user)
    if expires_in_days is not None:
        TokenExpiry.objects.update_or_create(
            token=token, defaults={"expires_at": timezone.now() + timedelta(days=expires_in_days)}
        )
    key = token.key

    def mirror() -> None:
        token_unmirror(keys=[k for k in gone if k != key])
        token_mirror(key=key)

    transaction.on_commit(mirror)
    return token, created


def token_for(*, user: Any, rotate: bool = False, expires_in_days: int | None = None) -> str:
    token, _ = token_issue(user=user, rotate=rotate, expires_in_days=expires_in_days)
    return str(token.key)


@transaction.atomic
def token_revoke(*, key: str) -> bool:
    """Delete the token with this key; True when one existed."""
    deleted, _ = Token.objects.filter(key=key).delete()
    transaction.on_commit(lambda: token_unmirror(keys=[key]))
    return deleted > 0
