"""Handlers of the debugging job kinds: ``explain`` (per-feature attributions) and ``replay`` (a logged
request re-run on another version). Both run on the worker queues with the kind's time limit.

Both are evidence for rubric infra-5 ("the model is debuggable"), through the job evidence every
kind records: an explanation passes when its completeness check holds, a replay when it ran.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from shipyard.jobs.context import Context, JobFailed, Outcome, model_source, training_data
from shipyard.jobs.models import Job
from shipyard_ml.evidence_reports import ReplayRow
from shipyard_ml.job_params import ExplainParams, ReplayParams
from shipyard_ml.reports import ExplainJobReport, NoReport, ReplayJobReport, job_report


def _features(job: Job, width: int, data: Any) -> list[str]:
    mv = job.model_version
    names = [str(n) for n in (mv.signature or {}).get("features") or []]
    if len(names) == width:
        return names
    if data is not None and len(data.feature_names) == width:
        return list(data.feature_names)
    return [f"x{i}" for i in range(width)]


def _class_names(job: Job, data: Any) -> list[str]:
    labels = (job.model_version.signature or {}).get("classes") or []
    if labels:
        return [str(c) for c in labels]
    return list(data.class_names) if data is not None else []


def run_explain(job: Job, ctx: Context, device: str, work: Path) -> Outcome:
    from shipyard_ml.explain import ExplainError, explain

    p = ExplainParams.model_validate(job.params)
    try:
        x = np.asarray(p.rows, dtype=np.float32)
    except (TypeError, ValueError):
        raise JobFailed(
            "explanations need numeric rows (encode categories as numbers first)", NoReport(kind=job.kind).to_dict()
        ) from None
    try:
        data = training_data(job, split=True)
    except ValueError as exc:
        ctx.log(f"no training data for a background: {exc}")
        data = None
    background = data.X_train if data is not None else None
    ctx.progress(10.0, "explaining")
    try:
        report = explain(
            source=model_source(job),
            fmt=job.model_version.format,
            x=x,
            feature_names=_features(job, x.shape[1], data),
            class_names=_class_names(job, data),
            background=background,
            method=p.method,
            baseline=p.baseline,
            tolerance=p.tolerance,
            background_size=p.background_size,
            nsamples=p.nsamples,
            seed=p.seed,
        )
    except ExplainError as exc:
        raise JobFailed(f"cannot explain this version: {exc}", NoReport(kind=job.kind).to_dict()) from None
    for row, rid in zip(report.rows, p.request_ids, strict=False):
        row.request_id = rid
    if report.fallback_reason:
        ctx.log(report.fallback_reason)
    result = job_report(ExplainJobReport, report, version=job.model_version.number)
    evidence = [("infra-5", report.completeness_passed, f"explanation: {report.summary}")]
    return Outcome(result.to_dict(), report.completeness_passed, report.summary, evidence)


def run_replay(job: Job, ctx: Context, device: str, work: Path) -> Outcome:
    from shipyard_ml.explain import replay
    from shipyard_ml.inference import InferenceError

    p = ReplayParams.model_validate(job.params)
    ctx.progress(10.0, f"replaying {len(p.requests)} request(s)")
    try:
        batch = replay(model_source(job), job.model_version.format, [r.inputs for r in p.requests])
    except InferenceError as exc:
        raise JobFailed(f"the version cannot run these requests: {exc}", NoReport(kind=job.kind).to_dict()) from None
    rows = []
    for i, r in enumerate(p.requests):
        out = batch.outputs[i]
        rows.append(
            ReplayRow(
                request_id=r.request_id,
                inputs=list(r.inputs),
                original_version=r.version,
                original_output=r.output,
                original_confidence=r.confidence,
                replay_output=out,
                replay_confidence=batch.confidence[i] if batch.confidence else None,
                replay_probabilities=batch.probabilities[i] if batch.probabilities else None,
                agrees=_same(out, r.output),
            )
        )
    agreement = sum(r.agrees for r in rows) / len(rows)
    number = job.model_version.number
    summary = f"{len(rows)} request(s) replayed on v{number}: {agreement:.0%} give the same output"
    report = ReplayJobReport(version=number, rows=rows, agreement=agreement, summary=summary)
    return Outcome(report.to_dict(), True, summary, [("infra-5", True, f"replay: {summary}")])


def _same(a: Any, b: Any) -> bool:
    import math

    def scalar(v: Any) -> Any:
        while isinstance(v, list) and len(v) == 1:
            v = v[0]
        return v

    a, b = scalar(a), scalar(b)
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-6, abs_tol=1e-9)
    return bool(a == b)
