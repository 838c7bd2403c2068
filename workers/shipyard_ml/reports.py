"""Typed reports: what each ML function returns and what each job kind stores as its result.

The ML modules (``training_checks``, ``evaluate``, ``export``, ``compression``, ``distill``) build
these dataclasses (the evidence jobs' own are in ``evidence_reports``, the base in ``report_base``);
the job runner extends them with the job's own fields (``*JobReport``) and
stores ``to_dict()``; the API schema publishes the job reports and the frontend reads their
generated types. No torch, no Django (the web process imports this module).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Literal, TypeVar

from typing_extensions import TypedDict  # pydantic reads its schema (typing.TypedDict needs Python 3.12)

from shipyard_ml.evidence_reports import (
    ExplanationReport,
    FairnessReport,
    FeatureImportanceReport,
    ReplayReport,
    StalenessReport,
    TuneReport,
)
from shipyard_ml.report_base import Report

# --------------------------------------------------------------------------- ML function reports


@dataclass
class CheckResult(Report):
    """One training test: its verdict, a one-line summary, the rubric tests it is evidence for."""

    name: str
    passed: bool
    summary: str
    rubric: list[str]
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class TrainingTestsReport(Report):
    passed: bool
    checks: list[CheckResult]
    metrics: dict[str, float]
    baselines: dict[str, dict[str, float]]
    params: dict[str, Any]


@dataclass
class EvaluationReport(Report):
    metrics: dict[str, float]
    slice_metrics: dict[str, dict[str, float]]
    passed: bool
    summary: str
    min_slice_accuracy: float | None = None
    failing_slices: list[str] = field(default_factory=list)


@dataclass
class ExportReport(Report):
    format: str
    size_bytes: int
    passed: bool
    summary: str
    #: none when parity is not measurable where the export ran (``parity`` says why)
    max_abs_diff: float | None
    tolerance: float | None
    parity_rows: int
    #: engine -> batch size -> ms: {"pytorch": {"1": ms, "64": ms}, "onnx": {...}}
    latency_ms: dict[str, dict[str, float]] = field(default_factory=dict)
    #: batch size -> pytorch / exported latency
    speedup: dict[str, float] = field(default_factory=dict)
    opset: int | None = None
    signature: dict[str, Any] = field(default_factory=dict)
    #: accuracy of the exported model on the evaluation rows, where the export measured it
    accuracy: float | None = None
    #: how parity was measured, or why it could not be ("not measurable on this platform: ...")
    parity: str = ""
    #: Core ML: the checked spec (inputs, outputs, op types, precision, deployment target)
    spec: dict[str, Any] = field(default_factory=dict)
    #: quantized edge exports: accuracy of the float parent on the same rows, and the gate
    reference_accuracy: float | None = None
    max_metric_drop: float | None = None


class ProfileCheck(TypedDict):
    """One edge profile checked against an edge export: each limit, the measured value, the verdict."""

    name: str
    passed: bool
    #: "size_bytes" | "latency_ms" | "accuracy" -> {limit, value, passed}
    checks: dict[str, dict[str, Any]]


@dataclass
class ModelFigures(Report):
    """Size, latency per batch size, metrics overall and per slice of one model (before or after)."""

    size_bytes: int
    latency_ms: dict[str, float]
    metrics: dict[str, float]
    slice_metrics: dict[str, dict[str, float]]
    params: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class CompressionReport(Report):
    kind: str
    passed: bool
    summary: str
    before: ModelFigures
    after: ModelFigures
    #: size: before/after; latency_<batch>: before/after (>1 = faster); params: before/after
    ratios: dict[str, float]
    metric: str
    metric_delta: float  # after - before
    slice_deltas: dict[str, float]
    max_metric_drop: float
    extra: dict[str, Any] = field(default_factory=dict)


class DistilledModel(TypedDict):
    """Parameters, metrics and latency (per batch size) of the teacher or of a student."""

    params: int | None
    metrics: dict[str, float]
    slice_metrics: dict[str, dict[str, float]]
    latency_ms: dict[str, float]


@dataclass
class DistillReport(Report):
    passed: bool
    summary: str
    temperature: float
    alpha: float
    student_recipe: str
    student_config: dict[str, Any]
    teacher: DistilledModel
    student: DistilledModel
    hard_label_student: DistilledModel
    #: params: student/teacher; accuracy: student/teacher; vs_hard_labels_points: student - hard (points)
    ratios: dict[str, float]
    max_metric_drop: float
    slice_deltas: dict[str, float] = field(default_factory=dict)


# --------------------------------------------------------------------------- job reports (Job.result)


@dataclass
class VersionRef(Report):
    """The model version a job registered."""

    id: int
    model: str
    number: int
    format: str
    size_bytes: int


@dataclass(kw_only=True)
class TrainingTestsJobReport(TrainingTestsReport):
    """Result of a ``training_tests`` job."""

    kind: Literal["training_tests"] = "training_tests"
    recipe: str


@dataclass(kw_only=True)
class EvaluateJobReport(EvaluationReport):
    """Result of an ``evaluate`` job."""

    kind: Literal["evaluate"] = "evaluate"
    dataset: str | None = None


@dataclass(kw_only=True)
class ExportJobReport(ExportReport):
    """Result of an ``export_onnx``, ``export_torchscript``, ``export_executorch``, ``export_coreml`` or ``export_tflite`` job
    (``version``: none when parity failed)."""

    kind: Literal["export_onnx", "export_torchscript", "export_executorch", "export_coreml", "export_tflite"]
    version: VersionRef | None = None
    #: edge exports: the project's edge profiles checked against the exported model
    profiles: list[ProfileCheck] = field(default_factory=list)


@dataclass(kw_only=True)
class CompressionJobReport(CompressionReport):
    """Result of a ``quantize`` or ``prune`` job (``kind``: quantize_dynamic, quantize_static or prune;
    ``version``: none when the gate failed)."""

    version: VersionRef | None = None


@dataclass(kw_only=True)
class DistillJobReport(DistillReport):
    """Result of a ``distill`` job (``version``: none when the gate failed)."""

    kind: Literal["distill"] = "distill"
    version: VersionRef | None = None


@dataclass(kw_only=True)
class ExplainJobReport(ExplanationReport):
    """Result of an ``explain`` job."""

    kind: Literal["explain"] = "explain"
    version: int


@dataclass(kw_only=True)
class ReplayJobReport(ReplayReport):
    """Result of a ``replay`` job: each logged request's original output next to the job version's."""

    kind: Literal["replay"] = "replay"


@dataclass(kw_only=True)
class FairnessJobReport(FairnessReport):
    """Result of a ``fairness`` job: per sensitive grouping, fairlearn's per-group metrics and differences."""

    kind: Literal["fairness"] = "fairness"
    dataset: str | None = None


