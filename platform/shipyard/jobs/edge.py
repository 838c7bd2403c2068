"""Edge profiles: a project's device budgets, written by maintainers and checked on every edge export.
Each profile's verdict is rubric evidence (infra-4: a quality gate before serving on that device),
keyed to the exported version so its page shows it."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from shipyard.core.errors import DomainConflict
from shipyard.jobs.models import EdgeProfile, Job
from shipyard_ml.reports import ExportReport, ProfileCheck

#: why a runtime's latency and accuracy have no figure on a Linux worker
NOT_MEASURABLE = "not measurable on this platform"


@transaction.atomic
def edge_profile_create(
    *, project: Any, name: str, max_size_bytes: int, max_latency_ms: float, min_accuracy: float
) -> EdgeProfile:
    if EdgeProfile.objects.filter(project=project, name=name).exists():
        raise DomainConflict(f"An edge profile named '{name}' already exists.", field="name")
    try:
        with transaction.atomic():
            return EdgeProfile.objects.create(
                project=project,
                name=name,
                max_size_bytes=max_size_bytes,
                max_latency_ms=max_latency_ms,
                min_accuracy=min_accuracy,
            )
    except IntegrityError:
        raise DomainConflict(f"An edge profile named '{name}' already exists.", field="name") from None


@transaction.atomic
def edge_profile_delete(*, profile: EdgeProfile) -> None:
    profile.delete()


def profile_checks(
    *, project: Any, report: ExportReport, runtime: str, names: list[str] | None = None, measurable: bool = True
) -> list[ProfileCheck]:
    """The project's profiles (``names``: only those) against the export: file size, batch-1 latency in
    ``runtime``, accuracy. A figure the export did not measure fails its check (it is never assumed);
    where the runtime cannot run on the worker (``measurable`` false: Core ML on Linux) latency and
    accuracy are marked not measurable and the verdict rests on size alone, as the evidence says."""
    latency = (report.latency_ms.get(runtime) or {}).get("1")
    profiles = EdgeProfile.objects.filter(project=project).order_by("name")
    if names is not None:
        profiles = profiles.filter(name__in=names)
    out: list[ProfileCheck] = []
    for p in profiles:
        checks: dict[str, dict[str, Any]] = {
            "size_bytes": {
                "limit": p.max_size_bytes,
                "value": report.size_bytes,
                "passed": report.size_bytes <= p.max_size_bytes,
            },
            "latency_ms": {
                "limit": p.max_latency_ms,
                "value": latency,
                "passed": latency is not None and latency <= p.max_latency_ms,
            },
            "accuracy": {
                "limit": p.min_accuracy,
                "value": report.accuracy,
                "passed": report.accuracy is not None and report.accuracy >= p.min_accuracy,
            },
        }
        if not measurable:
            for key in ("latency_ms", "accuracy"):
                checks[key].update(value=None, passed=None, note=NOT_MEASURABLE)
        verdicts = [c["passed"] for c in checks.values() if c["passed"] is not None]
        out.append(ProfileCheck(name=p.name, passed=all(verdicts), checks=checks))
    return out


def _describe(check: ProfileCheck) -> str:
    c = check["checks"]
    size = f"{c['size_bytes']['value'] / 1e6:.3g} MB (max {c['size_bytes']['limit'] / 1e6:.3g} MB)"
    if c["latency_ms"]["passed"] is None:
        return f"{size}; batch-1 latency and accuracy not measurable on this platform (size checked only)"
    lat = c["latency_ms"]["value"]
    latency = f"{lat:.3g} ms" if lat is not None else "not measured"
    acc = c["accuracy"]["value"]
    accuracy = f"{acc:.4f}" if acc is not None else "not measured"
    return (
        f"{size}, batch-1 {latency} (max {c['latency_ms']['limit']:g} ms), "
        f"accuracy {accuracy} (min {c['accuracy']['limit']:g})"
    )


def profile_evidence(*, job: Job, version: Any, checks: list[ProfileCheck], runtime: str) -> None:
    from shipyard.rubric.services import evidence_record

    for check in checks:
        evidence_record(
            project=job.project,
            test_id="infra-4",
            source="job",
            passed=check["passed"],
            title=(
                f"Edge profile '{check['name']}' {'met' if check['passed'] else 'not met'} by "
                f"{version.model.name} v{version.number} on {runtime}: {_describe(check)}"
            ),
            link=f"/jobs/{job.pk}",
            key=f"model_version:{version.pk}:edge:{check['name']}",
            detail={"job": job.pk, "model_version_id": version.pk, "runtime": runtime, **check},
        )
