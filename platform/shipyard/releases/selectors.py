"""Reads for releases (the deployment is already scoped to the caller by the view)."""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework.exceptions import NotFound

from shipyard.releases.models import Push
from shipyard.serving.models import Deployment


def pushes_of(deployment: Deployment) -> QuerySet[Push]:
    return Push.objects.filter(deployment=deployment).select_related(
        "deployment__project", "version__model", "ci_run", "created_by"
    )


def push_get(*, deployment: Deployment, push_id: int) -> Push:
    push = pushes_of(deployment).filter(pk=push_id).first()
    if push is None:
        raise NotFound(f"No push {push_id} to deployment '{deployment.name}'.")
    return push
