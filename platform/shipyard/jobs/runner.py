"""Run one job inside a Celery worker: glue between the Job row, the registry and shipyard_ml.

Imported only by the worker task (it imports torch through shipyard_ml, lazily, per kind).
Order for every kind: claim the row -> resolve the device -> load inputs -> compute into a temp
directory -> (on success only) register produced versions with an idempotency key of
``job:<id>:<output>`` -> store the report -> record rubric evidence -> finish the row.
A redelivered job re-runs from the start; registering again returns the version already
registered, so a job never produces a version twice.
"""

from __future__ import annotations

import logging
import os
import site
import sysconfig
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from shipyard.jobs import services
from shipyard.jobs.models import Job, JobKind, JobStatus

logger = logging.getLogger("shipyard.jobs")

PROGRESS_EVERY_S = 0.5
DIGITS_RECIPES = ("digits_mlp", "digits_cnn")


class JobFailed(Exception):
    """The job ran and its verdict is a failure (a gate, a failed check); result holds the report."""

    def __init__(self, message: str, result: dict[str, Any]) -> None:
        super().__init__(message)
        self.result = result


@dataclass
class Outcome:
    result: dict[str, Any]
    passed: bool
    message: str
    evidence: list[tuple[str, bool, str]] = field(default_factory=list)


