"""The monitors: drift, invariants, skew, staleness, latency and quality regressions, offline/online
correlation, run per deployment."""

from __future__ import annotations

import datetime as dt
import logging
import math
import traceback
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from shipyard.monitoring.alerts import alert_fire, alert_resolve, monitor_evidence
from shipyard.monitoring.correlation import run_correlation
from shipyard.monitoring.fairness import run_fairness
from shipyard.monitoring.ingest import decoded_only, ingest, window_counters, window_since, window_summaries
from shipyard.monitoring.ingestion import lag_record
from shipyard.monitoring.models import (
    DriftResult,
    DriftRule,
    MonitorConfig,
    MonitorKind,
    MonitorRun,
    Status,
    WindowBucket,
    WindowKind,
)
from shipyard.monitoring.reference import DRIFT_INTERVAL_S, FLYWHEEL_DAYS, config_for, monitoring_link, reference_ensure

logger = logging.getLogger(__name__)


def _save_run(
    config: MonitorConfig, kind: str, status: str, value: float | None, summary: str, detail: dict, now: dt.datetime
) -> MonitorRun:
    return MonitorRun.objects.create(
        deployment=config.deployment,
        kind=kind,
        computed_at=now,
        status=status,
        value=value,
        summary=summary[:300],
        detail=detail,
    )


def run_drift(config: MonitorConfig, now: dt.datetime) -> MonitorRun:
    from shipyard_ml import drift, summaries

    data = reference_ensure(config)
    if data is None:
        return _save_run(config, MonitorKind.DRIFT, Status.NO_DATA, None, "no reference dataset", {}, now)
    reference = summaries.Reference.from_dict(data)
    window, rows, _ = window_summaries(config, reference, now)
    rules = {r.feature: r for r in DriftRule.objects.filter(deployment=config.deployment)}
    report = drift.drift_report(reference, window)
    drifted: list[str] = []
    results: list[DriftResult] = []
    with transaction.atomic():
        run = MonitorRun.objects.create(
            deployment=config.deployment, kind=MonitorKind.DRIFT, computed_at=now, status=Status.NO_DATA
        )
        for feature in report:
            rule = rules.get(feature.name) or DriftRule(feature=feature.name)
            value = feature.metrics.get(rule.metric)
            if feature.no_data:
                status = Status.NO_DATA
            elif not rule.enabled:
                status = Status.OK
            else:
                breached = drift.rule_breached(value, rule.operator, rule.threshold)
                status = Status.NO_DATA if breached is None else (Status.FAIL if breached else Status.OK)
            if status == Status.FAIL:
                drifted.append(feature.name)
            results.append(
                DriftResult(
                    deployment=config.deployment,
                    run=run,
                    computed_at=now,
                    feature=feature.name,
                    kind=feature.kind,
                    metric=rule.metric,
                    operator=rule.operator,
                    threshold=rule.threshold,
                    value=value if value is not None and math.isfinite(value) else None,
                    status=status,
                    n_current=feature.n_current,
                    metrics=feature.to_dict()["metrics"],
                    histogram={
                        "labels": feature.hist_labels,
                        "reference": feature.reference_hist,
                        "current": feature.current_hist,
                    },
                )
            )
        DriftResult.objects.bulk_create(results)
        # Only the latest run keeps its histograms (the time series keeps the values).
        DriftResult.objects.filter(deployment=config.deployment).exclude(run=run).exclude(histogram={}).update(
            histogram={}
        )
        if rows == 0:
            run.status, run.summary = Status.NO_DATA, "no predictions in the window"
        elif drifted:
            run.status = Status.FAIL
            run.summary = f"{len(drifted)} of {len(report)} drifted: {', '.join(drifted[:5])}"
        else:
            run.status, run.summary = Status.OK, f"no drift in {len(report)} features"
        run.value = float(len(drifted))
        run.detail = {"rows": rows, "drifted": drifted, "window": config.window_kind}
        run.save()
    return run


