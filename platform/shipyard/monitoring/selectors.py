"""Reads for monitoring: drift table, monitor series, overview, alerts, flywheel statistics."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from shipyard.accounts.scoping import restrict
from shipyard.monitoring.models import (
    RUBRIC_TEST,
    STATUS_RANK,
    Alert,
    DriftResult,
    DriftRule,
    Feedback,
    FlywheelExport,
    MonitorConfig,
    MonitorKind,
    MonitorRun,
    Status,
    WindowBucket,
)

SERIES_POINTS = 200


def feedback_accuracy_by_version(*, deployment: Any, since: dt.datetime) -> dict[int, float]:
    """Share of feedback that confirmed the prediction, per version (used by canary analysis too)."""
    rows = (
        Feedback.objects.filter(deployment=deployment, predicted_at__gte=since)
        .values("version_id")
        .annotate(n=Count("id"), ok=Count("id", filter=Q(correct=True)))
    )
    return {int(r["version_id"]): r["ok"] / r["n"] for r in rows if r["n"]}


def feedback_outcomes(
    *, deployment: Any, since: dt.datetime, version_ids: list[int]
) -> list[tuple[dt.datetime, int, int, int]]:
    """(minute received, version id, correct, total) of the feedback on ``version_ids``' predictions
    made since ``since`` (a bandit's rewards)."""
    from django.db.models.functions import TruncMinute

    rows = (
        Feedback.objects.filter(deployment=deployment, version_id__in=version_ids, predicted_at__gte=since)
        .annotate(minute=TruncMinute("created_at"))
        .values("minute", "version_id")
        .annotate(n=Count("id"), ok=Count("id", filter=Q(correct=True)))
        .order_by("minute", "version_id")
    )
    return [(r["minute"], int(r["version_id"]), int(r["ok"]), int(r["n"])) for r in rows]


def offline_accuracy_by_version(*, version_ids: list[int], metric: str = "accuracy") -> dict[int, dict[str, Any]]:
    """The latest finished evaluate job's offline ``metric`` per version: {version id: {value, job, dataset,
    finished_at}}. A job that failed its gate still measured the metric and counts; versions without a
    report carrying the metric are left out."""
    from shipyard.jobs.models import Job, JobKind, JobStatus

    found: dict[int, dict[str, Any]] = {}
    jobs = Job.objects.filter(
        model_version_id__in=version_ids, kind=JobKind.EVALUATE, status__in=[JobStatus.SUCCEEDED, JobStatus.FAILED]
    ).order_by("model_version_id", "-finished_at", "-id")
    for job in jobs.only("id", "model_version_id", "dataset_version_id", "result", "finished_at"):
        if job.model_version_id in found:
            continue
        value = ((job.result or {}).get("metrics") or {}).get(metric)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        found[job.model_version_id] = {
            "value": float(value),
            "job": job.pk,
            "dataset_version": job.dataset_version_id,
            "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        }
    return found


def _worst(statuses: list[str]) -> str:
    if not statuses:
        return Status.NO_DATA
    return min(statuses, key=lambda s: STATUS_RANK.get(Status(s), 9))


def drift_table(*, deployment: Any, series_points: int = 60) -> dict[str, Any]:
    """The latest drift check per feature with its rule, histograms and value time series."""
    config = MonitorConfig.objects.filter(deployment=deployment).first()
    latest = MonitorRun.objects.filter(deployment=deployment, kind=MonitorKind.DRIFT).first()
    rules = {r.feature: r for r in DriftRule.objects.filter(deployment=deployment)}
    features: list[dict[str, Any]] = []
    if latest is not None:
        series: dict[str, list[dict[str, Any]]] = defaultdict(list)
        recent_runs = list(
            MonitorRun.objects.filter(deployment=deployment, kind=MonitorKind.DRIFT).values_list("id", flat=True)[
                :series_points
            ]
        )
        for row in (
            DriftResult.objects.filter(run_id__in=recent_runs)
            .order_by("computed_at")
            .values("feature", "computed_at", "value", "status")
        ):
            series[row["feature"]].append(
                {"t": row["computed_at"].isoformat(), "value": row["value"], "status": row["status"]}
            )
        for result in DriftResult.objects.filter(run=latest).order_by("id"):
            rule = rules.get(result.feature)
            features.append(
                {
                    "feature": result.feature,
                    "role": "prediction" if result.feature == "prediction" else "feature",
                    "kind": result.kind,
                    "status": result.status,
                    "metric": rule.metric if rule else result.metric,
                    "operator": rule.operator if rule else result.operator,
                    "threshold": rule.threshold if rule else result.threshold,
                    "enabled": rule.enabled if rule else True,
                    "value": result.value,
                    "evaluated_metric": result.metric,
                    "metrics": result.metrics,
                    "n_current": result.n_current,
                    "histogram": result.histogram,
                    "series": series.get(result.feature, []),
                }
            )
    features.sort(key=lambda f: (STATUS_RANK.get(Status(f["status"]), 9), f["role"] != "prediction", f["feature"]))
    return {
        "status": latest.status if latest else Status.NO_DATA,
        "summary": latest.summary if latest else "not run yet",
        "computed_at": latest.computed_at.isoformat() if latest else None,
        "window": {"kind": config.window_kind, "n": config.window_n} if config else {"kind": "day", "n": 1000},
        "rows": (latest.detail or {}).get("rows", 0) if latest else 0,
        "reference": {
            "dataset_version": config.reference_dataset_id if config else None,
            "model_version": config.reference_version_id if config else None,
        },
        "features": features,
    }


def monitor_status(*, deployment: Any, series_points: int = SERIES_POINTS) -> dict[str, Any]:
    """Latest run and a value series for every monitor kind."""
    monitors = []
    for kind in MonitorKind:
        runs = list(MonitorRun.objects.filter(deployment=deployment, kind=kind)[:series_points])
        latest = runs[0] if runs else None
        monitors.append(
            {
                "kind": kind.value,
                "label": kind.label,
                "rubric_test": RUBRIC_TEST[kind],
                "status": latest.status if latest else Status.NO_DATA,
                "summary": latest.summary if latest else "not run yet",
                "value": latest.value if latest else None,
                "computed_at": latest.computed_at.isoformat() if latest else None,
                "detail": latest.detail if latest else {},
                "series": [
                    {"t": r.computed_at.isoformat(), "value": r.value, "status": r.status} for r in reversed(runs)
                ],
            }
        )
    return {
        "status": _worst([m["status"] for m in monitors if m["status"] != Status.NO_DATA]) if monitors else "no_data",
        "monitors": monitors,
    }


def overview(*, user: Any, team: str = "") -> list[dict[str, Any]]:
    """Every deployment of the caller's teams with its worst monitor status, worst first."""
    from shipyard.serving.models import Deployment

    deployments = restrict(
        Deployment.objects.select_related("project__team", "live_version__model"), user, "project__team"
    )
    if team:
        deployments = deployments.filter(project__team__slug=team)
    out = []
    latest: dict[tuple[int, str], MonitorRun] = {}
    ids = [d.pk for d in deployments]
    for run in (
        MonitorRun.objects.filter(deployment_id__in=ids, computed_at__gte=timezone.now() - dt.timedelta(days=2))
        .order_by("deployment_id", "kind", "-computed_at")
        .distinct("deployment_id", "kind")
    ):
        latest[(run.deployment_id, run.kind)] = run
    open_alerts = dict(
        Alert.objects.filter(deployment_id__in=ids, status="open")
        .values_list("deployment_id")
        .annotate(n=Count("id"))
        .values_list("deployment_id", "n")
    )
    for d in deployments:
        monitors = {kind.value: latest.get((d.pk, kind.value)) for kind in MonitorKind}
        statuses = [r.status for r in monitors.values() if r is not None and r.status != Status.NO_DATA]
        out.append(
            {
                "project": d.project.slug,
                "team": d.project.team.slug,
                "deployment": d.name,
                "model": d.live_version.model.name,
                "version": d.live_version.number,
                "status": _worst(statuses) if statuses else Status.NO_DATA,
                "open_alerts": open_alerts.get(d.pk, 0),
                "monitors": {
                    k: {"status": r.status, "summary": r.summary, "value": r.value} if r else None
                    for k, r in monitors.items()
                },
            }
        )
    out.sort(key=lambda o: (STATUS_RANK.get(Status(o["status"]), 9), -o["open_alerts"], o["project"], o["deployment"]))
    return out


def alerts_for(*, user: Any) -> QuerySet[Alert]:
    return restrict(Alert.objects.select_related("project", "deployment", "evidence"), user, "project__team")


# -- flywheel -----------------------------------------------------------------------------------
def exported_feedback_ids(deployment: Any) -> set[int]:
    """The feedback already added to a dataset version by an earlier "Add to dataset"."""
    ids: set[int] = set()
    for row in FlywheelExport.objects.filter(deployment=deployment).values_list("feedback_ids", flat=True):
        ids.update(int(i) for i in row or [])
    return ids


def mistakes_queryset(deployment: Any) -> QuerySet[Feedback]:
    """Corrected predictions not yet added to a dataset (rows already added leave the list)."""
    return Feedback.objects.filter(deployment=deployment, correct=False).exclude(
        pk__in=exported_feedback_ids(deployment)
    )


def _duplicate_of(mistakes: list[Feedback]) -> dict[int, int]:
    """For each mistake whose inputs and corrected label repeat an earlier one's: the earlier one's id."""
    import json

    first: dict[str, int] = {}
    out: dict[int, int] = {}
    for fb in sorted(mistakes, key=lambda f: (f.predicted_at, f.pk)):
        key = json.dumps([fb.inputs, fb.label], sort_keys=True)
        if key in first:
            out[fb.pk] = first[key]
        else:
            first[key] = fb.pk
    return out


def _export_target(deployment: Any) -> dict[str, Any] | None:
    """The dataset "Add to dataset" writes to and the version it will create."""
    base = deployment.live_version.training_dataset
    if base is None:
        return None
    latest = base.dataset.versions.order_by("-number").values_list("number", flat=True).first() or base.number
    return {"dataset": base.dataset.name, "base_version": base.number, "next_version": latest + 1}


def slice_filter(items: list[Feedback], slice_name: str, deployment: Any) -> list[Feedback]:
    """Keep the feedback whose inputs fall in the named slice of the training dataset."""
    if not slice_name or not items:
        return items
    from rest_framework.exceptions import ValidationError

    dataset = deployment.live_version.training_dataset
    slices = {s["name"]: s["filter"] for s in (dataset.slices or [])} if dataset else {}
    if slice_name not in slices:
        raise ValidationError({"slice": [f"No slice '{slice_name}' on the training dataset."]})
    import pandas as pd

    from shipyard.monitoring.ingest import row_values
    from shipyard.monitoring.reference import input_features
    from shipyard_ml.slices import SliceError, slice_mask

    names = input_features(deployment.live_version)
    frame = pd.DataFrame([row_values(fb.inputs, names) for fb in items], columns=names)
    frame["label"] = [fb.label for fb in items]
    frame["prediction"] = [fb.prediction for fb in items]
    try:
        mask = slice_mask(frame, slices[slice_name])
    except SliceError:  # a slice the feedback's columns cannot evaluate selects nothing
        return []
    return [fb for fb, keep in zip(items, list(mask), strict=True) if keep]


def ingest_status(config: MonitorConfig) -> dict[str, Any]:
    """What the ingest has folded, skipped as undecodable, and how far behind the log it was."""
    from shipyard.monitoring.reference import INGEST_LAG_ALERT_S

    return {
        "rows": config.ingest_rows,
        "invalid": config.ingest_invalid,
        "invalid_examples": list(config.ingest_invalid_examples or []),
        "lag_rows": config.ingest_lag_rows,
        "lag_seconds": config.ingest_lag_s,
        "lag_alert_seconds": INGEST_LAG_ALERT_S,
        "checked_at": config.ingest_checked_at.isoformat() if config.ingest_checked_at else None,
    }


def flywheel_daily(*, deployment: Any, since: dt.datetime, threshold: float) -> dict[dt.date, tuple[int, int]]:
    """Logged and confident predictions per day: finished days from the log (hot or cold, each
    counted once and kept); the days still filling from the ingest's 5-minute buckets (their cost
    is the buckets, not the rows; confident there means at the threshold the ingest used) plus the
    rows after the ingest's cursor, counted from the log (as many as the ingest lags behind)."""
    from shipyard.serving.logstore import LogWindow, count_days, log_daily_counts, settled_until

    now = timezone.now()
    boundary = settled_until(now)
    out = dict(
        log_daily_counts(
            LogWindow(deployment_id=deployment.pk, since=since, until=boundary), confidence_threshold=threshold, now=now
        )
    )
    for start, rows, counters in WindowBucket.objects.filter(
        deployment=deployment, bucket_start__gte=max(since, boundary)
    ).values_list("bucket_start", "rows", "counters"):
        day = start.astimezone(dt.UTC).date()
        before = out.get(day, (0, 0))
        out[day] = (before[0] + rows, before[1] + int((counters or {}).get("confident", 0)))
    cursor = MonitorConfig.objects.filter(deployment=deployment).values_list("ingest_cursor", flat=True).first() or 0
    behind = LogWindow(deployment_id=deployment.pk, since=max(since, boundary), after_id=cursor)
    for day, (n, confident) in count_days(behind, threshold).items():
        before = out.get(day, (0, 0))
        out[day] = (before[0] + n, before[1] + confident)
    return out


def flywheel(*, deployment: Any, days: int = 30, slice_name: str = "", mistakes_limit: int = 100) -> dict[str, Any]:
    config = MonitorConfig.objects.filter(deployment=deployment).first()
    threshold = config.confidence_threshold if config else 0.8
    today = timezone.now().astimezone(dt.UTC).date()
    since = dt.datetime.combine(today - dt.timedelta(days=days - 1), dt.time(), tzinfo=dt.UTC)
    per_day: dict[str, dict[str, Any]] = {}
    for day, (n, confident_n) in flywheel_daily(deployment=deployment, since=since, threshold=threshold).items():
        per_day[day.isoformat()] = {
            "date": day.isoformat(),
            "predictions": n,
            "confident": confident_n,
            "feedback": 0,
            "corrected": 0,
            "mistakes": 0,
        }
    feedback = Feedback.objects.filter(deployment=deployment, predicted_at__gte=since)
    fb_row: Any
    for fb_row in (
        feedback.annotate(day=TruncDate("predicted_at"))
        .values("day")
        .annotate(
            n=Count("id"),
            mistakes=Count("id", filter=Q(correct=False)),
            corrected=Count("id", filter=Q(correct=False, confidence__gte=threshold)),
        )
    ):
        entry = per_day.setdefault(
            fb_row["day"].isoformat(),
            {
                "date": fb_row["day"].isoformat(),
                "predictions": 0,
                "confident": 0,
                "feedback": 0,
                "corrected": 0,
                "mistakes": 0,
            },
        )
        entry.update(feedback=fb_row["n"], corrected=fb_row["corrected"], mistakes=fb_row["mistakes"])
    days_rows = sorted(per_day.values(), key=lambda r: r["date"], reverse=True)
    total = sum(r["predictions"] for r in days_rows)
    confident = sum(r["confident"] for r in days_rows)
    corrected = sum(r["corrected"] for r in days_rows)
    mistakes = slice_filter(
        list(mistakes_queryset(deployment).filter(predicted_at__gte=since)[:2000]), slice_name, deployment
    )
    dataset = deployment.live_version.training_dataset
    duplicates = _duplicate_of(mistakes)
    exports = []
    for export in FlywheelExport.objects.filter(deployment=deployment).select_related(
        "dataset_version__dataset", "base_version"
    ):
        exports.append(
            {
                "id": export.pk,
                "created_at": export.created_at.isoformat(),
                "examples": export.examples,
                "dataset": export.dataset_version.dataset.name,
                "version": export.dataset_version.number,
                "base_version": export.base_version.number,
                "next_model": _next_model_metrics(export),
            }
        )
    avg_conf = Feedback.objects.filter(deployment=deployment).aggregate(a=Avg("confidence"))["a"]
    return {
        "confidence_threshold": threshold,
        "days": days,
        "slice": slice_name,
        "slices": [s["name"] for s in (dataset.slices or [])] if dataset else [],
        "predictions": total,
        "confident": confident,
        "corrected": corrected,
        "pct_confident": (confident / total * 100) if total else None,
        "pct_corrected_of_confident": (corrected / confident * 100) if confident else None,
        "feedback_mean_confidence": avg_conf,
        "daily": days_rows,
        "mistakes_total": len(mistakes),
        "mistakes": [
            {
                "id": fb.pk,
                "request_id": fb.request_id,
                "predicted_at": fb.predicted_at.isoformat(),
                "inputs": fb.inputs,
                "prediction": fb.prediction,
                "label": fb.label,
                "confidence": fb.confidence,
                "version_id": fb.version_id,
                "duplicate_of": duplicates.get(fb.pk),
            }
            for fb in mistakes[:mistakes_limit]
        ],
        "duplicates_total": len(duplicates),
        "target": _export_target(deployment),
        "exports": exports,
        "can_export": dataset is not None,
    }


def _next_model_metrics(export: FlywheelExport) -> dict[str, Any] | None:
    """The first model version trained on the exported dataset version, with its metrics, when it exists.

    Its accuracy on the exported examples is read from its ``slice_metrics["flywheel"]`` when an
    evaluation job recorded it, else from its overall metrics."""
    version = export.dataset_version.trained_model_versions.select_related("model").order_by("created_at").first()
    if version is None:
        return None
    return {
        "model": version.model.name,
        "version": version.number,
        "metrics": version.metrics,
        "on_examples": (version.slice_metrics or {}).get("flywheel"),
    }