@dataclass(kw_only=True)
class FeatureImportanceJobReport(FeatureImportanceReport):
    """Result of a ``feature_importance`` job."""

    kind: Literal["feature_importance"] = "feature_importance"
    dataset: str


@dataclass(kw_only=True)
class TuneJobReport(TuneReport):
    """Result of a ``tune`` job (``version``: the best trial, registered; none when no trial completed)."""

    kind: Literal["tune"] = "tune"
    version: VersionRef | None = None


@dataclass(kw_only=True)
class StalenessJobReport(StalenessReport):
    """Result of a ``staleness_impact`` job."""

    kind: Literal["staleness_impact"] = "staleness_impact"
    dataset: str
    skipped: list[str] = field(default_factory=list)


@dataclass
class NoReport(Report):
    """Result of a job that failed before its computation produced a report."""

    kind: str
    device: str | None = None


#: job kind -> the dataclass its result comes from
JOB_REPORTS: dict[str, type[Report]] = {
    "training_tests": TrainingTestsJobReport,
    "evaluate": EvaluateJobReport,
    "export_onnx": ExportJobReport,
    "export_torchscript": ExportJobReport,
    "export_executorch": ExportJobReport,
    "export_coreml": ExportJobReport,
    "export_tflite": ExportJobReport,
    "quantize": CompressionJobReport,
    "prune": CompressionJobReport,
    "distill": DistillJobReport,
    "explain": ExplainJobReport,
    "replay": ReplayJobReport,
    "fairness": FairnessJobReport,
    "feature_importance": FeatureImportanceJobReport,
    "tune": TuneJobReport,
    "staleness_impact": StalenessJobReport,
}

R = TypeVar("R", bound=Report)


def job_report(cls: type[R], report: Report, **extra: Any) -> R:
    """``report`` (an ML function's report) as the job report ``cls`` with the job's ``extra`` fields."""
    return cls(**{f.name: getattr(report, f.name) for f in fields(report)}, **extra)