def run_invariants(config: MonitorConfig, now: dt.datetime, rows: int, counters: dict) -> MonitorRun:
    violations = counters.get("violations") or {}
    total = sum(sum(kinds.values()) for kinds in violations.values())
    if rows == 0:
        return _save_run(config, MonitorKind.INVARIANTS, Status.NO_DATA, None, "no predictions in the window", {}, now)
    rate = total / rows
    status = Status.FAIL if rate > config.invariant_max_rate else Status.OK
    worst = sorted(violations.items(), key=lambda kv: -sum(kv[1].values()))[:3]
    summary = f"{total} violations in {rows} predictions" + (
        f" (most: {', '.join(name for name, _ in worst)})" if worst else ""
    )
    return _save_run(
        config, MonitorKind.INVARIANTS, status, rate, summary, {"rows": rows, "violations": violations}, now
    )


def run_outliers(config: MonitorConfig, now: dt.datetime) -> MonitorRun:
    """The share of the last hour's logged rows the deployment's outlier detector flagged."""
    from django.db.models import Count, Q

    from shipyard.serving.models import PredictionLog

    counts = PredictionLog.objects.filter(
        deployment_id=config.deployment.pk,
        created_at__gte=now - dt.timedelta(hours=1),
        created_at__lte=now,
        is_outlier__isnull=False,
    ).aggregate(n=Count("id"), flagged=Count("id", filter=Q(is_outlier=True)))
    scored, flagged = counts["n"] or 0, counts["flagged"] or 0
    if scored == 0:
        return _save_run(config, MonitorKind.OUTLIERS, Status.NO_DATA, None, "no rows scored by a detector", {}, now)
    rate = flagged / scored
    status = Status.FAIL if rate > config.outlier_max_rate else Status.OK
    summary = f"{flagged} of {scored} requests in the last hour are outliers ({rate:.1%}, limit {config.outlier_max_rate:.1%})"
    detail = {"scored": scored, "outliers": flagged, "max_rate": config.outlier_max_rate}
    return _save_run(config, MonitorKind.OUTLIERS, status, rate, summary, detail, now)


def run_numerics(config: MonitorConfig, now: dt.datetime, rows: int, counters: dict) -> MonitorRun:
    if rows == 0:
        return _save_run(config, MonitorKind.NUMERICS, Status.NO_DATA, None, "no predictions in the window", {}, now)
    nan, inf = int(counters.get("nan_outputs", 0)), int(counters.get("inf_outputs", 0))
    status = Status.FAIL if nan or inf else Status.OK
    return _save_run(
        config,
        MonitorKind.NUMERICS,
        status,
        float(nan + inf),
        f"{nan} NaN and {inf} Inf in {rows} outputs",
        {"rows": rows, "nan": nan, "inf": inf},
        now,
    )


def run_staleness(config: MonitorConfig, now: dt.datetime) -> MonitorRun:
    version = config.deployment.live_version
    # an evaluation time before the version existed (a backfilled run, clock skew) is age 0, never negative
    model_age = max(0.0, (now - version.created_at).total_seconds() / 86400)
    dataset = version.training_dataset
    data_age = max(0.0, (now - dataset.created_at).total_seconds() / 86400) if dataset is not None else None
    age = max(model_age, data_age or 0.0)
    limit = config.staleness_limit_days
    status = Status.FAIL if age > limit else Status.OK
    summary = f"model {model_age:.1f} d old" + (f", training data {data_age:.1f} d" if data_age is not None else "")
    return _save_run(
        config,
        MonitorKind.STALENESS,
        status,
        age,
        f"{summary} (limit {limit} d)",
        {"model_age_days": model_age, "data_age_days": data_age, "limit_days": limit},
        now,
    )


def _previous_version_id(deployment: Any) -> int | None:
    history = [v for v in (deployment.live_history or []) if v != deployment.live_version_id]
    return int(history[-1]) if history else None


