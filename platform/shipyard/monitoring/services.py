"""Writes for monitoring: references, incremental window summaries, monitor runs, alerts, feedback and
the flywheel export. Heavy math lives in ``shipyard_ml.drift`` / ``shipyard_ml.skew`` (imported lazily)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import math
import traceback
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from shipyard.core.errors import DomainError
from shipyard.monitoring.models import (
    RUBRIC_TEST,
    Alert,
    AlertStatus,
    DriftMetric,
    DriftResult,
    DriftRule,
    Feedback,
    FlywheelExport,
    MonitorConfig,
    MonitorKind,
    MonitorRun,
    Operator,
    Status,
    WindowBucket,
    WindowKind,
)

logger = logging.getLogger(__name__)

BUCKET_SECONDS = 300
INGEST_CHUNK = 5000
DRIFT_INTERVAL_S = 300
APP_FINE_BINS = 500
PREDICTION_FEATURE = "prediction"
CONFIG_FIELDS = {
    "window_kind",
    "window_n",
    "staleness_limit_days",
    "confidence_threshold",
    "skew_sample_size",
    "skew_max_mismatch",
    "invariant_max_rate",
    "latency_max_ratio",
    "quality_max_drop",
    "webhook_url",
    "email_to",
}


# -- configuration and reference ---------------------------------------------------------------
def config_for(deployment: Any) -> MonitorConfig:
    config, _ = MonitorConfig.objects.get_or_create(deployment=deployment)
    return config


@transaction.atomic
def config_update(*, deployment: Any, values: dict[str, Any], by: Any = None) -> MonitorConfig:
    config = MonitorConfig.objects.select_for_update().get(pk=config_for(deployment).pk)
    unknown = set(values) - CONFIG_FIELDS
    if unknown:
        raise DomainError("Unknown setting.", field=sorted(unknown)[0])
    for name, value in values.items():
        setattr(config, name, value)
    config.save()
    return config


def _link(deployment: Any, tab: str = "") -> str:
    base = f"/monitoring/{deployment.project.slug}/{deployment.name}"
    return f"{base}?tab={tab}" if tab else base


def _kind_of(dtype: str) -> str:
    return "numeric" if dtype in {"numeric", "integer", "float", "number"} else "categorical"


def input_features(version: Any) -> list[str]:
    """Model input feature names in input order: the signature's, else the training schema's."""
    names = (version.signature or {}).get("features") or []
    if names:
        return [str(n) for n in names]
    if version.training_dataset_id:
        schema = version.training_dataset.schema or {}
        label = schema.get("label") or version.training_dataset.label_column
        return [f["name"] for f in schema.get("features", []) if f.get("name") != label]
    return []


def reference_build(*, dataset_version: Any, features: list[str]) -> dict[str, Any]:
    """Bin the training dataset (features + the label as the reference prediction distribution)."""
    import pandas as pd

    from shipyard.registry.selectors import dataset_path
    from shipyard_ml import drift

    frame = pd.read_parquet(dataset_path(dataset_version))
    schema = {f["name"]: f for f in (dataset_version.schema or {}).get("features", [])}
    columns: dict[str, Any] = {}
    kinds: dict[str, Any] = {}
    for name in features:
        if name in frame.columns:
            columns[name] = frame[name].to_numpy()
            kinds[name] = _kind_of(str(schema.get(name, {}).get("dtype", "numeric")))
    label = dataset_version.label_column or (dataset_version.schema or {}).get("label") or ""
    if label and label in frame.columns:
        values = frame[label].to_numpy()
        unique = pd.unique(values)
        columns[PREDICTION_FEATURE] = values
        dtype = str(schema.get(label, {}).get("dtype", ""))
        kinds[PREDICTION_FEATURE] = "categorical" if len(unique) <= 50 or dtype == "categorical" else "numeric"
    reference = drift.build_reference(columns, kinds=kinds, fine_bins=APP_FINE_BINS)
    return {**reference.to_dict(), "input_features": features}


def reference_ensure(config: MonitorConfig) -> dict[str, Any] | None:
    """The live version's reference (rebuilt when the live version changed); None without a dataset."""
    deployment = config.deployment
    version = deployment.live_version
    if config.reference and config.reference_version_id == version.pk:
        return config.reference
    if not version.training_dataset_id:
        return None
    dataset_version = version.training_dataset
    data = reference_build(dataset_version=dataset_version, features=input_features(version))
    with transaction.atomic():
        MonitorConfig.objects.filter(pk=config.pk).update(
            reference=data, reference_version=version, reference_dataset=dataset_version
        )
        existing = set(DriftRule.objects.filter(deployment=deployment).values_list("feature", flat=True))
        DriftRule.objects.bulk_create(
            [
                DriftRule(deployment=deployment, feature=f["name"])
                for f in data["features"]
                if f["name"] not in existing
            ],
            ignore_conflicts=True,
        )
    config.reference, config.reference_version, config.reference_dataset = data, version, dataset_version
    return data


