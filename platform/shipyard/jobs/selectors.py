"""Reads for jobs, always scoped to the caller's teams."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from shipyard.accounts.scoping import restrict
from shipyard.jobs.models import Job


def jobs_for(user: Any) -> QuerySet[Job]:
    return restrict(
        Job.objects.select_related(
            "project",
            "project__team",
            "model_version",
            "model_version__model",
            "dataset_version",
            "dataset_version__dataset",
            "created_by",
        ),
        user,
        "project__team",
    )


def jobs_filtered(
    *, user: Any, kind: str = "", status: str = "", project: str = "", model_version: str = "", team: str = ""
) -> QuerySet[Job]:
    qs = jobs_for(user)
    if team:
        qs = qs.filter(project__team__slug=team)
    if kind:
        qs = qs.filter(kind__in=kind.split(","))
    if status:
        qs = qs.filter(status__in=status.split(","))
    if project:
        qs = qs.filter(project__slug=project) if not project.isdecimal() else qs.filter(project_id=int(project))
    if model_version and model_version.isdecimal():
        qs = qs.filter(model_version_id=int(model_version))
    return qs


def job_counts_by_status() -> dict[str, int]:
    """How many jobs are in each status (all teams: for the operator's /metrics)."""
    from django.db.models import Count

    return {row["status"]: row["n"] for row in Job.objects.values("status").annotate(n=Count("id"))}