def run_performance(config: MonitorConfig, now: dt.datetime) -> MonitorRun:
    from shipyard.serving.selectors import version_window_stats

    deployment = config.deployment
    since = window_since(config, now) if config.window_kind != WindowKind.LAST_N else now - dt.timedelta(days=1)
    seconds = (now - since).total_seconds()
    live = version_window_stats(deployment=deployment, version_id=deployment.live_version_id, since=since)
    live["rps"] = live["count"] / seconds
    detail: dict[str, Any] = {"live": {"version_id": deployment.live_version_id, **live}}
    previous_id = _previous_version_id(deployment)
    if live["count"] == 0:
        return _save_run(
            config, MonitorKind.PERFORMANCE, Status.NO_DATA, None, "no requests in the window", detail, now
        )
    status, summary = Status.OK, f"p99 {live['p99_ms']} ms, {live['rps']:.2f} req/s"
    if previous_id is not None:
        prev = version_window_stats(deployment=deployment, version_id=previous_id, since=now - dt.timedelta(days=30))
        detail["previous"] = {"version_id": previous_id, **prev}
        if prev["p99_ms"] and live["p99_ms"] and live["p99_ms"] > prev["p99_ms"] * config.latency_max_ratio:
            status = Status.FAIL
            summary += f" — regressed from {prev['p99_ms']} ms on the previous version"
        detail["regressed"] = status == Status.FAIL
    return _save_run(config, MonitorKind.PERFORMANCE, status, live["p99_ms"], summary, detail, now)


def _health_window(config: MonitorConfig, now: dt.datetime) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every request to the live version over the last ``health_window_minutes`` (the rollups count
    every request, sampled or not), and the window described for the run's detail."""
    from shipyard.serving.selectors import version_window_stats

    deployment = config.deployment
    since = now - dt.timedelta(minutes=config.health_window_minutes)
    live = version_window_stats(deployment=deployment, version_id=deployment.live_version_id, since=since, until=now)
    return live, {"minutes": config.health_window_minutes, "min_requests": config.health_min_requests}


def run_error_rate(config: MonitorConfig, now: dt.datetime) -> MonitorRun:
    """On by default on every deployment: the live version's share of failed requests (server errors,
    timeouts and rejected inputs) over the last minutes, against ``error_rate_max``."""
    live, window = _health_window(config, now)
    detail = {"live": live, "window": window, "threshold": config.error_rate_max}
    if live["count"] < max(1, config.health_min_requests):
        summary = f"{live['count']} requests in the last {config.health_window_minutes} min (fewer than {config.health_min_requests})"
        return _save_run(config, MonitorKind.ERROR_RATE, Status.NO_DATA, live["error_rate"], summary, detail, now)
    rate = float(live["error_rate"] or 0.0)
    status = Status.FAIL if rate > config.error_rate_max else Status.OK
    summary = (
        f"{rate:.1%} of {live['count']} requests failed in the last {config.health_window_minutes} min"
        f" (limit {config.error_rate_max:.1%})"
    )
    return _save_run(config, MonitorKind.ERROR_RATE, status, rate, summary, detail, now)


def run_latency(config: MonitorConfig, now: dt.datetime) -> MonitorRun:
    """On by default on every deployment: the live version's p99 latency over the last minutes,
    against ``latency_p99_max_ms``."""
    live, window = _health_window(config, now)
    detail = {"live": live, "window": window, "threshold": config.latency_p99_max_ms}
    p99 = live["p99_ms"]
    if live["count"] < max(1, config.health_min_requests) or p99 is None:
        summary = f"{live['count']} requests in the last {config.health_window_minutes} min (fewer than {config.health_min_requests})"
        return _save_run(config, MonitorKind.LATENCY, Status.NO_DATA, p99, summary, detail, now)
    status = Status.FAIL if p99 > config.latency_p99_max_ms else Status.OK
    summary = (
        f"p99 {p99:g} ms over {live['count']} requests in the last {config.health_window_minutes} min"
        f" (limit {config.latency_p99_max_ms:g} ms)"
    )
    return _save_run(config, MonitorKind.LATENCY, status, p99, summary, detail, now)


def run_quality(config: MonitorConfig, now: dt.datetime) -> MonitorRun:
    from shipyard.monitoring.selectors import feedback_accuracy_by_version

    deployment = config.deployment
    accuracy = feedback_accuracy_by_version(deployment=deployment, since=now - dt.timedelta(days=7))
    live = accuracy.get(deployment.live_version_id)
    detail: dict[str, Any] = {"by_version": {str(k): v for k, v in accuracy.items()}}
    if live is None:
        return _save_run(config, MonitorKind.QUALITY, Status.NO_DATA, None, "no feedback yet", detail, now)
    status, summary = Status.OK, f"accuracy from feedback {live:.3f}"
    previous_id = _previous_version_id(deployment)
    if previous_id is not None:
        prev = feedback_accuracy_by_version(deployment=deployment, since=now - dt.timedelta(days=90)).get(previous_id)
        detail["previous"] = prev
        if prev is not None and prev - live > config.quality_max_drop:
            status = Status.FAIL
            summary += f" — regressed from {prev:.3f} on the previous version"
        detail["regressed"] = status == Status.FAIL
    return _save_run(config, MonitorKind.QUALITY, status, live, summary, detail, now)


