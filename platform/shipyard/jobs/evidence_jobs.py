"""Handlers of the jobs that measure rubric tests: ``feature_importance`` (data-2, data-3), ``tune``
(model-3) and ``staleness_impact`` (model-4).

Each reads what it needs, fails with a message naming what is missing, calls shipyard_ml (lazily:
it imports torch), and returns its typed report with the evidence it observed.
"""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from shipyard.jobs.context import Context, JobFailed, Outcome, model_source, register, version_ref
from shipyard.jobs.models import Job
from shipyard_ml.job_params import FeatureImportanceParams, StalenessImpactParams, TuneParams
from shipyard_ml.reports import (
    FeatureImportanceJobReport,
    NoReport,
    StalenessJobReport,
    TuneJobReport,
    job_report,
)


def _fail(job: Job, message: str) -> JobFailed:
    return JobFailed(message, NoReport(kind=job.kind).to_dict())


def _dataset_data(job: Job, *, split: bool) -> tuple[Any, Any]:
    """(dataset version, its rows as TrainingData) for the job's dataset version."""
    from shipyard.registry.selectors import dataset_path
    from shipyard_ml.loading import training_data_from_parquet

    dv = job.dataset_version
    assert dv is not None
    data = training_data_from_parquet(
        str(dataset_path(dv)),
        dv.label_column,
        list(dv.slices or []),
        split=split,
        name=f"{dv.dataset.name}:v{dv.number}",
    )
    return dv, data


def _check_features(job: Job, data: Any) -> None:
    """The version's signature, when it names its features, must match the dataset's columns."""
    wanted = [str(f) for f in (job.model_version.signature or {}).get("features", []) or []]
    if wanted and wanted != list(data.feature_names):
        missing = [f for f in wanted if f not in data.feature_names]
        raise _fail(
            job,
            "the dataset's columns do not match the version's signature"
            + (f": missing {', '.join(missing[:10])}" if missing else " (same names, another order)"),
        )


# --------------------------------------------------------------------------- data-2, data-3


def run_feature_importance(job: Job, ctx: Context, device: str, work: Path) -> Outcome:
    from shipyard.registry.selectors import dataset_path
    from shipyard_ml.importance import feature_importance
    from shipyard_ml.loading import predictor, training_data_from_parquet
    from shipyard_ml.recipes import call_recipe, resolve_recipe

    p = FeatureImportanceParams.model_validate(job.params)
    mv = job.model_version
    dv = job.dataset_version or mv.training_dataset
    if dv is None:
        raise _fail(
            job,
            "feature_importance needs an evaluation dataset: pass dataset_version "
            "(the version records no training dataset)",
        )
    # the job's own dataset is all evaluation rows; the training dataset's evaluation split otherwise;
    # the ablation retrains, so it needs the split either way
    split = p.ablation or job.dataset_version is None
    data = training_data_from_parquet(
        str(dataset_path(dv)),
        dv.label_column,
        list(dv.slices or []),
        split=split,
        name=f"{dv.dataset.name}:v{dv.number}",
    )
    _check_features(job, data)
    retrain = None
    if p.ablation:
        if not mv.recipe:
            raise _fail(job, "the ablation needs a version with a training recipe (the version has none)")
        if len(data.feature_names) > p.ablation_max_features:
            raise _fail(
                job,
                f"the ablation retrains once per feature: {len(data.feature_names)} features exceed "
                f"params.ablation_max_features ({p.ablation_max_features})",
            )
        recipe = resolve_recipe(mv.recipe, allowlist=settings.SHIPYARD_RECIPE_ALLOWLIST)
        config = dict(mv.recipe_config or {})

        def retrain(rows: Any) -> float:
            from shipyard_ml.metrics import predict_logits

            model, _ = call_recipe(recipe, config, p.seed, rows, device=device, should_stop=ctx.should_stop)
            return float((predict_logits(model, rows.X_eval, device).argmax(1) == rows.y_eval).mean())

    ctx.log(f"{len(data.feature_names)} features, {len(data.y_eval)} evaluation rows of {data.name}")
    schema = {str(f.get("name")): f for f in (dv.schema or {}).get("features", [])}
    try:
        report = feature_importance(
            predictor(model_source(job), device),
            data,
            schema_features=schema,
            n_repeats=p.n_repeats,
            confidence=p.confidence,
            min_importance=p.min_importance,
            exempt=list(p.exempt),
            cost_key=p.cost_key,
            min_importance_per_cost=p.min_importance_per_cost,
            seed=p.seed,
            retrain=retrain,
            progress=ctx.stage(0, 98),
            should_stop=ctx.should_stop,
        )
    except ValueError as exc:
        raise _fail(job, str(exc)) from None
    result = job_report(FeatureImportanceJobReport, report, dataset=data.name)
    evidence = [("data-2", report.passed, f"Feature importance of v{mv.number} on {data.name}: {report.summary}")]
    passed = report.passed
    message = report.summary
    if report.cost is not None:
        evidence.append(("data-3", report.cost.passed, f"Importance per unit of cost: {report.cost.summary}"))
        passed = passed and report.cost.passed
        message = f"{message}; {report.cost.summary}"
    detail = {
        "dataset": data.name,
        "min_importance": p.min_importance,
        "flagged": report.flagged,
        "exempt": report.exempt,
        "cost": report.cost.to_dict() if report.cost else None,
    }
    return Outcome(result.to_dict(), passed, message, evidence, detail)