class Context:
    """progress/should_stop callbacks for shipyard_ml functions, throttled to a DB write every 0.5 s."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self._last_write = 0.0
        self._last_check = time.monotonic()
        self._cancel = False

    def progress(self, percent: float, message: str) -> None:
        now = time.monotonic()
        if now - self._last_write < PROGRESS_EVERY_S and percent < 100.0:
            return
        self._last_write = self._last_check = now
        self._cancel = services.job_progress(job_id=self.job_id, percent=percent, message=message) or self._cancel

    def should_stop(self) -> bool:
        now = time.monotonic()
        if not self._cancel and now - self._last_check >= PROGRESS_EVERY_S:
            self._last_check = now
            self._cancel = services.cancel_requested(job_id=self.job_id)
        return self._cancel

    def stage(self, lo: float, hi: float, label: str = "") -> Callable[[float, str], None]:
        return lambda p, m: self.progress(lo + (hi - lo) * p / 100.0, f"{label}{m}")

    def log(self, line: str) -> None:
        services.job_log(job_id=self.job_id, line=line)


# --------------------------------------------------------------------------- inputs


def model_source(job: Job) -> Any:
    from shipyard.registry.selectors import artifact_path
    from shipyard_ml.loading import ModelSource

    mv = job.model_version
    return ModelSource(
        path=str(artifact_path(mv)), format=mv.format, recipe=mv.recipe, recipe_config=dict(mv.recipe_config or {})
    )


def training_data(job: Job, *, split: bool) -> Any:
    """The job's dataset version, else the version's training dataset, else the bundled dataset its recipe trains on."""
    from shipyard.registry.selectors import dataset_path
    from shipyard_ml.loading import training_data_from_parquet
    from shipyard_ml.recipes import load_sklearn_dataset

    dv = job.dataset_version or job.model_version.training_dataset
    if dv is not None:
        return training_data_from_parquet(
            str(dataset_path(dv)),
            dv.label_column,
            list(dv.slices or []),
            split=split,
            name=f"{dv.dataset.name}:v{dv.number}",
        )
    mv = job.model_version
    bundled = (mv.tags or {}).get("sklearn_dataset") or (mv.params or {}).get("sklearn_dataset")
    if not bundled and mv.recipe in DIGITS_RECIPES:
        bundled = "digits"
    if not bundled:
        raise ValueError("this job needs data: pass dataset_version (the version records no training dataset)")
    return load_sklearn_dataset(str(bundled))


def register(job: Job, ctx: Context, path: Path, *, output: str, fmt: str, model_name: str = "", **fields: Any) -> Any:
    from shipyard.registry.services import model_version_create

    mv = job.model_version
    version = model_version_create(
        project=job.project,
        model_name=model_name or mv.model.name,
        artifact_file_or_path=path,
        format=fmt,
        parent=mv,
        produced_by_job_id=job.pk,
        idempotency_key=f"job:{job.pk}:{output}",
        # a derived version (export, compression) serves the same features as its parent
        training_dataset=mv.training_dataset,
        git_commit=mv.git_commit,
        by=job.created_by,
        **fields,
    )
    services.job_add_produced(job_id=job.pk, version_id=version.pk)
    ctx.log(f"registered {version.model.name} v{version.number} ({fmt}, {version.artifact_size} bytes)")
    return version


def _version_ref(v: Any) -> dict[str, Any]:
    return {"id": v.pk, "model": v.model.name, "number": v.number, "format": v.format, "size_bytes": v.artifact_size}


# --------------------------------------------------------------------------- kinds


def run_training_tests(job: Job, ctx: Context, device: str, work: Path) -> Outcome:
    from shipyard_ml.recipes import resolve_recipe
    from shipyard_ml.training_checks import TrainingTestsParams, run_training_tests

    p = job.params
    mv = job.model_version
    recipe_name = p.get("recipe") or mv.recipe
    config = {**(mv.recipe_config or {}), **(p.get("config") or {})}
    data = training_data(job, split=True)
    ctx.log(
        f"recipe {recipe_name}, data {data.name or 'dataset'}: {len(data.y_train)} train / {len(data.y_eval)} eval rows"
    )
    fields = {k: p[k] for k in TrainingTestsParams.__dataclass_fields__ if k in p}
    report = run_training_tests(
        resolve_recipe(recipe_name, allowlist=settings.SHIPYARD_RECIPE_ALLOWLIST),
        config,
        data,
        TrainingTestsParams(**fields),
        device=device,
        progress=ctx.progress,
        should_stop=ctx.should_stop,
    )
    failed = [c.name for c in report.checks if not c.passed]
    evidence = [(rid, c.passed, f"{c.name.replace('_', ' ')}: {c.summary}") for c in report.checks for rid in c.rubric]
    if any(c.name == "numerical_stability" for c in report.checks):
        c = next(c for c in report.checks if c.name == "numerical_stability")
        evidence.append(("infra-2", c.passed, f"numerical stability: {c.summary}"))
    message = (
        "all training tests passed"
        if not failed
        else f"{len(failed)} of {len(report.checks)} checks failed: {', '.join(failed)}"
    )
    return Outcome(
        {"kind": "training_tests", "recipe": recipe_name, **report.to_dict()}, report.passed, message, evidence
    )


def run_evaluate(job: Job, ctx: Context, device: str, work: Path) -> Outcome:
    from shipyard_ml.evaluate import evaluate
    from shipyard_ml.loading import predictor

    data = training_data(job, split=job.dataset_version is None)
    report = evaluate(
        predictor(model_source(job), device),
        data,
        min_slice_accuracy=job.params.get("min_slice_accuracy"),
        progress=ctx.progress,
        should_stop=ctx.should_stop,
    )
    return Outcome(
        {"kind": "evaluate", "dataset": data.name, **report.to_dict()},
        report.passed,
        report.summary,
        [("model-6", report.passed, f"evaluation on {len(report.slice_metrics)} slices: {report.summary}")],
    )


def _export(job: Job, ctx: Context, device: str, work: Path, fmt: str) -> Outcome:
    from shipyard_ml.export import ExportFailed, export_onnx, export_torchscript
    from shipyard_ml.loading import load_torch_module

    p = job.params
    module = load_torch_module(model_source(job))
    data = training_data(job, split=True)
    out = work / ("model.onnx" if fmt == "onnx" else "model.torchscript.pt")
    try:
        if fmt == "onnx":
            report = export_onnx(
                module,
                out,
                data.X_eval,
                opset=p["opset"],
                tolerance=p["tolerance"],
                latency_repeats=p["latency_repeats"],
                device=device,
                progress=ctx.stage(0, 90),
                should_stop=ctx.should_stop,
            )
        else:
            report = export_torchscript(
                module,
                out,
                data.X_eval,
                tolerance=p["tolerance"],
                latency_repeats=p["latency_repeats"],
                device=device,
                progress=ctx.stage(0, 90),
                should_stop=ctx.should_stop,
            )
    except ExportFailed as exc:
        result = {"kind": job.kind, **(exc.report.to_dict() if exc.report else {})}
        raise JobFailed(str(exc), result) from None
    ctx.progress(92.0, "registering the exported version")
    mv = job.model_version
    version = register(
        job,
        ctx,
        out,
        output=fmt,
        fmt="onnx" if fmt == "onnx" else "torchscript",
        model_name=p.get("output_model", ""),
        signature=report.signature,
        metrics={k: v for k, v in (mv.metrics or {}).items() if isinstance(v, (int, float))},
        params={
            "exported_from": f"{mv.model.name}:v{mv.number}",
            "opset": report.opset,
            "max_abs_diff": report.max_abs_diff,
        },
        recipe="",
        description=f"{fmt} export of {mv.model.name} v{mv.number} by job {job.pk}",
    )
    result = {"kind": job.kind, **report.to_dict(), "version": _version_ref(version)}
    result.pop("path", None)
    title = f"{fmt} export parity: max abs diff {report.max_abs_diff:.2g} (tolerance {report.tolerance:g})"
    return Outcome(result, True, report.summary, [("infra-3", True, title)])


def run_export_onnx(job: Job, ctx: Context, device: str, work: Path) -> Outcome:
    return _export(job, ctx, device, work, "onnx")


def run_export_torchscript(job: Job, ctx: Context, device: str, work: Path) -> Outcome:
    return _export(job, ctx, device, work, "torchscript")


def _gate_evidence(kind: str, report: Any) -> list[tuple[str, bool, str]]:
    return [("infra-4", bool(report.passed), f"{kind} quality gate: {report.summary}")]


def run_quantize(job: Job, ctx: Context, device: str, work: Path) -> Outcome:
    from shipyard_ml.compression import GateFailed, quantize_onnx
    from shipyard_ml.export import export_onnx
    from shipyard_ml.loading import load_torch_module

    p = job.params
    src = model_source(job)
    data = training_data(job, split=True)
    fp32 = Path(src.path)
    if src.format != "onnx":
        ctx.progress(2.0, "exporting the PyTorch version to fp32 ONNX first")
        fp32 = work / "fp32.onnx"
        export_onnx(
            load_torch_module(src),
            fp32,
            data.X_eval,
            opset=p["opset"],
            latency_repeats=1,
            progress=ctx.stage(0, 10, "fp32 export: "),
            should_stop=ctx.should_stop,
        )
    out = work / "model.int8.onnx"
    try:
        report = quantize_onnx(
            fp32,
            out,
            data,
            mode=p["mode"],
            calibration_rows=p["calibration_rows"],
            per_channel=p["per_channel"],
            max_metric_drop=p["max_metric_drop"],
            latency_repeats=p["latency_repeats"],
            device=device,
            progress=ctx.stage(10, 90),
            should_stop=ctx.should_stop,
        )
    except GateFailed as exc:
        raise JobFailed(str(exc), {"kind": "quantize", **exc.report.to_dict()}) from None
    mv = job.model_version
    version = register(
        job,
        ctx,
        out,
        output=f"int8-{p['mode']}",
        fmt="onnx",
        model_name=p.get("output_model", ""),
        metrics={"accuracy": report.after.metrics["accuracy"], "macro_f1": report.after.metrics["macro_f1"]},
        slice_metrics={
            k: {m: v for m, v in d.items() if m != "n"}
            for k, d in report.after.slice_metrics.items()
            if "accuracy" in d
        },
        params={"quantized_from": f"{mv.model.name}:v{mv.number}", "mode": p["mode"]},
        description=f"int8 ({p['mode']}) quantization of {mv.model.name} v{mv.number} by job {job.pk}",
    )
    result = {"kind": "quantize", **report.to_dict(), "version": _version_ref(version)}
    result.pop("path", None)
    return Outcome(result, True, report.summary, _gate_evidence("quantize", report))


def run_prune(job: Job, ctx: Context, device: str, work: Path) -> Outcome:
    from shipyard_ml.compression import GateFailed, prune_magnitude
    from shipyard_ml.loading import load_torch_module

    p = job.params
    src = model_source(job)
    data = training_data(job, split=True)
    out = work / "model.pruned.pt"
    try:
        _, report = prune_magnitude(
            load_torch_module(src),
            data,
            out,
            target_sparsity=float(p["target_sparsity"]),
            fine_tune_epochs=p["fine_tune_epochs"],
            fine_tune_config=src.recipe_config,
            seed=p["seed"],
            max_metric_drop=p["max_metric_drop"],
            latency_repeats=p["latency_repeats"],
            device=device,
            progress=ctx.stage(0, 90),
            should_stop=ctx.should_stop,
        )
    except GateFailed as exc:
        raise JobFailed(str(exc), {"kind": "prune", **exc.report.to_dict()}) from None
    mv = job.model_version
    version = register(
        job,
        ctx,
        out,
        output="pruned",
        fmt="state_dict",
        model_name=p.get("output_model", ""),
        recipe=mv.recipe,
        recipe_config=dict(mv.recipe_config or {}),
        signature=dict(mv.signature or {}),
        metrics={
            "accuracy": report.after.metrics["accuracy"],
            "macro_f1": report.after.metrics["macro_f1"],
            "sparsity": report.after.extra["sparsity"],
        },
        params={
            "pruned_from": f"{mv.model.name}:v{mv.number}",
            "target_sparsity": p["target_sparsity"],
            "fine_tune_epochs": p["fine_tune_epochs"],
        },
        description=f"magnitude pruning of {mv.model.name} v{mv.number} to {p['target_sparsity']} sparsity by job {job.pk}",
    )
    result = {"kind": "prune", **report.to_dict(), "version": _version_ref(version)}
    result.pop("path", None)
    return Outcome(result, True, report.summary, _gate_evidence("prune", report))


def run_distill(job: Job, ctx: Context, device: str, work: Path) -> Outcome:
    from shipyard_ml.distill import distill
    from shipyard_ml.loading import load_torch_module, predictor, save_state_dict
    from shipyard_ml.recipes import count_parameters

    p = job.params
    src = model_source(job)
    data = training_data(job, split=True)
    teacher_params = count_parameters(load_torch_module(src)) if src.format != "onnx" else None
    student, report = distill(
        predictor(src, device),
        teacher_params,
        data,
        student_recipe=p["student_recipe"],
        student_config=p["student_config"],
        temperature=float(p["temperature"]),
        alpha=float(p["alpha"]),
        seed=p["seed"],
        max_metric_drop=float(p["max_metric_drop"]),
        latency_repeats=p["latency_repeats"],
        device=device,
        progress=ctx.stage(0, 90),
        should_stop=ctx.should_stop,
    )
    if not report.passed:
        raise JobFailed(f"gate failed: {report.summary}", {"kind": "distill", **report.to_dict()})
    out = save_state_dict(student, work / "student.pt")
    mv = job.model_version
    version = register(
        job,
        ctx,
        out,
        output="student",
        fmt="state_dict",
        model_name=p.get("output_model") or f"{mv.model.name}-student",
        recipe=p["student_recipe"],
        recipe_config=report.student_config,
        metrics={"accuracy": report.student["metrics"]["accuracy"], "macro_f1": report.student["metrics"]["macro_f1"]},
        params={
            "distilled_from": f"{mv.model.name}:v{mv.number}",
            "temperature": report.temperature,
            "alpha": report.alpha,
        },
        description=f"student distilled from {mv.model.name} v{mv.number} by job {job.pk}",
    )
    return Outcome(
        {"kind": "distill", **report.to_dict(), "version": _version_ref(version)},
        True,
        report.summary,
        _gate_evidence("distill", report),
    )


HANDLERS: dict[str, Callable[[Job, Context, str, Path], Outcome]] = {
    JobKind.TRAINING_TESTS: run_training_tests,
    JobKind.EVALUATE: run_evaluate,
    JobKind.EXPORT_ONNX: run_export_onnx,
    JobKind.EXPORT_TORCHSCRIPT: run_export_torchscript,
    JobKind.QUANTIZE: run_quantize,
    JobKind.PRUNE: run_prune,
    JobKind.DISTILL: run_distill,
}


# --------------------------------------------------------------------------- entry point


def _host_prefixes() -> list[tuple[str, str]]:
    """(absolute directory, what it becomes) for the directories a traceback names, longest first."""
    places: dict[str, str] = {}
    for key in ("purelib", "platlib", "stdlib", "platstdlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            places[path] = ""
    for path in (*site.getsitepackages(), site.getusersitepackages()):
        places[path] = ""
    places[str(settings.ARTIFACT_ROOT)] = "artifacts"
    places[tempfile.gettempdir()] = "tmp"
    places[str(settings.REPO_ROOT)] = ""
    places[str(Path.home())] = "~"
    found = [(os.path.realpath(p), r) for p, r in places.items() if p and p != os.sep]
    found += [(p, r) for p, r in places.items() if p and p != os.sep]
    return sorted(set(found), key=lambda item: len(item[0]), reverse=True)


def host_relative(text: str) -> str:
    """``text`` (a traceback, an error message) with the host's absolute directories made relative.

    The team keeps the traceback; the layout of the worker's machine (where the code, the Python
    installation, the artifacts and temporary files live) stays out of it.
    """
    for prefix, replacement in _host_prefixes():
        text = text.replace(prefix + os.sep, f"{replacement}/" if replacement else "")
    return text


def live_hosts() -> set[str]:
    from shipyard.core import heartbeat
    from shipyard.core.redis import client

    try:
        return {w["hostname"] for w in heartbeat.live_workers(client())}
    except Exception:  # Redis unreachable: treat every other host as alive (never steal a job by mistake)
        logger.warning("cannot read worker heartbeats", exc_info=True)
        return {"*"}


def run(job_id: int, hostname: str) -> str:
    from shipyard_ml.devices import DeviceUnavailable, resolve
    from shipyard_ml.recipes import Cancelled

    me = f"{hostname}:{os.getpid()}"
    hosts = live_hosts()
    job = services.job_claim(job_id=job_id, worker=me, live_hosts=hosts)
    if job is None:
        logger.info("job %s: not claimed by %s (finished, cancelled or running elsewhere)", job_id, me)
        return "skipped"
    job = Job.objects.select_related(
        "project",
        "model_version__model",
        "dataset_version__dataset",
        "model_version__training_dataset__dataset",
        "created_by",
    ).get(pk=job_id)
    ctx = Context(job_id)
    try:
        try:
            device = resolve(job.device)
        except DeviceUnavailable as exc:
            raise JobFailed(str(exc), {"kind": job.kind, "device": job.device}) from None
        Job.objects.filter(pk=job_id).update(device_used=device)
        ctx.log(f"device {device} (asked: {job.device}); queue {job.queue}")
        with tempfile.TemporaryDirectory(prefix=f"shipyard-job-{job_id}-") as work:
            outcome = HANDLERS[job.kind](job, ctx, device, Path(work))
    except Cancelled as exc:
        services.job_finish(job_id=job_id, status=JobStatus.CANCELLED, message=f"cancelled: {exc}")
        return "cancelled"
    except JobFailed as exc:
        services.job_finish(
            job_id=job_id, status=JobStatus.FAILED, result=exc.result, passed=False, message=host_relative(str(exc))
        )
        _record_failure_evidence(job, exc.result)
        return "failed"
    except SoftTimeLimitExceeded:
        services.job_finish(
            job_id=job_id,
            status=JobStatus.FAILED,
            passed=False,
            message=f"time limit of {job.time_limit_s} s exceeded",
            error=host_relative(traceback.format_exc()),
        )
        return "failed"
    except Exception as exc:
        logger.exception("job %s failed", job_id)
        services.job_finish(
            job_id=job_id,
            status=JobStatus.FAILED,
            passed=False,
            message=host_relative(f"{type(exc).__name__}: {exc}")[:500],
            error=host_relative(traceback.format_exc()),
        )
        return "failed"
    status = JobStatus.SUCCEEDED if outcome.passed else JobStatus.FAILED
    services.job_finish(
        job_id=job_id, status=status, result=outcome.result, passed=outcome.passed, message=outcome.message
    )
    job.refresh_from_db()
    services.evidence_for(job, outcome.evidence)
    return str(status)


def _record_failure_evidence(job: Job, result: dict[str, Any]) -> None:
    """A failed gate or parity check is evidence too (it shows the check runs and catches problems)."""
    if job.kind in (JobKind.QUANTIZE, JobKind.PRUNE, JobKind.DISTILL) and result.get("summary"):
        services.evidence_for(job, [("infra-4", False, f"{job.kind} quality gate: {result['summary']}")])
    elif job.kind in (JobKind.EXPORT_ONNX, JobKind.EXPORT_TORCHSCRIPT) and "max_abs_diff" in result:
        services.evidence_for(
            job, [("infra-3", False, f"export parity failed: max abs diff {result['max_abs_diff']:.3g}")]
        )