def skew_replay(*, deployment: Any, version: Any, window: Any, sample: int) -> tuple[Any, list[dict[str, Any]]]:
    """Replay up to ``sample`` of the newest logged inputs of ``version`` in a log window (hot or
    cold, through the one log interface) through its artifact offline; (comparison, rows)."""
    from shipyard.registry.selectors import artifact_path
    from shipyard.serving.logstore import log_rows
    from shipyard_ml import skew

    rows, _ = decoded_only(log_rows(window, columns=("request_id", "inputs", "outputs"), limit=sample))
    if not rows:
        return None, []
    inputs = [r["inputs"] for r in rows]
    offline = skew.replay(
        artifact_path(version), version.format, inputs, recipe=version.recipe, recipe_config=version.recipe_config
    )
    result = skew.compare(inputs, [r["outputs"] for r in rows], offline)
    for example in result.examples:
        example["request_id"] = rows[example["index"]]["request_id"]
    return result, rows


def run_skew(config: MonitorConfig, now: dt.datetime) -> MonitorRun:
    """Replay a sample of logged inputs through the live artifact offline and compare outputs."""
    from shipyard.serving.logstore import LogWindow

    deployment = config.deployment
    version = deployment.live_version
    window = LogWindow(deployment_id=deployment.pk, version_id=version.pk, status="ok")
    result, _ = skew_replay(deployment=deployment, version=version, window=window, sample=config.skew_sample_size)
    if result is None:
        return _save_run(config, MonitorKind.SKEW, Status.NO_DATA, None, "no logged predictions to replay", {}, now)
    rate = result.mismatch_rate or 0.0
    status = Status.FAIL if rate > config.skew_max_mismatch else Status.OK
    return _save_run(
        config,
        MonitorKind.SKEW,
        status,
        rate,
        f"{result.mismatches} of {result.compared} replayed predictions differ",
        {"compared": result.compared, "mismatches": result.mismatches, "examples": result.examples},
        now,
    )


def _alert_for(config: MonitorConfig, kind: str, run: MonitorRun, evidence: Any) -> None:
    deployment = config.deployment
    key = f"monitor:{deployment.pk}:{kind}"
    if run.status == Status.FAIL:
        alert_fire(
            project=deployment.project,
            deployment=deployment,
            key=key,
            title=f"{MonitorKind(kind).label} on {deployment.name}: {run.summary}",
            message=run.summary,
            link=monitoring_link(deployment, kind),
            evidence=evidence,
            detail={"kind": kind, "value": run.value},
            now=run.computed_at,
        )
    elif run.status == Status.OK:
        alert_resolve(project=deployment.project, key=key, now=run.computed_at)


def _guard(
    config: MonitorConfig, kind: str, fn: Callable[[], MonitorRun | None], *, resolve: bool = True
) -> MonitorRun | None:
    """Run one monitor; a crash keeps the previous results, records the error and alerts about itself."""
    deployment = config.deployment
    key = f"monitor-error:{deployment.pk}:{kind}"
    try:
        run = fn()
    except Exception as exc:
        logger.exception("monitor %s on deployment %s crashed", kind, deployment.pk)
        message = f"{type(exc).__name__}: {exc}"[:1000]
        MonitorConfig.objects.filter(pk=config.pk).update(last_error=f"{kind}: {message}")
        alert_fire(
            project=deployment.project,
            deployment=deployment,
            key=key,
            title=f"The {MonitorKind(kind).label.lower()} monitor of {deployment.name} crashed",
            message=message,
            link=monitoring_link(deployment, kind),
            severity="error",
            detail={"kind": kind, "traceback": traceback.format_exc()[-3000:]},
        )
        return None
    if resolve:
        alert_resolve(project=deployment.project, key=key)
    if run is not None:
        evidence = monitor_evidence(config, kind, run)
        _alert_for(config, kind, run, evidence)
    return run


