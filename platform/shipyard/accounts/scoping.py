"""Team scoping in one place.

Every API viewset over team-owned objects extends :class:`TeamScopedViewSet`; its
``get_queryset()`` keeps only objects of the caller's teams, so another team's object is a 404
(never a 403 that would leak its existence) and list endpoints never show it. Role checks
(viewer < member < maintainer < admin) happen after scoping, so they can only produce a 403 for
an object the caller may already see.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import Model, QuerySet
from rest_framework import exceptions, viewsets

from shipyard.accounts.roles import Role, role_at_least


def teams_of(user: Any) -> QuerySet[Any]:
    from shipyard.accounts.models import Team

    if not getattr(user, "is_authenticated", False):
        return Team.objects.none()
    return Team.objects.filter(memberships__user=user)


def restrict(queryset: QuerySet[Any], user: Any, team_path: str = "team") -> QuerySet[Any]:
    """Keep only the rows whose team (reached by ``team_path``) the user belongs to."""
    return queryset.filter(**{f"{team_path}__in": teams_of(user)})


def role_of(user: Any, team: Any) -> Role | None:
    from shipyard.accounts.models import Membership

    if not getattr(user, "is_authenticated", False):
        return None
    value = Membership.objects.filter(user=user, team=team).values_list("role", flat=True).first()
    return Role(value) if value else None


def require_role(user: Any, team: Any, minimum: Role, action: str = "do this") -> Role:
    role = role_of(user, team)
    if role is None:
        raise exceptions.NotFound()
    if not role_at_least(role, minimum):
        raise exceptions.PermissionDenied(f"Only a {minimum.value} or above of team '{team.slug}' may {action}.")
    return role


class TeamScopedViewSet(viewsets.GenericViewSet):
    """Base for every viewset over team-owned objects."""

    team_path: ClassVar[str] = "team"
    #: minimum role per action; actions not listed need "viewer" (membership)
    action_roles: ClassVar[dict[str, Role]] = {
        "create": Role.MEMBER,
        "update": Role.MEMBER,
        "partial_update": Role.MEMBER,
        "destroy": Role.ADMIN,
    }

    def get_queryset(self) -> QuerySet[Any]:
        return restrict(super().get_queryset(), self.request.user, self.team_path)

    def team_of(self, obj: Model) -> Any:
        target: Any = obj
        for part in self.team_path.split("__"):
            target = getattr(target, part)
        return target

    def check_object_permissions(self, request: Any, obj: Any) -> None:
        super().check_object_permissions(request, obj)
        minimum = self.action_roles.get(self.action or "", Role.VIEWER)
        require_role(request.user, self.team_of(obj), minimum, action=str(self.action))