@transaction.atomic
def drift_rule_update(
    *, deployment: Any, feature: str, metric: str, operator: str, threshold: float, enabled: bool = True
) -> DriftRule:
    if metric not in DriftMetric.values:
        raise DomainError(f"must be one of: {', '.join(DriftMetric.values)}", field="metric")
    if operator not in Operator.values:
        raise DomainError(f"must be one of: {', '.join(Operator.values)}", field="operator")
    if not isinstance(threshold, int | float) or not math.isfinite(threshold):
        raise DomainError("must be a finite number", field="threshold")
    rule, _ = DriftRule.objects.select_for_update().get_or_create(deployment=deployment, feature=feature)
    rule.metric, rule.operator, rule.threshold, rule.enabled = metric, operator, float(threshold), bool(enabled)
    rule.save()
    return rule


# -- ingesting the prediction log into window buckets -----------------------------------------
def _row_values(inputs: Any, names: list[str]) -> list[Any]:
    if isinstance(inputs, dict):
        return [inputs.get(n) for n in names]
    if isinstance(inputs, list):
        if inputs and isinstance(inputs[0], list):  # a row logged as [[...]]
            inputs = inputs[0]
        return list(inputs[: len(names)]) + [None] * max(0, len(names) - len(inputs))
    return [None] * len(names)


def _scalar_output(output: Any) -> Any:
    while isinstance(output, list) and len(output) == 1:
        output = output[0]
    return output


def _non_finite(output: Any) -> tuple[int, int]:
    """(NaN count, Inf count) in one logged output (nested lists allowed; the string forms too)."""
    nan = inf = 0
    stack = [output]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, float):
            nan += math.isnan(item)
            inf += math.isinf(item)
        elif isinstance(item, str) and item.lower() in {"nan", "inf", "-inf", "infinity", "-infinity"}:
            nan += item.lower() == "nan"
            inf += item.lower() != "nan"
    return nan, inf


def _encode(summary: Any) -> str:
    from shipyard_ml import drift

    return base64.b64encode(drift.pack(summary)).decode()


def _decode(text: str) -> Any:
    from shipyard_ml import drift

    return drift.unpack(base64.b64decode(text))