def monitors_run(*, deployment_id: int, now: dt.datetime | None = None, force_drift: bool = False) -> dict[str, Any]:
    """Ingest new predictions, then run every monitor (drift at most every DRIFT_INTERVAL_S)."""
    from shipyard.serving.logstore import LogWindow, log_daily_counts, settled_until
    from shipyard.serving.models import Deployment

    deployment = (
        Deployment.objects.select_related("project", "live_version__training_dataset").filter(pk=deployment_id).first()
    )
    if deployment is None:
        return {"status": "gone"}
    now = now or timezone.now()
    config = config_for(deployment)
    config.deployment = deployment
    out: dict[str, Any] = {}
    out["ingested"] = 0

    def prepare() -> None:
        reference_ensure(config)
        if config.reference:
            out["ingested"] = ingest(config)
        lag_record(config, now=now)
        # the flywheel's finished days are counted here once, not on the dashboard's request
        since = dt.datetime.combine(now.date() - dt.timedelta(days=FLYWHEEL_DAYS), dt.time(), tzinfo=dt.UTC)
        log_daily_counts(
            LogWindow(deployment_id=deployment.pk, since=since, until=settled_until(now)),
            confidence_threshold=config.confidence_threshold,
            now=now,
        )

    _guard(config, MonitorKind.DRIFT, prepare, resolve=False)
    last_drift = (
        MonitorRun.objects.filter(deployment=deployment, kind=MonitorKind.DRIFT).values_list("computed_at", flat=True)
    ).first()
    if force_drift or last_drift is None or (now - last_drift).total_seconds() >= DRIFT_INTERVAL_S:
        run = _guard(config, MonitorKind.DRIFT, lambda: run_drift(config, now))
        out["drift"] = run.status if run else "error"
    window: dict[str, Any] = {}

    def counters() -> tuple[int, dict]:
        if "rows" not in window:
            rows, c = window_counters(config, now)
            window.update(rows=rows, counters=c)
        return window["rows"], window["counters"]

    for kind, fn in (
        (MonitorKind.INVARIANTS, lambda: run_invariants(config, now, *counters())),
        (MonitorKind.NUMERICS, lambda: run_numerics(config, now, *counters())),
        (MonitorKind.STALENESS, lambda: run_staleness(config, now)),
        (MonitorKind.PERFORMANCE, lambda: run_performance(config, now)),
        (MonitorKind.QUALITY, lambda: run_quality(config, now)),
        (MonitorKind.CORRELATION, lambda: run_correlation(config, now)),
        (MonitorKind.OUTLIERS, lambda: run_outliers(config, now)),
        (MonitorKind.FAIRNESS, lambda: run_fairness(config, now)),
        (MonitorKind.ERROR_RATE, lambda: run_error_rate(config, now)),
        (MonitorKind.LATENCY, lambda: run_latency(config, now)),
    ):
        run = _guard(config, kind, fn)
        out[kind] = run.status if run else "error"
    MonitorConfig.objects.filter(pk=config.pk).update(last_run_at=now)
    return out


def skew_run(*, deployment_id: int, now: dt.datetime | None = None) -> str:
    from shipyard.serving.models import Deployment

    deployment = Deployment.objects.select_related("project", "live_version").filter(pk=deployment_id).first()
    if deployment is None:
        return "gone"
    config = config_for(deployment)
    config.deployment = deployment
    run = _guard(config, MonitorKind.SKEW, lambda: run_skew(config, now or timezone.now()))
    return run.status if run else "error"


def retention_prune(*, now: dt.datetime | None = None, days: int = 30, bucket_days: int = 2) -> dict[str, int]:
    now = now or timezone.now()
    return {
        "buckets": WindowBucket.objects.filter(bucket_start__lt=now - dt.timedelta(days=bucket_days)).delete()[0],
        "drift": DriftResult.objects.filter(computed_at__lt=now - dt.timedelta(days=days)).delete()[0],
        "runs": MonitorRun.objects.filter(computed_at__lt=now - dt.timedelta(days=days)).delete()[0],
    }