# --------------------------------------------------------------------------- model-3


def run_tune(job: Job, ctx: Context, device: str, work: Path) -> Outcome:
    from shipyard.jobs.context import training_data
    from shipyard_ml.loading import save_state_dict
    from shipyard_ml.recipes import resolve_recipe
    from shipyard_ml.tune import SearchSpaceError, tune

    p = TuneParams.model_validate(job.params)
    mv = job.model_version
    recipe_name = p.recipe or mv.recipe
    recipe = resolve_recipe(recipe_name, allowlist=settings.SHIPYARD_RECIPE_ALLOWLIST)
    data = training_data(job, split=True)
    config = {**(mv.recipe_config or {}), **p.config}
    ctx.log(f"study over {recipe_name}: {p.n_trials} trials, {len(data.y_train)} train / {len(data.y_eval)} eval rows")
    try:
        best, report = tune(
            recipe,
            recipe_name,
            config,
            data,
            n_trials=p.n_trials,
            seed=p.seed,
            pruning=p.pruning,
            top_k=p.top_k,
            device=device,
            progress=ctx.stage(0, 95),
            should_stop=ctx.should_stop,
        )
    except SearchSpaceError as exc:
        raise _fail(job, str(exc)) from None
    version = None
    if best is not None and p.register_best:
        ctx.progress(96.0, "registering the best trial")
        version = register(
            job,
            ctx,
            save_state_dict(best, work / "best.pt"),
            output="best-trial",
            fmt="state_dict",
            model_name=p.output_model,
            recipe=recipe_name,
            recipe_config=report.best_config,
            signature=dict(mv.signature or {}),
            metrics={"accuracy": float(report.best_value or 0.0)},
            params={
                "tuned_by_job": job.pk,
                "trial": report.best_trial,
                "study_trials": report.n_trials,
                "tuned_from": f"{mv.model.name}:v{mv.number}",
            },
            description=f"best trial ({report.best_trial}) of tune job {job.pk} on {mv.model.name} v{mv.number}",
        )
    result = job_report(TuneJobReport, report, version=version_ref(version) if version else None)
    tuned = bool((mv.params or {}).get("tuned_by_job"))
    passed = report.passed or tuned
    title = f"Tuning study of {mv.model.name} v{mv.number}: {report.summary}"
    if tuned:
        title = f"{mv.model.name} v{mv.number} comes from tune job {mv.params['tuned_by_job']}; {report.summary}"
    if version is not None:
        title += f"; best trial registered as v{version.number}"
    detail = {
        "trials": report.n_trials,
        "completed": report.completed,
        "pruned": report.pruned,
        "best_value": report.best_value,
        "reference_value": report.reference_value,
        "reference_rank": report.reference_rank,
        "top_k": report.top_k,
        "registered": version.number if version else None,
    }
    return Outcome(result.to_dict(), passed, report.summary, [("model-3", passed, title)], detail)


