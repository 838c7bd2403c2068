"""Reports of the ML functions behind the rubric's measured evidence: explanations and replay
(infra-5), fairness (model-7), feature importance and cost (data-2, data-3), tuning (model-3) and
staleness (model-4). The job reports that extend them are in ``shipyard_ml.reports``.
No torch, no Django (the web process imports this module).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shipyard_ml.report_base import Report


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