def summarize_rows(reference: Any, names: list[str], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Summaries of a batch of prediction-log rows for every reference feature (and the prediction)."""
    import numpy as np

    from shipyard_ml import drift

    matrix = [_row_values(r["inputs"], names) for r in rows]
    columns: dict[str, Any] = {}
    for j, name in enumerate(names):
        columns[name] = np.array([m[j] for m in matrix], dtype=object)
    columns[PREDICTION_FEATURE] = np.array([_scalar_output(r["outputs"]) for r in rows], dtype=object)
    out = {}
    for feature in reference.features:
        if feature.name in columns:
            values = columns[feature.name]
            if feature.kind == "numeric":
                values = drift._as_float(values)
            out[feature.name] = drift.summarize_feature(feature, values)
    return out


def ingest(config: MonitorConfig, *, max_chunks: int = 20) -> int:
    """Fold prediction-log rows after the cursor into 5-minute WindowBucket summaries (O(new rows))."""
    from shipyard.serving.models import PredictionLog
    from shipyard_ml import drift

    data = config.reference or {}
    if not data:
        return 0
    reference = drift.Reference.from_dict(data)
    names = list(data.get("input_features") or [])
    threshold = config.confidence_threshold
    folded = 0
    for _ in range(max_chunks):
        rows: list[Any] = list(
            PredictionLog.objects.filter(deployment_id=config.deployment_id, id__gt=config.ingest_cursor)
            .order_by("id")
            .values("id", "created_at", "version_id", "inputs", "outputs", "confidence", "violations")[:INGEST_CHUNK]
        )
        if not rows:
            break
        groups: dict[tuple[int, dt.datetime], list[dict[str, Any]]] = defaultdict(list)
        for r in rows:
            ts = r["created_at"].timestamp()
            start = dt.datetime.fromtimestamp(ts - ts % BUCKET_SECONDS, tz=dt.UTC)
            groups[(r["version_id"], start)].append(r)
        with transaction.atomic():
            locked = MonitorConfig.objects.select_for_update().get(pk=config.pk)
            if locked.ingest_cursor != config.ingest_cursor:  # another run got here first
                config.ingest_cursor = locked.ingest_cursor
                continue
            for (version_id, start), items in groups.items():
                summaries = summarize_rows(reference, names, items)
                counters: dict[str, Any] = {"violations": {}, "nan_outputs": 0, "inf_outputs": 0}
                for r in items:
                    nan, inf = _non_finite(r["outputs"])
                    counters["nan_outputs"] += nan
                    counters["inf_outputs"] += inf
                    for v in r["violations"] or []:
                        per = counters["violations"].setdefault(str(v.get("feature", "?")), {})
                        per[str(v.get("kind", "invalid"))] = per.get(str(v.get("kind", "invalid")), 0) + 1
                    if r["confidence"] is not None:
                        counters["confidence_n"] = counters.get("confidence_n", 0) + 1
                        counters["confident"] = counters.get("confident", 0) + int(r["confidence"] >= threshold)
                bucket, _ = WindowBucket.objects.select_for_update().get_or_create(
                    deployment_id=config.deployment_id, version_id=version_id, bucket_start=start
                )
                for name, summary in summaries.items():
                    if name in bucket.summaries:
                        summary = drift.merge([_decode(bucket.summaries[name]), summary])
                    bucket.summaries[name] = _encode(summary)
                bucket.rows += len(items)
                bucket.counters = _add_counters(bucket.counters or {}, counters)
                bucket.save()
            locked.ingest_cursor = rows[-1]["id"]
            locked.save(update_fields=["ingest_cursor", "updated_at"])
            config.ingest_cursor = locked.ingest_cursor
        folded += len(rows)
        if len(rows) < INGEST_CHUNK:
            break
    return folded


def _add_counters(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out = dict(a)
    for key, value in b.items():
        if isinstance(value, dict):
            out[key] = _add_counters(out.get(key) or {}, value)
        else:
            out[key] = out.get(key, 0) + value
    return out


def window_since(config: MonitorConfig, now: dt.datetime) -> dt.datetime:
    return now - (dt.timedelta(hours=1) if config.window_kind == WindowKind.HOUR else dt.timedelta(days=1))


def window_summaries(config: MonitorConfig, reference: Any, now: dt.datetime) -> tuple[dict[str, Any], int, dict]:
    """The current window as merged summaries, its row count and counters (cost: the window, not the log)."""
    from shipyard_ml import drift

    if config.window_kind == WindowKind.LAST_N:
        from shipyard.serving.models import PredictionLog

        rows: list[Any] = list(
            PredictionLog.objects.filter(deployment_id=config.deployment_id)
            .order_by("-id")
            .values("inputs", "outputs", "violations", "confidence")[: config.window_n]
        )
        if not rows:
            return {}, 0, {}
        names = list(config.reference.get("input_features") or [])
        return summarize_rows(reference, names, rows), len(rows), _count_rows(rows)
    buckets = WindowBucket.objects.filter(
        deployment_id=config.deployment_id,
        bucket_start__gte=window_since(config, now) - dt.timedelta(seconds=1),
        bucket_start__lte=now,
    )
    per_feature: dict[str, list[Any]] = defaultdict(list)
    total = 0
    counters: dict[str, Any] = {}
    for bucket in buckets:
        total += bucket.rows
        counters = _add_counters(counters, bucket.counters or {})
        for name, text in bucket.summaries.items():
            per_feature[name].append(_decode(text))
    return {name: drift.merge(items) for name, items in per_feature.items()}, total, counters


def _count_rows(rows: list[dict[str, Any]]) -> dict[str, Any]:
    counters: dict[str, Any] = {"violations": {}, "nan_outputs": 0, "inf_outputs": 0}
    for r in rows:
        nan, inf = _non_finite(r["outputs"])
        counters["nan_outputs"] += nan
        counters["inf_outputs"] += inf
        for v in r["violations"] or []:
            per = counters["violations"].setdefault(str(v.get("feature", "?")), {})
            per[str(v.get("kind", "invalid"))] = per.get(str(v.get("kind", "invalid")), 0) + 1
    return counters


def window_counters(config: MonitorConfig, now: dt.datetime) -> tuple[int, dict[str, Any]]:
    """Rows, invariant violations and NaN/Inf outputs in the window (no reference needed)."""
    if config.window_kind == WindowKind.LAST_N:
        from shipyard.serving.models import PredictionLog

        rows: list[Any] = list(
            PredictionLog.objects.filter(deployment_id=config.deployment_id)
            .order_by("-id")
            .values("outputs", "violations")[: config.window_n]
        )
        return len(rows), _count_rows(rows)
    total, counters = 0, dict[str, Any]()
    for bucket_rows, bucket_counters in WindowBucket.objects.filter(
        deployment_id=config.deployment_id,
        bucket_start__gte=window_since(config, now) - dt.timedelta(seconds=1),
        bucket_start__lte=now,
    ).values_list("rows", "counters"):
        total += bucket_rows
        counters = _add_counters(counters, bucket_counters or {})
    return total, counters


# -- evidence and alerts --------------------------------------------------------------------------
def _evidence(config: MonitorConfig, kind: str, run: MonitorRun) -> Any:
    """Rubric evidence for the monitor's test: on a status change, else at most hourly."""
    from shipyard.rubric.models import Evidence
    from shipyard.rubric.services import evidence_record

    if run.status in {Status.NO_DATA, Status.ERROR}:
        return None
    deployment = config.deployment
    key = f"monitor:{deployment.pk}:{kind}"
    passed = run.status == Status.OK
    last = Evidence.objects.filter(project_id=deployment.project_id, key=key).order_by("-observed_at").first()
    if last is not None and last.passed == passed and run.computed_at - last.observed_at < dt.timedelta(hours=1):
        return last
    return evidence_record(
        project=deployment.project,
        test_id=RUBRIC_TEST[MonitorKind(kind)],
        source="monitor",
        passed=passed,
        title=f"{MonitorKind(kind).label} monitor on {deployment.name}: {run.summary}"[:300],
        link=_link(deployment, kind),
        key=key,
        detail={"deployment": deployment.name, "kind": kind, "status": run.status, "value": run.value},
        observed_at=run.computed_at,
    )


@transaction.atomic
def alert_fire(
    *,
    project: Any,
    key: str,
    title: str,
    message: str = "",
    deployment: Any = None,
    link: str = "",
    evidence: Any = None,
    severity: str = "warning",
    source: str = "monitor",
    detail: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> tuple[Alert, bool]:
    """Open an alert, or bump the open one with the same key (deduplicated). Returns (alert, created)."""
    now = now or timezone.now()
    alert = Alert.objects.select_for_update().filter(project=project, key=key, status=AlertStatus.OPEN).first()
    if alert is not None:
        alert.last_seen_at = now
        alert.occurrences += 1
        alert.title, alert.message = title[:300], message
        if evidence is not None:
            alert.evidence = evidence
        alert.detail = detail or alert.detail
        alert.save()
        return alert, False
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                project=project,
                deployment=deployment,
                key=key[:300],
                title=title[:300],
                message=message,
                link=link[:500],
                evidence=evidence,
                severity=severity,
                source=source,
                detail=detail or {},
                opened_at=now,
                last_seen_at=now,
            )
    except IntegrityError:  # a concurrent run opened it
        alert = Alert.objects.get(project=project, key=key, status=AlertStatus.OPEN)
        return alert, False
    alert_id = alert.pk
    transaction.on_commit(lambda: _enqueue_delivery(alert_id))
    return alert, True


def _enqueue_delivery(alert_id: int) -> None:
    from shipyard.monitoring.tasks import deliver_alert

    try:
        deliver_alert.delay(alert_id)
    except Exception:  # the broker is down: deliver in-process rather than lose it
        logger.warning("broker unavailable; delivering alert %s in-process", alert_id)
        alert_deliver(alert_id=alert_id)


@transaction.atomic
def alert_resolve(*, project: Any, key: str, now: dt.datetime | None = None) -> Alert | None:
    alert = Alert.objects.select_for_update().filter(project=project, key=key, status=AlertStatus.OPEN).first()
    if alert is None:
        return None
    alert.status = AlertStatus.RESOLVED
    alert.resolved_at = now or timezone.now()
    alert.save(update_fields=["status", "resolved_at", "updated_at"])
    return alert


def notify(*, project: Any, title: str, source: str = "deployment", deployment: Any = None) -> Alert:
    """A one-off notification from another app (e.g. an automatic rollback): an info alert, delivered."""
    alert, _ = alert_fire(
        project=project,
        key=f"{source}:{timezone.now().isoformat()}:{title}"[:300],
        title=title,
        deployment=deployment,
        severity="info",
        source=source,
    )
    return alert


def _post_webhook(url: str, body: dict[str, Any]) -> None:
    import requests

    response = requests.post(url, json=body, timeout=settings.MONITORING_WEBHOOK_TIMEOUT_S)
    response.raise_for_status()


def alert_deliver(*, alert_id: int) -> list[dict[str, Any]]:
    """Send an alert to the deployment's webhook (Slack-compatible ``{"text"}``) and email; record results."""
    from django.core.mail import send_mail

    alert = Alert.objects.select_related("project", "deployment").filter(pk=alert_id).first()
    if alert is None or alert.deliveries:
        return []
    config = MonitorConfig.objects.filter(deployment=alert.deployment).first() if alert.deployment_id else None
    base = str(getattr(settings, "PUBLIC_URL", "") or "").rstrip("/")
    link = f"{base}{alert.link}" if alert.link else ""
    text = f"[{alert.severity}] {alert.project.slug}: {alert.title}" + (f"\n{alert.message}" if alert.message else "")
    if link:
        text += f"\n{link}"
    results: list[dict[str, Any]] = []
    if config and config.webhook_url:
        try:
            _post_webhook(config.webhook_url, {"text": text})
            results.append({"channel": "webhook", "ok": True, "error": "", "at": timezone.now().isoformat()})
        except Exception as exc:
            results.append(
                {"channel": "webhook", "ok": False, "error": str(exc)[:300], "at": timezone.now().isoformat()}
            )
    if config and config.email_to:
        recipients = [a.strip() for a in config.email_to.split(",") if a.strip()]
        try:
            send_mail(f"Shipyard alert: {alert.title}"[:200], text, None, recipients)
            results.append({"channel": "email", "ok": True, "error": "", "at": timezone.now().isoformat()})
        except Exception as exc:
            results.append({"channel": "email", "ok": False, "error": str(exc)[:300], "at": timezone.now().isoformat()})
    if results:
        Alert.objects.filter(pk=alert.pk).update(deliveries=results)
    return results


# -- monitors -------------------------------------------------------------------------------------
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
    from shipyard_ml import drift

    data = reference_ensure(config)
    if data is None:
        return _save_run(config, MonitorKind.DRIFT, Status.NO_DATA, None, "no reference dataset", {}, now)
    reference = drift.Reference.from_dict(data)
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


def run_skew(config: MonitorConfig, now: dt.datetime) -> MonitorRun:
    """Replay a sample of logged inputs through the live artifact offline and compare outputs."""
    from shipyard.registry.selectors import artifact_path
    from shipyard.serving.models import PredictionLog
    from shipyard_ml import skew

    deployment = config.deployment
    version = deployment.live_version
    rows = list(
        PredictionLog.objects.filter(deployment=deployment, version_id=version.pk, status="ok")
        .order_by("-id")
        .values("request_id", "inputs", "outputs")[: config.skew_sample_size]
    )
    if not rows:
        return _save_run(config, MonitorKind.SKEW, Status.NO_DATA, None, "no logged predictions to replay", {}, now)
    inputs = [r["inputs"] for r in rows]
    offline = skew.replay(
        artifact_path(version), version.format, inputs, recipe=version.recipe, recipe_config=version.recipe_config
    )
    result = skew.compare(inputs, [r["outputs"] for r in rows], offline)
    for example in result.examples:
        example["request_id"] = rows[example["index"]]["request_id"]
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
            link=_link(deployment, kind),
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
            link=_link(deployment, kind),
            severity="error",
            detail={"kind": kind, "traceback": traceback.format_exc()[-3000:]},
        )
        return None
    if resolve:
        alert_resolve(project=deployment.project, key=key)
    if run is not None:
        evidence = _evidence(config, kind, run)
        _alert_for(config, kind, run, evidence)
    return run


