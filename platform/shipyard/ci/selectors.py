"""Reads for the CI app. Callers pass a project already scoped to the caller's teams."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, IntegerField, QuerySet, Value, When

from shipyard.ci.models import CIConfig, CIRun, Delivery, DependencyChange, MetricValue, Notification, TestCase


def config_of(project: Any) -> CIConfig | None:
    return CIConfig.objects.filter(project=project).first()


def secrets_valid(config: CIConfig | None, now: Any) -> list[str]:
    """The current secret and, within the rotation's grace period, the previous one."""
    if config is None:
        return []
    found = [config.secret] if config.secret else []
    if config.previous_secret and config.previous_valid_until and config.previous_valid_until > now:
        found.append(config.previous_secret)
    return found


def runs_for(project: Any, *, branch: str = "", status: str = "") -> QuerySet[CIRun]:
    queryset = CIRun.objects.filter(project=project)
    if branch:
        queryset = queryset.filter(branch=branch)
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-created_at", "-id")


def run_get(project: Any, run_id: str) -> CIRun | None:
    if not str(run_id).isdecimal():
        return None
    return CIRun.objects.filter(project=project, pk=int(run_id)).first()


def cases_of(run: CIRun, *, status: str = "") -> QuerySet[TestCase]:
    """Failures first (failed, error), then passed, then skipped."""
    queryset = TestCase.objects.filter(run=run)
    if status:
        queryset = queryset.filter(status=status)
    return queryset.annotate(
        rank=Case(
            When(status__in=["failed", "error"], then=Value(0)),
            When(status="skipped", then=Value(2)),
            default=Value(1),
            output_field=IntegerField(),
        )
    ).order_by("rank", "id")


def metric_series(project: Any, *, branch: str = "", limit: int = 200) -> dict[str, list[dict[str, Any]]]:
    queryset = MetricValue.objects.filter(run__project=project).select_related("run")
    if branch:
        queryset = queryset.filter(run__branch=branch)
    rows = list(queryset.order_by("-run__created_at", "-run_id")[: limit * 20])
    series: dict[str, list[dict[str, Any]]] = {}
    for m in reversed(rows):
        points = series.setdefault(m.name, [])
        if len(points) < limit:
            points.append(
                {
                    "run": m.run_id,
                    "branch": m.run.branch,
                    "commit": m.run.commit,
                    "at": m.run.created_at.isoformat(),
                    "value": m.value,
                    "baseline": m.baseline,
                    "regression": m.regression,
                    "verdict": m.verdict,
                    "kind": m.kind,
                    "direction": m.direction,
                }
            )
    return series


def dependency_changes_for(project: Any) -> QuerySet[DependencyChange]:
    return DependencyChange.objects.filter(project=project).select_related("run", "previous_run")


def deliveries_for(project: Any, *, status: str = "") -> QuerySet[Delivery]:
    queryset = Delivery.objects.filter(project=project).defer("body")
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-received_at", "-id")


def notifications_for(project: Any) -> QuerySet[Notification]:
    return Notification.objects.filter(project=project)
