"""One handler per job kind: read the validated params (``shipyard_ml.job_params``), call shipyard_ml,
register what it produced, and return the typed report (``shipyard_ml.reports``) as the outcome.

shipyard_ml is imported lazily, per kind (it imports torch).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings

from shipyard.jobs.context import Context, JobFailed, Outcome, model_source, register, training_data, version_ref
from shipyard.jobs.debug_handlers import run_explain, run_replay
from shipyard.jobs.edge_handlers import run_export_coreml, run_export_executorch, run_export_tflite
from shipyard.jobs.evidence_jobs import run_feature_importance, run_staleness_impact, run_tune
from shipyard.jobs.fairness_handlers import run_fairness
from shipyard.jobs.models import Job, JobKind
from shipyard_ml.job_params import (
    DistillParams,
    EvaluateParams,
    ExportOnnxParams,
    ExportTorchscriptParams,
    PruneParams,
    QuantizeParams,
    TrainingTestsParams,
)
from shipyard_ml.reports import (
    CompressionJobReport,
    DistillJobReport,
    EvaluateJobReport,
    ExportJobReport,
    NoReport,
    TrainingTestsJobReport,
    job_report,
)


def run_training_tests(job: Job, ctx: Context, device: str, work: Path) -> Outcome:
    from shipyard_ml.recipes import resolve_recipe
    from shipyard_ml.training_checks import run_training_tests

    p = TrainingTestsParams.model_validate(job.params)
    mv = job.model_version
    recipe_name = p.recipe or mv.recipe
    config = {**(mv.recipe_config or {}), **p.config}
    data = training_data(job, split=True)
    ctx.log(
        f"recipe {recipe_name}, data {data.name or 'dataset'}: {len(data.y_train)} train / {len(data.y_eval)} eval rows"
    )
    report = run_training_tests(
        resolve_recipe(recipe_name, allowlist=settings.SHIPYARD_RECIPE_ALLOWLIST),
        config,
        data,
        p,
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
    result = job_report(TrainingTestsJobReport, report, recipe=recipe_name)
    return Outcome(result.to_dict(), report.passed, message, evidence)


def run_evaluate(job: Job, ctx: Context, device: str, work: Path) -> Outcome:
    from shipyard_ml.evaluate import evaluate
    from shipyard_ml.loading import predictor

    p = EvaluateParams.model_validate(job.params)
    data = training_data(job, split=job.dataset_version is None)
    report = evaluate(
        predictor(model_source(job), device),
        data,
        min_slice_accuracy=p.min_slice_accuracy,
        progress=ctx.progress,
        should_stop=ctx.should_stop,
    )
    return Outcome(
        job_report(EvaluateJobReport, report, dataset=data.name).to_dict(),
        report.passed,
        report.summary,
        [("model-6", report.passed, f"evaluation on {len(report.slice_metrics)} slices: {report.summary}")],
    )


def _export(job: Job, ctx: Context, device: str, work: Path, fmt: str) -> Outcome:
    from shipyard_ml.export import ExportFailed, export_onnx, export_torchscript
    from shipyard_ml.loading import load_torch_module

    module = load_torch_module(model_source(job))
    data = training_data(job, split=True)
    out = work / ("model.onnx" if fmt == "onnx" else "model.torchscript.pt")
    output_model = ""
    try:
        if fmt == "onnx":
            onnx = ExportOnnxParams.model_validate(job.params)
            output_model = onnx.output_model
            report = export_onnx(
                module,
                out,
                data.X_eval,
                opset=onnx.opset,
                tolerance=onnx.tolerance,
                latency_repeats=onnx.latency_repeats,
                device=device,
                progress=ctx.stage(0, 90),
                should_stop=ctx.should_stop,
            )
        else:
            ts = ExportTorchscriptParams.model_validate(job.params)
            output_model = ts.output_model
            report = export_torchscript(
                module,
                out,
                data.X_eval,
                tolerance=ts.tolerance,
                latency_repeats=ts.latency_repeats,
                device=device,
                progress=ctx.stage(0, 90),
                should_stop=ctx.should_stop,
            )
    except ExportFailed as exc:
        failed = (
            job_report(ExportJobReport, exc.report, kind=job.kind).to_dict()
            if exc.report
            else NoReport(kind=job.kind).to_dict()
        )
        raise JobFailed(str(exc), failed) from None
    ctx.progress(92.0, "registering the exported version")
    mv = job.model_version
    version = register(
        job,
        ctx,
        out,
        output=fmt,
        fmt="onnx" if fmt == "onnx" else "torchscript",
        model_name=output_model,
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
    result = job_report(ExportJobReport, report, kind=job.kind, version=version_ref(version))
    title = f"{fmt} export parity: max abs diff {report.max_abs_diff:.2g} (tolerance {report.tolerance:g})"
    return Outcome(result.to_dict(), True, report.summary, [("infra-3", True, title)])


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

    p = QuantizeParams.model_validate(job.params)
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
            opset=p.opset,
            tolerance=ExportOnnxParams().tolerance,
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
            mode=p.mode,
            calibration_rows=p.calibration_rows,
            per_channel=p.per_channel,
            max_metric_drop=p.max_metric_drop,
            latency_repeats=p.latency_repeats,
            device=device,
            progress=ctx.stage(10, 90),
            should_stop=ctx.should_stop,
        )
    except GateFailed as exc:
        raise JobFailed(str(exc), job_report(CompressionJobReport, exc.report).to_dict()) from None
    mv = job.model_version
    version = register(
        job,
        ctx,
        out,
        output=f"int8-{p.mode}",
        fmt="onnx",
        model_name=p.output_model,
        metrics={"accuracy": report.after.metrics["accuracy"], "macro_f1": report.after.metrics["macro_f1"]},
        slice_metrics={
            k: {m: v for m, v in d.items() if m != "n"}
            for k, d in report.after.slice_metrics.items()
            if "accuracy" in d
        },
        params={"quantized_from": f"{mv.model.name}:v{mv.number}", "mode": p.mode},
        description=f"int8 ({p.mode}) quantization of {mv.model.name} v{mv.number} by job {job.pk}",
    )
    result = job_report(CompressionJobReport, report, version=version_ref(version))
    return Outcome(result.to_dict(), True, report.summary, _gate_evidence("quantize", report))


def run_prune(job: Job, ctx: Context, device: str, work: Path) -> Outcome:
    from shipyard_ml.compression import GateFailed, prune_magnitude
    from shipyard_ml.loading import load_torch_module

    p = PruneParams.model_validate(job.params)
    src = model_source(job)
    data = training_data(job, split=True)
    out = work / "model.pruned.pt"
    try:
        _, report = prune_magnitude(
            load_torch_module(src),
            data,
            out,
            target_sparsity=p.target_sparsity,
            fine_tune_epochs=p.fine_tune_epochs,
            fine_tune_config=src.recipe_config,
            seed=p.seed,
            max_metric_drop=p.max_metric_drop,
            latency_repeats=p.latency_repeats,
            device=device,
            progress=ctx.stage(0, 90),
            should_stop=ctx.should_stop,
        )
    except GateFailed as exc:
        raise JobFailed(str(exc), job_report(CompressionJobReport, exc.report).to_dict()) from None
    mv = job.model_version
    version = register(
        job,
        ctx,
        out,
        output="pruned",
        fmt="state_dict",
        model_name=p.output_model,
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
            "target_sparsity": p.target_sparsity,
            "fine_tune_epochs": p.fine_tune_epochs,
        },
        description=f"magnitude pruning of {mv.model.name} v{mv.number} to {p.target_sparsity} sparsity by job {job.pk}",
    )
    result = job_report(CompressionJobReport, report, version=version_ref(version))
    return Outcome(result.to_dict(), True, report.summary, _gate_evidence("prune", report))


def run_distill(job: Job, ctx: Context, device: str, work: Path) -> Outcome:
    from shipyard_ml.distill import distill
    from shipyard_ml.loading import load_torch_module, predictor, save_state_dict
    from shipyard_ml.nets import count_parameters

    p = DistillParams.model_validate(job.params)
    src = model_source(job)
    data = training_data(job, split=True)
    teacher_params = count_parameters(load_torch_module(src)) if src.format != "onnx" else None
    student, report = distill(
        predictor(src, device),
        teacher_params,
        data,
        student_recipe=p.student_recipe,
        student_config=p.student_config,
        temperature=p.temperature,
        alpha=p.alpha,
        seed=p.seed,
        max_metric_drop=p.max_metric_drop,
        latency_repeats=p.latency_repeats,
        device=device,
        progress=ctx.stage(0, 90),
        should_stop=ctx.should_stop,
    )
    if not report.passed:
        raise JobFailed(f"gate failed: {report.summary}", job_report(DistillJobReport, report).to_dict())
    out = save_state_dict(student, work / "student.pt")
    mv = job.model_version
    version = register(
        job,
        ctx,
        out,
        output="student",
        fmt="state_dict",
        model_name=p.output_model or f"{mv.model.name}-student",
        recipe=p.student_recipe,
        recipe_config=report.student_config,
        metrics={"accuracy": report.student["metrics"]["accuracy"], "macro_f1": report.student["metrics"]["macro_f1"]},
        params={
            "distilled_from": f"{mv.model.name}:v{mv.number}",
            "temperature": report.temperature,
            "alpha": report.alpha,
        },
        description=f"student distilled from {mv.model.name} v{mv.number} by job {job.pk}",
    )
    result = job_report(DistillJobReport, report, version=version_ref(version))
    return Outcome(result.to_dict(), True, report.summary, _gate_evidence("distill", report))


HANDLERS: dict[str, Callable[[Job, Context, str, Path], Outcome]] = {
    JobKind.TRAINING_TESTS: run_training_tests,
    JobKind.EVALUATE: run_evaluate,
    JobKind.EXPORT_ONNX: run_export_onnx,
    JobKind.EXPORT_TORCHSCRIPT: run_export_torchscript,
    JobKind.EXPORT_EXECUTORCH: run_export_executorch,
    JobKind.EXPORT_COREML: run_export_coreml,
    JobKind.EXPORT_TFLITE: run_export_tflite,
    JobKind.QUANTIZE: run_quantize,
    JobKind.PRUNE: run_prune,
    JobKind.DISTILL: run_distill,
    JobKind.EXPLAIN: run_explain,
    JobKind.REPLAY: run_replay,
    JobKind.FAIRNESS: run_fairness,
    JobKind.FEATURE_IMPORTANCE: run_feature_importance,
    JobKind.TUNE: run_tune,
    JobKind.STALENESS_IMPACT: run_staleness_impact,
}