def monitors_run(*, deployment_id: int, now: dt.datetime | None = None, force_drift: bool = False) -> dict[str, Any]:
    """Ingest new predictions, then run every monitor (drift at most every DRIFT_INTERVAL_S)."""
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


# -- feedback and the flywheel -------------------------------------------------------------------
def _label_type_ok(label: Any, prediction: Any) -> bool:
    if label is None or isinstance(label, dict):
        return False
    prediction = _scalar_output(prediction)
    label = _scalar_output(label)
    if isinstance(prediction, bool):
        return isinstance(label, bool)
    if isinstance(prediction, int):
        return isinstance(label, int) and not isinstance(label, bool)
    if isinstance(prediction, float):
        return isinstance(label, int | float) and not isinstance(label, bool) and math.isfinite(label)
    if isinstance(prediction, str):
        return isinstance(label, str)
    if isinstance(prediction, list):
        return isinstance(label, list)
    return True


def _equal(a: Any, b: Any) -> bool:
    a, b = _scalar_output(a), _scalar_output(b)
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    return bool(a == b)


def feedback_submit(*, deployment: Any, request_id: str, label: Any, by: Any = None) -> tuple[Feedback, bool]:
    """Record a user's label for one logged prediction. Idempotent per request id: a repeat with the
    same label is a no-op, a different label replaces it. Unknown request id: NotFound."""
    from rest_framework.exceptions import NotFound

    from shipyard.serving.models import PredictionLog

    if not isinstance(request_id, str) or not request_id or len(request_id) > 40:
        raise DomainError("must be a request id returned by predict", field="request_id")
    log = (
        PredictionLog.objects.filter(deployment_id=deployment.pk, request_id=request_id)
        .values("created_at", "version_id", "inputs", "outputs", "confidence")
        .first()
    )
    if log is None:
        raise NotFound(f"No logged prediction '{request_id}' for this deployment.")
    if not _label_type_ok(label, log["outputs"]):
        kind = type(_scalar_output(log["outputs"])).__name__
        raise DomainError(f"must be of the model's output type ({kind})", field="label")
    correct = _equal(label, log["outputs"])
    with transaction.atomic():
        existing = Feedback.objects.select_for_update().filter(deployment=deployment, request_id=request_id).first()
        if existing is not None:
            if existing.label != label:
                existing.label, existing.correct = label, correct
                existing.save(update_fields=["label", "correct", "updated_at"])
            return existing, False
        try:
            with transaction.atomic():
                return (
                    Feedback.objects.create(
                        deployment=deployment,
                        request_id=request_id,
                        version_id=log["version_id"],
                        predicted_at=log["created_at"],
                        inputs=log["inputs"],
                        prediction=log["outputs"],
                        label=label,
                        confidence=log["confidence"],
                        correct=correct,
                        submitted_by=by if getattr(by, "is_authenticated", False) else None,
                    ),
                    True,
                )
        except IntegrityError:
            return Feedback.objects.get(deployment=deployment, request_id=request_id), False


