from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from shipyard.accounts.models import Team
from shipyard.core.errors import DomainConflict
from shipyard.projects.models import Project

UPDATABLE = ("name", "description", "evidence_window_days", "feature_lead_time_target_days", "badge_public")


@transaction.atomic
def project_create(*, team: Team, slug: str, name: str, description: str = "", **settings: Any) -> Project:
    if Project.objects.filter(slug=slug).exists():
        raise DomainConflict("A project with this slug already exists.", field="slug")
    try:
        with transaction.atomic():
            return Project.objects.create(team=team, slug=slug, name=name, description=description, **settings)
    except IntegrityError:
        raise DomainConflict("A project with this slug already exists.", field="slug") from None


@transaction.atomic
def project_update(*, project: Project, **changes: Any) -> Project:
    project = Project.objects.select_for_update().get(pk=project.pk)
    for key, value in changes.items():
        if key not in UPDATABLE:
            raise ValueError(f"{key} is not updatable")
        setattr(project, key, value)
    project.save()
    return project


@transaction.atomic
def project_delete(*, project: Project) -> None:
    project.delete()
