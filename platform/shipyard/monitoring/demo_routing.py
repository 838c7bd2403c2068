"""Demo of the deployment features beyond a fixed split, on the digits project: a bandit between two
digits versions, an ensemble, a shadow and an outlier detector that flags the odd scribble. Every output is the real model's
answer on the digits rows (the offline path, as ``demo._predict``); request times are spread
over the last hour. Called by ``demo.seed``; idempotent (a deployment already set up is left)."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import numpy as np

PROJECT = "digits-classifier"
MODEL = "digits-mlp"


def _answers(version: Any, rows: np.ndarray) -> tuple[list[Any], float]:
    """The version's outputs on ``rows`` and its mean time per row (ms), run offline."""
    from shipyard.registry.selectors import artifact_path
    from shipyard_ml.inference import load, run_batch

    model = load(
        artifact_path(version), version.format, key=f"demo:{version.pk}", recipe=version.recipe,
        recipe_config=version.recipe_config,
    )  # fmt: skip
    started = time.perf_counter()
    outputs = [run_batch(model, [row]).outputs[0] for row in rows.tolist()]
    return outputs, (time.perf_counter() - started) * 1000 / max(1, len(rows))


def _log(
    deployment: Any,
    version: Any,
    ids: list[str],
    rows: np.ndarray,
    outputs: list[Any],
    times: list[dt.datetime],
    **extra: Any,
) -> None:
    from shipyard.serving.models import PredictionLog

    PredictionLog.objects.bulk_create(
        [
            PredictionLog(
                created_at=times[i], deployment=deployment, version=version, request_id=ids[i],
                inputs=rows[i].tolist(), outputs=outputs[i], latency_ms=2.0,
                **{k: v[i] for k, v in extra.items()},
            )
            for i in range(len(ids))
        ]
    )  # fmt: skip


def seed_routing(ctx: Any) -> None:
    from shipyard.registry.models import ModelVersion
    from shipyard.serving.models import Deployment

    project = ctx.projects.get(PROJECT)
    digits = Deployment.objects.filter(project=project, name="digits").select_related("live_version").first()
    if project is None or digits is None:
        return
    versions = list(
        ModelVersion.objects.filter(model=digits.model, training_dataset__isnull=False)
        .exclude(format="ensemble")
        .order_by("number")
    )
    if len(versions) < 2:
        ctx.stdout.write("serving demo: fewer than two digits versions; no bandit, ensemble or shadow")
        return
    a, b = versions[-1], versions[-2]
    from shipyard.monitoring.demo import _training_data

    _, x, y = _training_data(digits)
    rng = np.random.default_rng(3)
    pick = rng.integers(0, len(x), size=400)
    rows, labels = x[pick], y[pick] if y is not None else np.zeros(len(pick))
    answers = {a.pk: _answers(a, rows), b.pk: _answers(b, rows)}
    now = dt.datetime.now(tz=dt.UTC)
    times = [now - dt.timedelta(seconds=float(s)) for s in np.sort(rng.uniform(60, 3600, size=len(rows)))[::-1]]
    for step in (_outliers, _shadow, _bandit, _ensemble):
        try:
            step(ctx, digits, a, b, rows, labels, answers, times)
        except Exception as exc:  # one feature without its data must not stop the seed
            ctx.stdout.write(f"serving demo: {step.__name__.strip('_')} skipped: {exc}")


def _outliers(ctx: Any, digits: Any, a: Any, b: Any, rows: np.ndarray, labels: Any, answers: Any, times: Any) -> None:
    """A detector on `digits` and an hour of traffic with three scribbles in 120 rows: they are flagged,
    and the rate stays under the alert limit (the digits team's deployment is healthy)."""
    from shipyard.monitoring.monitors import monitors_run
    from shipyard.registry.storage import store
    from shipyard.serving.models import OutlierDetector, PredictionLog
    from shipyard.serving.outlier_service import detector_fit
    from shipyard_ml.outliers import Detector

    version = digits.live_version
    if OutlierDetector.objects.filter(deployment=digits).exists():
        return
    detector = OutlierDetector.objects.create(deployment=digits, version=version)
    if detector_fit(detector_id=detector.pk) != "ready":
        return
    detector.refresh_from_db()
    fitted = Detector.load(store().local_path(detector.artifact_key))
    batch = rows[:120].copy()
    lo, hi = rows.min(axis=0), rows.max(axis=0)
    batch[::40] = np.random.default_rng(5).uniform(lo, hi, size=batch[::40].shape).round()  # scribbles
    scores = fitted.score(batch)
    outputs, _ = _answers(version, batch)
    ids = [f"demo-outlier-{detector.pk}-{i}" for i in range(len(batch))]
    PredictionLog.objects.filter(request_id__startswith=f"demo-outlier-{detector.pk}-").delete()
    _log(
        digits, version, ids, batch, outputs, times[-len(batch):],
        outlier_score=[round(float(s), 4) for s in scores], is_outlier=[bool(s > fitted.threshold) for s in scores],
    )  # fmt: skip
    monitors_run(deployment_id=digits.pk)
    ctx.stdout.write(
        f"serving demo: outlier detector on digits, {int((scores > fitted.threshold).sum())} outliers in 120"
    )


