"""Reads for projects. Every lookup is scoped to the caller's teams: another team's project is a 404."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework.exceptions import NotFound

from shipyard.accounts.roles import Role
from shipyard.accounts.scoping import require_role, restrict
from shipyard.projects.models import Project


def projects_for(user: Any) -> QuerySet[Project]:
    return restrict(Project.objects.select_related("team"), user)


def project_get(*, user: Any, ref: str, minimum: Role = Role.VIEWER, action: str = "do this") -> Project:
    """A project of the caller's teams by slug (or numeric id), with at least ``minimum`` role."""
    queryset = projects_for(user)
    project = queryset.filter(slug=ref).first()
    if project is None and ref.isdecimal():
        project = queryset.filter(pk=int(ref)).first()
    if project is None:
        raise NotFound(f"No project '{ref}'.")
    if minimum != Role.VIEWER:
        require_role(user, project.team, minimum, action=action)
    return project