# --------------------------------------------------------------------------- model-4


def _date(value: Any, fallback: datetime) -> tuple[datetime, bool]:
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None:
        return fallback, False
    return (parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, dt.UTC)), True


def run_staleness_impact(job: Job, ctx: Context, device: str, work: Path) -> Outcome:
    from shipyard.registry.models import ModelVersion
    from shipyard.registry.selectors import artifact_path
    from shipyard_ml.loading import ModelSource, predictor
    from shipyard_ml.staleness import DatedVersion, TooFewVersions, staleness_impact

    p = StalenessImpactParams.model_validate(job.params)
    mv = job.model_version
    if job.dataset_version is None:
        raise _fail(
            job,
            "staleness_impact needs recent labelled data: pass dataset_version (a newer dataset version, "
            "such as the flywheel's export of feedback)",
        )
    dv, data = _dataset_data(job, split=False)
    _check_features(job, data)
    data_date, _ = _date((dv.tags or {}).get("collected_at"), dv.created_at)
    rows = ModelVersion.objects.filter(model=mv.model)
    rows = rows.filter(number__in=[*p.versions, mv.number]) if p.versions else rows
    chosen = list(rows.order_by("-number")[: max(p.max_versions, len(p.versions) + 1)])
    if mv.pk not in {v.pk for v in chosen}:
        chosen.append(mv)
    versions: list[DatedVersion] = []
    skipped: list[str] = []
    for v in chosen:
        trained_at, declared = _date((v.params or {}).get("trained_at"), v.created_at)
        source = ModelSource(
            path=str(artifact_path(v)), format=v.format, recipe=v.recipe, recipe_config=dict(v.recipe_config or {})
        )
        try:
            predict = predictor(source, device)
        except (ValueError, RuntimeError) as exc:  # ModelLoadError is a ValueError
            skipped.append(f"v{v.number}: cannot be loaded ({str(exc)[:120]})")
            continue
        versions.append(
            DatedVersion(
                version=v.number,
                trained_at=trained_at,
                date_source="declared" if declared else "registered",
                predict=predict,
                live=v.pk == mv.pk,
            )
        )
    ctx.log(f"{len(versions)} dated versions of {mv.model.name} on {len(data.y_eval)} rows of {data.name}")
    try:
        report = staleness_impact(
            versions,
            data,
            data_date=data_date,
            now=timezone.now(),
            fresh_days=p.fresh_days,
            tolerance=p.tolerance,
            retrain_interval_days=p.retrain_interval_days,
            progress=ctx.stage(0, 98),
            should_stop=ctx.should_stop,
        )
    except TooFewVersions as exc:
        raise _fail(job, f"{exc} of {mv.model.name}" + (f" ({'; '.join(skipped)})" if skipped else "")) from None
    result = job_report(StalenessJobReport, report, dataset=data.name, skipped=skipped)
    title = f"Staleness of {mv.model.name} on {data.name}: {report.summary}"
    detail = {
        "dataset": data.name,
        "loss_per_week": report.loss_per_week,
        "retrain_interval_days": report.retrain_interval_days,
        "expected_loss": report.expected_loss,
        "tolerance": report.tolerance,
        "fresh": report.fresh,
        "points": [{"version": pt.version, "age_days": pt.age_days, "accuracy": pt.accuracy} for pt in report.points],
    }
    return Outcome(result.to_dict(), report.passed, report.summary, [("model-4", report.passed, title)], detail)
