"""Demo traffic for monitoring: predictions drawn from a deployment's training data, run through its
live model (the offline path, so outputs are what serving would answer), a drift that starts
half-way in a few features, and simulated user corrections — so the dashboards move on first start.
The digits team's deployment (the demo's exemplary project) sees no drift; the others do.

* ``seed(ctx)`` (called by ``manage.py shipyard_seed_demo``) backfills two days of traffic for every
  demo deployment that has none yet and runs the monitors at points along it (time series).
* ``manage.py shipyard_simulate_traffic [--project P --deployment D] [--follow]`` does the same on
  demand; ``--follow`` keeps sending live traffic (drifted after ``--drift-after`` minutes).
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import Any

import numpy as np

LATENCY_BUCKETS = 25


def _training_data(deployment: Any) -> tuple[list[str], np.ndarray, np.ndarray | None]:
    import pandas as pd

    from shipyard.monitoring.reference import input_features
    from shipyard.registry.selectors import dataset_path

    version = deployment.live_version
    dataset = version.training_dataset
    if dataset is None:
        raise ValueError(f"deployment {deployment.name}: the live version has no training dataset")
    frame = pd.read_parquet(dataset_path(dataset))
    names = [n for n in input_features(version) if n in frame.columns]
    label = dataset.label_column or (dataset.schema or {}).get("label") or ""
    x = frame[names].to_numpy(dtype=np.float64)
    y = frame[label].to_numpy() if label and label in frame.columns else None
    return names, x, y


def _drift_columns(x: np.ndarray, count: int) -> list[int]:
    """The most variable features: drifting them is visible in the histograms."""
    std = x.std(axis=0)
    return [int(i) for i in np.argsort(-std)[:count]]


def _apply_drift(rows: np.ndarray, columns: list[int], x: np.ndarray, strength: float) -> np.ndarray:
    rows = rows.copy()
    lo, hi = x.min(axis=0), x.max(axis=0)
    for c in columns:
        shifted = rows[:, c] + strength * (x[:, c].std() or 1.0)
        if np.allclose(x[:, c], np.round(x[:, c])):  # integer-valued (e.g. pixel intensities): stay in range
            shifted = np.clip(np.round(shifted), lo[c], hi[c] + strength * (x[:, c].std() or 1.0))
        rows[:, c] = shifted
    return rows


def _predict(deployment: Any, rows: np.ndarray) -> tuple[list[Any], list[float | None]]:
    from shipyard.registry.selectors import artifact_path
    from shipyard_ml.inference import load, run_batch

    version = deployment.live_version
    model = load(
        artifact_path(version),
        version.format,
        key=f"demo:{version.pk}",
        recipe=version.recipe,
        recipe_config=version.recipe_config,
    )
    outputs: list[Any] = []
    confidence: list[float | None] = []
    for start in range(0, len(rows), 256):
        result = run_batch(model, rows[start : start + 256].tolist())
        outputs.extend(result.outputs)
        confidence.extend(result.confidence or [None] * len(result.outputs))
    return outputs, confidence


def _json_value(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    return v


def write_traffic(
    deployment: Any,
    *,
    rows: np.ndarray,
    times: list[dt.datetime],
    labels: np.ndarray | None,
    feedback_rate: float,
    rng: np.random.Generator,
) -> dict[str, int]:
    """Log predictions (and per-minute rollups) for ``rows`` at ``times``; users label a share of them."""
    from django.db import transaction

    from shipyard.monitoring.feedback import outputs_equal
    from shipyard.monitoring.models import Feedback
    from shipyard.serving.drain import prediction_log_write
    from shipyard.serving.models import PredictionRollup
    from shipyard.serving.protocol import LogRecord

    outputs, confidence = _predict(deployment, rows)
    latencies = rng.gamma(2.0, 1.5, size=len(rows)) + 0.5
    ids = [f"sim-{uuid.uuid4().hex[:12]}-{i}" for i in range(len(rows))]
    with transaction.atomic():
        prediction_log_write(
            [
                LogRecord(
                    t=times[i].timestamp(),
                    deployment_id=deployment.pk,
                    version_id=deployment.live_version_id,
                    request_id=ids[i],
                    inputs=[_json_value(v) for v in rows[i].tolist()],
                    outputs=_json_value(outputs[i]),
                    confidence=confidence[i],
                    latency_ms=float(latencies[i]),
                )
                for i in range(len(rows))
            ]
        )
        from shipyard.serving.models import LATENCY_EDGES_MS

        minutes: dict[dt.datetime, list[int]] = {}
        for i, t in enumerate(times):
            minutes.setdefault(t.replace(second=0, microsecond=0), []).append(i)
        rollups = []
        for minute, idx in minutes.items():
            hist = np.bincount(
                np.searchsorted(LATENCY_EDGES_MS, latencies[idx]), minlength=len(LATENCY_EDGES_MS) + 1
            ).tolist()
            conf = [c for c in (confidence[i] for i in idx) if c is not None]
            rollups.append(
                PredictionRollup(
                    deployment=deployment,
                    version_id=deployment.live_version_id,
                    bucket_start=minute,
                    bucket_seconds=60,
                    count=len(idx),
                    latency_ms_sum=float(latencies[idx].sum()),
                    latency_hist=hist,
                    confidence_sum=float(sum(conf)),
                    confidence_count=len(conf),
                )
            )
        # Simulated minutes the serving drain already counted are left as they are.
        PredictionRollup.objects.bulk_create(rollups, ignore_conflicts=True)
    if labels is None:
        return {"predictions": len(rows), "feedback": 0}
    chosen = np.flatnonzero(rng.random(len(rows)) < feedback_rate)
    # The same rows feedback_submit writes, in bulk (a backfill labels hundreds at once).
    Feedback.objects.bulk_create(
        [
            Feedback(
                deployment=deployment,
                request_id=ids[i],
                version_id=deployment.live_version_id,
                predicted_at=times[i],
                inputs=[_json_value(v) for v in rows[i].tolist()],
                prediction=_json_value(outputs[i]),
                label=_json_value(labels[i]),
                confidence=confidence[i],
                correct=outputs_equal(_json_value(labels[i]), _json_value(outputs[i])),
            )
            for i in chosen
        ],
        ignore_conflicts=True,
    )
    return {"predictions": len(rows), "feedback": len(chosen)}


def simulate(
    deployment: Any,
    *,
    predictions: int = 2400,
    hours: float = 48.0,
    drift_features: int = 3,
    drift_strength: float = 1.5,
    feedback_rate: float = 0.25,
    checkpoints: int = 12,
    seed: int = 0,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Backfill ``hours`` of traffic ending now, drifted in its second half; run the monitors along it."""
    from django.utils import timezone

    from shipyard.monitoring import ingest, monitors, reference

    now = now or timezone.now()
    rng = np.random.default_rng(seed)
    names, x, y = _training_data(deployment)
    pick = rng.integers(0, len(x), size=predictions)
    rows, labels = x[pick], (y[pick] if y is not None else None)
    offsets = np.sort(rng.uniform(0, hours * 3600, size=predictions))
    times = [now - dt.timedelta(seconds=hours * 3600 - float(s)) for s in offsets]
    half = predictions // 2
    columns = _drift_columns(x, drift_features)
    rows[half:] = _apply_drift(rows[half:], columns, x, drift_strength)
    counts = write_traffic(deployment, rows=rows, times=times, labels=labels, feedback_rate=feedback_rate, rng=rng)
    config = reference.config_for(deployment)
    reference.reference_ensure(config)
    ingest.ingest(config)
    for k in range(1, checkpoints + 1):
        monitors.monitors_run(
            deployment_id=deployment.pk,
            now=now - dt.timedelta(hours=hours * (checkpoints - k) / checkpoints),
            force_drift=True,
        )
    return {**counts, "drifted_features": [names[c] for c in columns]}


