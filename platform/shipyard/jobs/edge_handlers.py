"""Edge exports: an ExecuTorch program (fp32 or int8, XNNPACK), a Core ML package or a LiteRT model, registered as a
new version with lineage to its parent, the project's edge profiles checked against it (infra-4)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from shipyard.jobs.context import Context, JobFailed, Outcome, model_source, register, training_data, version_ref
from shipyard.jobs.edge import profile_checks, profile_evidence
from shipyard.jobs.models import Job
from shipyard_ml.job_params import ExportCoremlParams, ExportExecutorchParams, ExportTfliteParams
from shipyard_ml.reports import ExportJobReport, NoReport, job_report


def _failed(job: Job, exc: Any) -> JobFailed:
    report = exc.report
    failed = (
        job_report(ExportJobReport, report, kind=job.kind).to_dict() if report else NoReport(kind=job.kind).to_dict()
    )
    return JobFailed(str(exc), failed)


def _finish(
    job: Job,
    ctx: Context,
    out: Path,
    report: Any,
    *,
    runtime: str,
    names: list[str] | None,
    params: dict[str, Any],
    output_model: str,
    description: str,
    evidence: list[tuple[str, bool, str]],
    measurable: bool = True,
    fmt: str = "",
) -> Outcome:
    ctx.progress(92.0, f"registering the {runtime} export")
    mv = job.model_version
    version = register(
        job,
        ctx,
        out,
        output=fmt or runtime,
        fmt=fmt or runtime,
        model_name=output_model,
        signature=report.signature,
        metrics={k: v for k, v in (mv.metrics or {}).items() if isinstance(v, (int, float))},
        params={"exported_from": f"{mv.model.name}:v{mv.number}", **params},
        recipe="",
        description=f"{description} of {mv.model.name} v{mv.number} by job {job.pk}",
    )
    checks = profile_checks(project=job.project, report=report, runtime=runtime, names=names, measurable=measurable)
    profile_evidence(job=job, version=version, checks=checks, runtime=runtime)
    result = job_report(ExportJobReport, report, kind=job.kind, version=version_ref(version), profiles=checks)
    met = "".join(f"; profile {c['name']}: {'met' if c['passed'] else 'NOT met'}" for c in checks)
    return Outcome(result.to_dict(), True, report.summary + met, evidence)


def _measured(
    job: Job,
    ctx: Context,
    work: Path,
    p: Any,
    *,
    export: Callable[..., Any],
    filename: str,
    int8: bool,
    runtime: str,
    fmt: str = "",
    params: dict[str, Any],
    description: str,
    **options: Any,
) -> Outcome:
    """An edge export whose runtime runs on the worker (ExecuTorch, LiteRT): parity, accuracy and batch-1
    latency measured in that runtime; fp32 gated on the max abs diff (infra-3), int8 on accuracy (infra-4)."""
    from shipyard_ml.export import ExportFailed
    from shipyard_ml.loading import load_torch_module

    module = load_torch_module(model_source(job))
    data = training_data(job, split=True)
    out = work / filename
    try:
        report = export(
            module,
            out,
            data.X_eval,
            eval_y=data.y_eval,
            tolerance=p.tolerance,
            latency_repeats=p.latency_repeats,
            calibration_x=data.X_train[: p.calibration_rows] if int8 else None,
            max_metric_drop=p.max_metric_drop,
            progress=ctx.stage(0, 90),
            should_stop=ctx.should_stop,
            **options,
        )
    except ExportFailed as exc:
        raise _failed(job, exc) from None
    if int8:
        evidence = [("infra-4", True, f"{runtime} int8 quality gate: {report.summary}")]
    else:
        title = f"{runtime} export parity: max abs diff {report.max_abs_diff:.2g} (tolerance {report.tolerance:g})"
        evidence = [("infra-3", True, title)]
    params = {
        **params,
        "max_abs_diff": report.max_abs_diff,
        "latency_ms_batch1": {k: v["1"] for k, v in report.latency_ms.items()},
    }
    if report.spec.get("op_types"):
        params["op_types"] = report.spec["op_types"]
    if int8:
        params["calibration_rows"] = int(min(p.calibration_rows, len(data.X_train)))
    return _finish(
        job,
        ctx,
        out,
        report,
        runtime=runtime,
        fmt=fmt,
        names=p.edge_profiles,
        params=params,
        output_model=p.output_model,
        evidence=evidence,
        description=description,
    )


def run_export_executorch(job: Job, ctx: Context, device: str, work: Path) -> Outcome:
    """A batch-1 ExecuTorch program with the XNNPACK delegate (fp32, or int8 through PT2E); parity in
    ExecuTorch's runtime (int8: gated on accuracy against the fp32 parent)."""
    from shipyard_ml.edge import export_executorch

    p = ExportExecutorchParams.model_validate(job.params)
    int8 = p.quantization == "int8"
    return _measured(
        job,
        ctx,
        work,
        p,
        export=export_executorch,
        filename="model.pte",
        int8=int8,
        runtime="executorch",
        params={"delegate": "xnnpack", "quantization": p.quantization},
        description=f"ExecuTorch (XNNPACK{', int8' if int8 else ''}) export",
        quantization=p.quantization,
    )


def run_export_tflite(job: Job, ctx: Context, device: str, work: Path) -> Outcome:
    """A batch-1 LiteRT model (ONNX -> onnx2tf in the isolated converter environment; fp32, fp16 or int8);
    parity, accuracy and latency measured through the LiteRT interpreter (int8: gated on accuracy)."""
    from shipyard_ml.litert import export_tflite

    p = ExportTfliteParams.model_validate(job.params)
    return _measured(
        job,
        ctx,
        work,
        p,
        export=export_tflite,
        filename="model.tflite",
        int8=p.precision == "int8",
        runtime="litert",
        fmt="tflite",
        params={"converter": "onnx2tf", "precision": p.precision},
        description=f"LiteRT ({p.precision}) export",
        precision=p.precision,
    )


def run_export_coreml(job: Job, ctx: Context, device: str, work: Path) -> Outcome:
    """A batch-1 Core ML ML Program; its spec checked (Core ML cannot run on Linux: no parity figure)."""
    from shipyard_ml.coreml import export_coreml
    from shipyard_ml.export import ExportFailed
    from shipyard_ml.loading import load_torch_module

    p = ExportCoremlParams.model_validate(job.params)
    module = load_torch_module(model_source(job))
    data = training_data(job, split=True)
    out = work / "model.mlpackage.zip"
    try:
        report = export_coreml(
            module,
            out,
            data.X_eval,
            precision=p.precision,
            deployment_target=p.minimum_deployment_target,
            progress=ctx.stage(0, 90),
            should_stop=ctx.should_stop,
        )
    except ExportFailed as exc:
        raise _failed(job, exc) from None
    params = {
        "compute_precision": p.precision,
        "minimum_deployment_target": p.minimum_deployment_target,
        "parity": report.parity,
        "op_types": report.spec["op_types"],
    }
    return _finish(
        job,
        ctx,
        out,
        report,
        runtime="coreml",
        names=p.edge_profiles,
        params=params,
        output_model=p.output_model,
        description=f"Core ML ({p.precision}) export",
        measurable=False,
        # no parity was run, so no infra-3 evidence: only the profiles' size verdicts are recorded
        evidence=[],
    )