def flywheel_export(
    *, deployment: Any, by: Any = None, slice_name: str = "", feedback_ids: list[int] | None = None
) -> FlywheelExport:
    """ "Add to dataset": a new version of the training dataset = base rows + corrected examples."""
    import tempfile
    from pathlib import Path

    import pandas as pd

    from shipyard.monitoring.selectors import mistakes_queryset, slice_filter
    from shipyard.registry.selectors import dataset_path
    from shipyard.registry.services import dataset_version_create

    version = deployment.live_version
    base = version.training_dataset
    if base is None:
        raise DomainError("The live version has no training dataset to add examples to.", field="dataset")
    mistakes = mistakes_queryset(deployment)
    if feedback_ids:
        mistakes = mistakes.filter(pk__in=feedback_ids)
    items = slice_filter(list(mistakes), slice_name, deployment)
    if not items:
        raise DomainError("There are no corrected examples to add.", field="feedback_ids")
    frame = pd.read_parquet(dataset_path(base))
    label = base.label_column or (base.schema or {}).get("label") or "label"
    names = input_features(version)
    rows = []
    for fb in items:
        values = _row_values(fb.inputs, names)
        row = dict(zip(names, values, strict=True))
        row[label] = _scalar_output(fb.label)
        rows.append(row)
    added = pd.DataFrame(rows)
    for column in frame.columns:
        if column in added.columns:
            try:
                added[column] = added[column].astype(frame[column].dtype)
            except (TypeError, ValueError):
                pass
    combined = pd.concat([frame, added[[c for c in frame.columns if c in added.columns]]], ignore_index=True)
    ids = sorted(fb.pk for fb in items)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{base.dataset.name}-flywheel.parquet"
        combined.to_parquet(path, index=False)
        new_version = dataset_version_create(
            project=deployment.project,
            dataset_name=base.dataset.name,
            file_or_path=path,
            format="parquet",
            label_column=base.label_column,
            slices=[{"name": s["name"], "filter": s["filter"]} for s in (base.slices or [])],
            description=f"v{base.number} + {len(items)} corrected examples from deployment {deployment.name}",
            tags={"source": "flywheel", "deployment": deployment.name},
            parent=base,
            idempotency_key=f"flywheel:{deployment.pk}:{json.dumps(ids)}"[:200],
            by=by if getattr(by, "is_authenticated", False) else None,
        )
    export, _ = FlywheelExport.objects.get_or_create(
        deployment=deployment,
        dataset_version=new_version,
        defaults={
            "base_version": base,
            "examples": len(items),
            "feedback_ids": ids,
            "created_by": by if getattr(by, "is_authenticated", False) else None,
        },
    )
    return export