def follow(
    deployments: list[Any],
    *,
    per_minute: int = 30,
    drift_after_min: float = 10.0,
    feedback_rate: float = 0.25,
    seed: int = 0,
) -> None:
    """Live traffic to every deployment until interrupted; after ``drift_after_min`` minutes it drifts,
    except on the steady projects' deployments."""
    from django.utils import timezone

    rng = np.random.default_rng(seed)
    data = []
    for deployment in deployments:
        _, x, y = _training_data(deployment)
        steady = deployment.project.slug in STEADY_PROJECTS
        data.append((deployment, x, y, [] if steady else _drift_columns(x, min(3, x.shape[1] // 2))))
    started = time.monotonic()
    while True:
        for deployment, x, y, columns in data:
            pick = rng.integers(0, len(x), size=per_minute)
            rows = x[pick]
            if columns and time.monotonic() - started > drift_after_min * 60:
                rows = _apply_drift(rows, columns, x, 1.5)
            now = timezone.now()
            times = [now - dt.timedelta(seconds=float(s)) for s in np.sort(rng.uniform(0, 60, per_minute))[::-1]]
            write_traffic(
                deployment,
                rows=rows,
                times=times,
                labels=y[pick] if y is not None else None,
                feedback_rate=feedback_rate,
                rng=rng,
            )
        time.sleep(60)


#: projects whose demo traffic does not drift
STEADY_PROJECTS = {"digits-classifier"}


def seed(ctx: Any) -> None:
    """Backfill traffic for every demo deployment that has none (idempotent); then queue the digits
    deployment's explanation, replay and fairness jobs (``debug_demo``)."""
    from shipyard.monitoring import debug_demo
    from shipyard.serving.models import Deployment, PredictionLog

    debug_demo.prepare(ctx)

    for deployment in Deployment.objects.filter(project__in=list(ctx.projects.values())).select_related(
        "project", "live_version__training_dataset"
    ):
        if PredictionLog.objects.filter(deployment_id=deployment.pk).exists():
            continue
        try:
            result = simulate(deployment, drift_features=0 if deployment.project.slug in STEADY_PROJECTS else 2)
        except Exception as exc:  # one deployment without data must not stop the seed
            ctx.stdout.write(f"monitoring demo: skipped {deployment.project.slug}/{deployment.name}: {exc}")
            continue
        drift = ", ".join(result["drifted_features"]) or "no feature"
        ctx.stdout.write(
            f"monitoring demo: {result['predictions']} predictions, {result['feedback']} labels, drift in "
            f"{drift} on {deployment.project.slug}/{deployment.name}"
        )
    from shipyard.monitoring.demo_routing import seed_routing

    seed_routing(ctx)
    debug_demo.seed(ctx)
