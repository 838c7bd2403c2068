"""Rubric data-6 ("new features can be added quickly"): feature lead time.

For every feature of a project: from the first dataset version that adds the column, to the first
deployed model version whose features use it (a deployment created, deployed, canaried or
promoted with it). A version's features are its signature's ``features`` list, else its training
dataset's columns. The median lead time over the project's history passes when it is at most the
project's ``feature_lead_time_target_days``; the trend is the median per month of addition.
"""

from __future__ import annotations

import datetime as dt
import statistics
from typing import Any

from django.utils import timezone

from shipyard.serving.models import DeploymentEvent, EventKind

#: the events that put a version in front of traffic
DEPLOYING = (EventKind.CREATE, EventKind.DEPLOY, EventKind.CANARY, EventKind.PROMOTE)


def _days(delta: dt.timedelta) -> float:
    return round(delta.total_seconds() / 86400.0, 3)


def _version_features(version: Any) -> tuple[list[str], str]:
    features = (version.signature or {}).get("features") or []
    if features:
        return [str(f) for f in features], "signature"
    dv = version.training_dataset
    if dv is not None:
        return [str(f["name"]) for f in (dv.schema or {}).get("features", []) if f.get("role") != "label"], "dataset"
    return [], ""


def feature_additions(project: Any) -> dict[str, dict[str, Any]]:
    """Per feature, the first dataset version (by registration time) whose schema has the column."""
    from shipyard.registry.models import DatasetVersion

    added: dict[str, dict[str, Any]] = {}
    rows = (
        DatasetVersion.objects.filter(dataset__project=project).select_related("dataset").order_by("created_at", "id")
    )
    for dv in rows.iterator():
        for f in (dv.schema or {}).get("features", []):
            name = str(f.get("name"))
            if f.get("role") == "label" or name in added:
                continue
            added[name] = {
                "dataset": dv.dataset.name,
                "dataset_version": dv.number,
                "added_at": dv.created_at,
                "initial": dv.number == 1,
            }
    return added


def feature_lead_time(project: Any, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """Lead time of every feature, the median against the project's target, and the monthly trend."""
    now = now or timezone.now()
    target = float(project.feature_lead_time_target_days)
    added = feature_additions(project)
    events = (
        DeploymentEvent.objects.filter(deployment__project=project, kind__in=DEPLOYING, to_version__isnull=False)
        .select_related("deployment", "to_version__model", "to_version__training_dataset")
        .order_by("created_at", "id")
    )
    first_use: dict[str, dict[str, Any]] = {}
    unlisted: set[str] = set()
    for event in events.iterator():
        version = event.to_version
        if version is None:
            continue
        names, source = _version_features(version)
        if not names:
            unlisted.add(f"{version.model.name} v{version.number}")
        for name in names:
            if name in added and name not in first_use:
                first_use[name] = {
                    "deployed_at": event.created_at,
                    "deployment": event.deployment.name,
                    "model": version.model.name,
                    "version": version.number,
                    "features_from": source,
                }
    features, pending = [], []
    for name, a in sorted(added.items(), key=lambda item: (item[1]["added_at"], item[0])):
        use = first_use.get(name)
        if use is None:
            pending.append({"feature": name, **_public(a), "waiting_days": _days(now - a["added_at"])})
            continue
        # a model deployed before the dataset version was registered used the column from day one
        lead = max(_days(use["deployed_at"] - a["added_at"]), 0.0)
        features.append({"feature": name, **_public(a), **_public(use), "lead_days": lead})
    median = statistics.median(f["lead_days"] for f in features) if features else None
    months: dict[str, list[float]] = {}
    for f in features:
        months.setdefault(f["added_at"][:7], []).append(f["lead_days"])
    trend = [
        {"month": m, "median_days": round(statistics.median(v), 3), "features": len(v)}
        for m, v in sorted(months.items())
    ]
    passed = median is not None and median <= target
    if median is None:
        summary = (
            f"no deployed version uses any of the {len(added)} features yet"
            if added
            else "no dataset version records any feature yet"
        )
    else:
        summary = (
            f"median lead time {median:.1f} days over {len(features)} features "
            f"({'within' if passed else 'over'} the {target:g}-day target); {len(pending)} not yet deployed"
        )
    return {
        "target_days": target,
        "median_days": None if median is None else round(median, 3),
        "passed": passed if median is not None else None,
        "summary": summary,
        "features": features,
        "pending": pending,
        "trend": trend,
        "versions_without_features": sorted(unlisted),
        "computed_at": now.isoformat(),
    }


def _public(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in values.items()}


def lead_time_evidence(project: Any) -> None:
    """data-6 evidence from the project's lead times (nothing while no deployed version uses a feature)."""
    from shipyard.rubric.services import evidence_record

    result = feature_lead_time(project)
    if result["median_days"] is None:
        return
    evidence_record(
        project=project,
        test_id="data-6",
        source="deployment",
        passed=bool(result["passed"]),
        title=f"Feature lead time: {result['summary']}",
        link=f"/projects/{project.slug}/feature-lead-time",
        key=f"lead-time:{project.slug}",
        detail={
            "target_days": result["target_days"],
            "median_days": result["median_days"],
            "features": len(result["features"]),
            "pending": len(result["pending"]),
            "trend": result["trend"],
        },
    )
