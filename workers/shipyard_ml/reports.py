"""Typed reports: what each ML function returns and what each job kind stores as its result.

The ML modules (``training_checks``, ``evaluate``, ``export``, ``compression``, ``distill``) build
these dataclasses; the job runner extends them with the job's own fields (``*JobReport``) and
stores ``to_dict()``; the API schema publishes the job reports and the frontend reads their
generated types. No torch, no Django (the web process imports this module).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal, TypeVar

from pydantic import ConfigDict
from typing_extensions import TypedDict  # pydantic reads its schema (typing.TypedDict needs Python 3.12)


@dataclass
class Report:
    """Base of every report: ``to_dict()`` is what a job stores (every field, defaults included)."""

    # the published schema marks fields with defaults as present too: to_dict() always writes them
    __pydantic_config__ = ConfigDict(json_schema_serialization_defaults_required=True)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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
    max_abs_diff: float
    tolerance: float
    parity_rows: int
    #: engine -> batch size -> ms: {"pytorch": {"1": ms, "64": ms}, "onnx": {...}}
    latency_ms: dict[str, dict[str, float]] = field(default_factory=dict)
    #: batch size -> pytorch / exported latency
    speedup: dict[str, float] = field(default_factory=dict)
    opset: int | None = None
    signature: dict[str, Any] = field(default_factory=dict)
    #: accuracy of the exported model on the evaluation rows, where the export measured it
    accuracy: float | None = None


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


@dataclass
class RowExplanation(Report):
    """One explained row: its predicted class and each feature's attribution to it."""

    predicted_class: int
    predicted_label: str
    #: the explained output (a logit for Integrated Gradients, a probability for KernelSHAP) at x and at the baseline
    output: float
    baseline_output: float
    attributions: list[float]
    attribution_sum: float
    #: |sum(attributions) - (output - baseline_output)| / max(|output - baseline_output|, 1e-6)
    completeness_error: float
    request_id: str = ""


@dataclass
class ExplanationReport(Report):
    """Attributions per row and the completeness check over all rows."""

    method: str
    #: why the asked-for or default explainer was not used ("" when it was)
    fallback_reason: str
    feature_names: list[str]
    class_names: list[str]
    rows: list[RowExplanation]
    baseline: str
    #: what the explained output is: "logit" (Integrated Gradients) or "probability" (KernelSHAP)
    output_kind: str
    completeness_tolerance: float
    max_completeness_error: float
    completeness_passed: bool
    summary: str
    #: [height, width] when the features are the pixels of a square image (the digits demo: [8, 8])
    image_shape: list[int] | None = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class ReplayRow(Report):
    """One logged request re-run on another version: both outputs side by side."""

    request_id: str
    inputs: list[Any]
    original_version: int
    original_output: Any
    original_confidence: float | None
    replay_output: Any
    replay_confidence: float | None
    replay_probabilities: list[float] | None
    agrees: bool


@dataclass
class ReplayReport(Report):
    version: int
    rows: list[ReplayRow]
    agreement: float
    summary: str


@dataclass
class GroupMetrics(Report):
    group: str
    count: int
    accuracy: float
    selection_rate: float
    true_positive_rate: float | None = None
    false_positive_rate: float | None = None


@dataclass
class GroupingReport(Report):
    """One sensitive feature (or slice): its groups and the differences between them."""

    feature: str
    source: str  # "column" | "slice"
    groups: list[GroupMetrics]
    accuracy_difference: float
    demographic_parity_difference: float
    equalized_odds_difference: float
    #: the class whose one-vs-rest differences are reported (the worst one)
    worst_class: str
    passed: bool
    violations: list[str] = field(default_factory=list)


@dataclass
class FairnessReport(Report):
    passed: bool
    summary: str
    rows: int
    accuracy: float
    thresholds: dict[str, float]
    groupings: list[GroupingReport]
    #: "evaluation" (a job on a dataset) or "feedback" (the monitor on labelled production traffic)
    data: str = "evaluation"


@dataclass
class FeatureImportance(Report):
    """One feature: permutation importance (accuracy drop) over the repeats with its interval, its cost."""

    feature: str
    mean: float
    std: float
    ci_low: float
    ci_high: float
    #: the whole interval lies at or below the configured minimum (and the feature is not exempt)
    flagged: bool
    exempt: bool
    #: the same value in every evaluation row (shuffling it cannot change a prediction)
    constant: bool
    cost: float | None = None
    #: "declared" (the dataset's feature_costs) or "measured" (by Shipyard); empty when no cost is recorded
    cost_source: str = ""
    #: importance / cost (none when no cost is recorded or the cost is zero)
    per_cost: float | None = None
    below_ratio: bool = False
    #: accuracy lost when the recipe is retrained with the feature held at its mean (ablation only)
    ablation_drop: float | None = None


@dataclass
class CostVerdict(Report):
    """Rubric data-3: importance per unit of cost against the configured ratio."""

    key: str
    min_importance_per_cost: float
    passed: bool
    summary: str
    below: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


@dataclass
class FeatureImportanceReport(Report):
    passed: bool
    summary: str
    metric: str
    baseline_score: float
    n_repeats: int
    confidence: float
    min_importance: float
    features: list[FeatureImportance]
    flagged: list[str]
    exempt: list[str]
    cost: CostVerdict | None = None
    ablation_baseline: float | None = None


@dataclass
class TuneTrial(Report):
    """One trial of a tuning study: its state (complete, pruned, fail), accuracy, values and per-epoch curve."""

    number: int
    state: str
    value: float | None
    params: dict[str, Any]
    config: dict[str, Any]
    intermediate: list[float] = field(default_factory=list)
    duration_s: float = 0.0


@dataclass
class TuneReport(Report):
    """An Optuna study over a recipe's declared search space (rubric model-3)."""

    passed: bool
    summary: str
    metric: str
    direction: str
    recipe: str
    search_space: dict[str, Any]
    n_trials: int
    completed: int
    pruned: int
    pruning: bool
    pruning_note: str
    trials: list[TuneTrial]
    best_trial: int | None
    best_value: float | None
    best_config: dict[str, Any]
    #: the starting version's configuration, trained the same way: its accuracy and rank among the trials
    reference_value: float
    reference_config: dict[str, Any]
    reference_duration_s: float
    reference_rank: int
    top_k: int
    eval_rows: int


@dataclass
class StalenessPoint(Report):
    """One version on the recent data: when it was trained, how old it was, its accuracy."""

    version: int
    trained_at: str
    date_source: str
    age_days: float
    accuracy: float
    live: bool = False


@dataclass
class StalenessReport(Report):
    """Accuracy against model age and the loss per week (rubric model-4)."""

    passed: bool
    summary: str
    metric: str
    points: list[StalenessPoint]
    slope_per_week: float
    intercept: float
    r_value: float | None
    loss_per_week: float
    retrain_interval_days: float
    #: "declared" (params.retrain_interval_days) or "measured" (median gap between the versions' dates)
    interval_source: str
    expected_loss: float
    tolerance: float
    data_date: str
    data_age_days: float
    fresh_days: float
    fresh: bool
    rows: int


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
    """Result of an ``export_onnx``, ``export_torchscript`` or ``export_executorch`` job (``version``: none
    when parity failed)."""

    kind: Literal["export_onnx", "export_torchscript", "export_executorch"]
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