def _shadow(ctx: Any, digits: Any, a: Any, b: Any, rows: np.ndarray, labels: Any, answers: Any, times: Any) -> None:
    """v(b) shadows `digits`: both answers on 400 rows, with each one's own time per row."""
    from shipyard.serving.models import Deployment, ShadowLog
    from shipyard.serving.shadow_service import shadow_start

    if digits.shadow_version_id is not None:
        return
    live, other = (a, b) if digits.live_version_id == a.pk else (b, a)
    d = shadow_start(
        deployment=digits, version=other, share=0.5, by=ctx.user, reason="demo: does the other version agree?"
    )
    Deployment.objects.filter(pk=d.pk).update(shadow_started_at=times[0] - dt.timedelta(seconds=1))
    live_out, live_ms = answers[live.pk]
    shadow_out, shadow_ms = answers[other.pk]
    ShadowLog.objects.bulk_create(
        ShadowLog(
            created_at=times[i], deployment=d, live_version=live, shadow_version=other, request_id=f"demo-shadow-{i}",
            live_output=live_out[i], shadow_output=shadow_out[i], agree=live_out[i] == shadow_out[i],
            live_ms=round(live_ms + 1.5, 3), shadow_ms=round(shadow_ms + 3.0, 3),
        )
        for i in range(len(rows))
    )  # fmt: skip
    ctx.stdout.write(f"serving demo: v{other.number} shadows digits")


def _bandit(ctx: Any, digits: Any, a: Any, b: Any, rows: np.ndarray, labels: Any, answers: Any, times: Any) -> None:
    """`digits-bandit`: Thompson sampling between the two versions, each request rewarded at once."""
    from django.db.models import F

    from shipyard.monitoring.models import Feedback
    from shipyard.serving import bandit, lifecycle
    from shipyard.serving.bandit_service import bandit_start
    from shipyard.serving.dataplane import serving_redis
    from shipyard.serving.models import Deployment, PredictionRollup
    from shipyard.serving.selectors import bandit_config

    if Deployment.objects.filter(project=digits.project, name="digits-bandit").exists():
        return
    d = lifecycle.deployment_create(
        project=digits.project, name="digits-bandit", model=digits.model, version=a, by=ctx.user, reason="demo bandit"
    )
    d = bandit_start(deployment=d, versions=[a, b], min_share=0.05, by=ctx.user, reason="demo: which version wins")
    Deployment.objects.filter(pk=d.pk).update(bandit_started_at=times[0] - dt.timedelta(seconds=1))
    d = Deployment.objects.prefetch_related("bandit_arms").get(pk=d.pk)
    config = bandit_config(d)
    assert config is not None
    r = serving_redis()
    per_minute: dict[tuple[dt.datetime, int], int] = {}
    feedback = []
    served: dict[int, list[int]] = {a.pk: [], b.pk: []}
    for i in range(len(rows)):
        arm = bandit.pick_sync(r, d.pk, config, None)  # the real policy on the real shared state
        out = answers[arm][0][i]
        correct = bool(out == int(labels[i]))
        bandit.reward_sync(r, d.pk, config.epoch, arm, correct)
        minute = times[i].replace(second=0, microsecond=0)
        per_minute[(minute, arm)] = per_minute.get((minute, arm), 0) + 1
        rid = f"demo-bandit-{i}"
        served[arm].append(i)
        feedback.append(
            Feedback(
                deployment=d, request_id=rid, version_id=arm, predicted_at=times[i], inputs=rows[i].tolist(),
                prediction=out, label=int(labels[i]), correct=correct,
            )
        )  # fmt: skip
    for version in (a, b):
        idx = served[version.pk]
        _log(
            d, version, [f"demo-bandit-{i}" for i in idx], rows[idx], [answers[version.pk][0][i] for i in idx],
            [times[i] for i in idx],
        )  # fmt: skip
    Feedback.objects.bulk_create(feedback)
    Feedback.objects.filter(deployment=d).update(created_at=F("predicted_at") + dt.timedelta(seconds=2))
    PredictionRollup.objects.bulk_create(
        [
            PredictionRollup(deployment=d, version_id=v, bucket_start=m, count=n, latency_hist=[])
            for (m, v), n in per_minute.items()
        ],
        ignore_conflicts=True,
    )
    ctx.stdout.write("serving demo: digits-bandit routes between two versions by Thompson sampling")


def _ensemble(ctx: Any, digits: Any, a: Any, b: Any, rows: np.ndarray, labels: Any, answers: Any, times: Any) -> None:
    """`digits-ensemble`: the mean of both versions' probabilities, as one version."""
    from shipyard.serving import lifecycle
    from shipyard.serving.ensembles import ensemble_version_create
    from shipyard.serving.models import Deployment

    if Deployment.objects.filter(project=digits.project, name="digits-ensemble").exists():
        return
    accuracy = [float((np.asarray(answers[v.pk][0]) == labels).mean()) for v in (a, b)]
    version = ensemble_version_create(
        model=digits.model, members=[a, b], combine="mean", metrics={"accuracy": max(accuracy)}, by=ctx.user,
    )  # fmt: skip
    lifecycle.deployment_create(
        project=digits.project, name="digits-ensemble", model=digits.model, version=version, by=ctx.user,
        reason="demo ensemble",
    )  # fmt: skip
    ctx.stdout.write(f"serving demo: digits-ensemble serves v{version.number}, the mean of v{a.number} and v{b.number}")
