"""Privacy controls on datasets (rubric data-5): the PII scan of every upload and the access audit.

Every dataset version is scanned on a worker (``registry.pii_scan``, queue ``cpu``) once its upload
commits: the normalised copy (a seeded sample of REGISTRY_PII_SAMPLE_ROWS rows when it has more) goes
through ``shipyard_ml.pii``. Only counts and column names are stored, never a matched value.

data-5 passes for a dataset when its latest version's scan found no PII in a column that is not
declared ``sensitive`` (``feature_meta``), and, when it has sensitive columns, their access is
restricted: downloads need the policy's ``sensitive_min_role`` (above viewer) and every download of
every dataset file is logged (who, when, which version) for admins to read.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from shipyard.accounts.roles import Role, role_at_least
from shipyard.projects.models import Project
from shipyard.registry import storage
from shipyard.registry.models import DatasetDownload, DatasetVersion, FeaturePolicy

PENDING = {"status": "pending"}


def sensitive_columns(version: DatasetVersion) -> list[str]:
    return sorted(c for c, meta in (version.feature_meta or {}).items() if meta.get("sensitive"))


def sensitive_min_role(project: Project) -> str:
    policy = FeaturePolicy.objects.filter(project=project).only("sensitive_min_role").first()
    return policy.sensitive_min_role if policy is not None else Role.MAINTAINER.value


def enqueue_scan(version: DatasetVersion) -> None:
    """Scan the version on a worker once the surrounding transaction commits."""
    from shipyard.registry.tasks import pii_scan

    pk = version.pk
    transaction.on_commit(lambda: pii_scan.apply_async(args=[pk], queue="cpu"))


def _judge(version: DatasetVersion, scan: dict[str, Any], min_role: str) -> dict[str, Any]:
    declared = set(sensitive_columns(version))
    findings = [{**f, "declared": f["column"] in declared} for f in scan["findings"]]
    undeclared = [f["column"] for f in findings if not f["declared"]]
    # sensitive columns are restricted when a viewer cannot download them (every download is audited)
    restricted = not declared or min_role != Role.VIEWER
    passed = not undeclared and restricted
    return {
        "status": "done",
        "scanned_at": timezone.now().isoformat(),
        "rows": scan["rows"],
        "sampled_rows": scan["sampled_rows"],
        "columns_scanned": scan["columns_scanned"],
        "findings": findings,
        "undeclared": undeclared,
        "sensitive_columns": sorted(declared),
        "access": {"min_role": min_role, "audited": True, "restricted": restricted},
        "detectors": scan["detectors"],
        "passed": passed,
    }


def redact_summary(
    schema: dict[str, Any], stats: dict[str, Any], columns: set[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Drop the values a summary keeps of personal columns (categories, top values, min/max of strings)."""
    if not columns:
        return schema, stats
    features = []
    for feature in schema.get("features", []):
        if feature.get("name") in columns:
            feature = {k: v for k, v in feature.items() if k not in ("categories", "min", "max")}
            feature["redacted"] = True
        features.append(feature)
    redacted_stats = {
        name: ({k: v for k, v in stat.items() if k not in ("top", "min", "max")} if name in columns else stat)
        for name, stat in stats.items()
    }
    return {**schema, "features": features}, redacted_stats


def pii_scan_run(*, version_id: int) -> dict[str, Any] | None:
    """Scan one dataset version (safe to run twice) and record data-5 evidence. None if it is gone."""
    from shipyard_ml.pii import scan_parquet

    version = DatasetVersion.objects.select_related("dataset__project").filter(pk=version_id).first()
    if version is None or not version.normalized_key:
        return None
    store = storage.store()
    path = store.local_path(version.normalized_key)
    scan = scan_parquet(
        path, sample_rows=int(settings.REGISTRY_PII_SAMPLE_ROWS), region=settings.REGISTRY_PII_REGION
    ).as_dict()
    if not scan["ok"]:
        result = {"status": "failed", "message": scan["message"], "passed": False}
        DatasetVersion.objects.filter(pk=version.pk).update(pii_scan=result, updated_at=timezone.now())
    else:
        result = _judge(version, scan, sensitive_min_role(version.dataset.project))
        personal = {f["column"] for f in result["findings"]} | set(result["sensitive_columns"])
        with transaction.atomic():
            locked = DatasetVersion.objects.select_for_update().get(pk=version.pk)
            locked.schema, locked.stats = redact_summary(locked.schema, locked.stats, personal)
            locked.pii_scan = result
            locked.save(update_fields=["schema", "stats", "pii_scan", "updated_at"])
    version.pii_scan = result
    record_evidence(version)
    return result


def rejudge_latest(*, project: Project) -> None:
    """Judge the latest scanned version of each dataset again (after the policy's access rule changed):
    the stored counts are enough, nothing is rescanned."""
    min_role = sensitive_min_role(project)
    latest = (
        DatasetVersion.objects.filter(dataset__project=project)
        .select_related("dataset__project")
        .order_by("dataset_id", "-number")
        .distinct("dataset_id")
    )
    for version in latest:
        if (version.pii_scan or {}).get("status") != "done":
            continue
        version.pii_scan = _judge(version, version.pii_scan, min_role)
        version.save(update_fields=["pii_scan", "updated_at"])
        record_evidence(version)


def record_evidence(version: DatasetVersion) -> None:
    from shipyard.rubric.services import evidence_record

    scan = version.pii_scan
    if scan.get("status") not in ("done", "failed"):
        return
    dataset = version.dataset
    label = f"Dataset {dataset.name} v{version.number}"
    if scan["status"] == "failed":
        title = f"{label}: the PII scan failed ({scan.get('message', '')[:120]})"
    elif scan["undeclared"]:
        title = f"{label}: PII in undeclared columns {', '.join(scan['undeclared'][:5])}"
    elif not scan["access"]["restricted"]:
        title = f"{label}: sensitive columns are readable by every viewer"
    else:
        declared = len(scan["sensitive_columns"])
        title = f"{label}: no undeclared PII" + (
            f"; {declared} sensitive column{'s' if declared != 1 else ''} restricted to {scan['access']['min_role']}, "
            "downloads audited"
            if declared
            else ""
        )
    evidence_record(
        project=dataset.project,
        test_id="data-5",
        source="registry",
        passed=bool(scan.get("passed")),
        title=title,
        link=f"/projects/{dataset.project.slug}/datasets/{dataset.name}?version={version.number}",
        key=f"pii:dataset:{dataset.name}",
        detail={"dataset": dataset.name, "dataset_version": version.number, "dataset_version_id": version.pk, **scan},
    )


# ---- access ------------------------------------------------------------------------------------


def may_download(*, version: DatasetVersion, role: str) -> bool:
    if not sensitive_columns(version):
        return True
    return role_at_least(role, sensitive_min_role(version.dataset.project))


def download_log(
    *, version: DatasetVersion, user: Any, normalized: bool, granted: bool, byte_range: str = ""
) -> DatasetDownload:
    return DatasetDownload.objects.create(
        version=version,
        user=user if getattr(user, "pk", None) else None,
        username=str(getattr(user, "username", "") or "")[:150],
        normalized=normalized,
        granted=granted,
        sensitive=bool(sensitive_columns(version)),
        byte_range=byte_range[:100],
    )
