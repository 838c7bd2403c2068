"""The parameters of each job kind: one pydantic model per kind, the one place for names, types,
ranges and defaults.

The web process validates a job's params through these models (``shipyard.jobs.params``), the
worker reads the validated values from them, the API schema publishes them, and the frontend form
reads its defaults from ``GET /api/v1/jobs/kinds/``. Strict: a bool is not a number, a string is not
a number, NaN and infinities are refused, unknown keys are refused. No torch, no Django.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

#: the built-in training recipes (``shipyard_ml.recipes.BUILTIN_RECIPES``) a distilled student may use
StudentRecipe = Literal["digits_mlp", "digits_cnn", "digits_compact", "tabular_mlp"]
#: the same names as a tuple: the one list the platform checks recipe names against
BUILTIN_RECIPE_NAMES: tuple[str, ...] = get_args(StudentRecipe)

_SEED_MAX = 2**31 - 1
_NAME_MAX = 200


class JobParams(BaseModel):
    """Base of every kind's params: strict types, no unknown keys."""

    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False)


def _latency_repeats() -> Any:
    return Field(default=30, ge=1, le=100000, description="Timed calls per latency figure.")


def _output_model(
    description: str = "Register the produced version under this model (default: the same model).",
) -> Any:
    return Field(default="", max_length=_NAME_MAX, description=description)


def _max_metric_drop(default: float, description: str) -> Any:
    return Field(default=default, ge=-1, le=1, description=description)


class TrainingChecksParams(JobParams):
    """What the training tests measure (``shipyard_ml.training_checks.run_training_tests``)."""

    seed: int = Field(default=0, ge=0, le=_SEED_MAX, description="Seed of the two reproducibility runs.")
    other_seed: int = Field(
        default=1, ge=0, le=_SEED_MAX, description="Second seed: shows the spread a seed change causes."
    )
    weight_tolerance: float = Field(
        default=1e-6,
        ge=0,
        le=1e6,
        description="Largest weight difference between two same-seed runs that still passes.",
    )
    metric_tolerance: float = Field(
        default=1e-6,
        ge=0,
        le=1e6,
        description="Largest metric difference between two same-seed runs that still passes.",
    )
    overfit_steps: int = Field(
        default=300, ge=1, le=100000, description="Optimiser steps allowed to overfit one batch."
    )
    overfit_threshold: float = Field(
        default=0.05, ge=0, le=100, description="Loss on the one batch must fall below this."
    )
    overfit_batch_size: int = Field(default=32, ge=1, le=100000, description="Rows in the batch to overfit.")
    loss_steps: int = Field(
        default=20, ge=1, le=100000, description="Optimiser steps after which the training loss must be lower."
    )
    lr: float = Field(
        default=1e-2, ge=1e-8, le=10, description="Learning rate of the overfit and loss-decrease checks."
    )
    baseline_margin: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="How far a simpler baseline may beat the model's accuracy before the check fails.",
    )


class TrainingTestsParams(TrainingChecksParams):
    """Params of a ``training_tests`` job."""

    recipe: str = Field(
        default="",
        max_length=_NAME_MAX,
        description="Built-in recipe, or an entry point an operator allowlisted; default: the version's recipe.",
    )
    config: dict[str, Any] = Field(default={}, description="Recipe config overrides (merged over the version's).")


class EvaluateParams(JobParams):
    """Params of an ``evaluate`` job."""

    min_slice_accuracy: float | None = Field(
        default=None, description="Every non-empty slice must reach this accuracy (none: report only)."
    )


class ExportOnnxParams(JobParams):
    """Params of an ``export_onnx`` job."""

    latency_repeats: int = _latency_repeats()
    opset: int = Field(default=17, ge=9, le=21, description="ONNX opset.")
    tolerance: float = Field(
        default=1e-4, ge=0, le=1, description="Largest absolute difference from PyTorch's outputs."
    )
    output_model: str = _output_model()


class ExportTorchscriptParams(JobParams):
    """Params of an ``export_torchscript`` job."""

    latency_repeats: int = _latency_repeats()
    tolerance: float = Field(
        default=1e-5, ge=0, le=1, description="Largest absolute difference from eager PyTorch's outputs."
    )
    output_model: str = _output_model()


class ExportExecutorchParams(JobParams):
    """Params of an ``export_executorch`` job (a batch-1 ``.pte`` lowered with the XNNPACK delegate)."""

    latency_repeats: int = _latency_repeats()
    tolerance: float = Field(
        default=1e-4, ge=0, le=1, description="fp32: largest absolute difference from PyTorch's outputs."
    )
    quantization: Literal["none", "int8"] = Field(
        default="none",
        description="int8: PT2E static quantization with the XNNPACK quantizer, calibrated on evaluation rows, "
        "gated on accuracy against the fp32 parent instead of the max abs diff.",
    )
    calibration_rows: int = Field(default=256, ge=1, le=100000, description="int8: rows used to calibrate.")
    max_metric_drop: float = _max_metric_drop(0.01, "int8: largest accuracy drop the gate accepts (0.01 = 1 point).")
    edge_profiles: list[str] | None = Field(
        default=None, max_length=50, description="Edge profiles of the project to check (default: all of them)."
    )
    output_model: str = _output_model()


class ExportCoremlParams(JobParams):
    """Params of an ``export_coreml`` job (a batch-1 Core ML ML Program, ``.mlpackage``)."""

    precision: Literal["fp16", "fp32"] = Field(default="fp16", description="Compute precision of the ML Program.")
    minimum_deployment_target: Literal["iOS16", "iOS17", "iOS18"] = Field(
        default="iOS16", description="Oldest iOS the package runs on (ML Programs with fp16 I/O need iOS16)."
    )
    edge_profiles: list[str] | None = Field(
        default=None, max_length=50, description="Edge profiles of the project to check (default: all of them)."
    )
    output_model: str = _output_model()


class ExportTfliteParams(JobParams):
    """Params of an ``export_tflite`` job (a batch-1 LiteRT ``.tflite`` model, converted by onnx2tf)."""

    latency_repeats: int = _latency_repeats()
    precision: Literal["fp32", "fp16", "int8"] = Field(
        default="fp32",
        description="fp32; fp16 weights (half the size); int8: weights and activations calibrated on training "
        "rows, gated on accuracy against the fp32 parent.",
    )
    tolerance: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="fp32/fp16: largest absolute difference from PyTorch's outputs (default 1e-4; fp16 5e-2).",
    )
    calibration_rows: int = Field(default=256, ge=1, le=100000, description="int8: rows used to calibrate.")
    max_metric_drop: float = _max_metric_drop(0.01, "int8: largest accuracy drop the gate accepts (0.01 = 1 point).")
    edge_profiles: list[str] | None = Field(
        default=None, max_length=50, description="Edge profiles of the project to check (default: all of them)."
    )
    output_model: str = _output_model()


class QuantizeParams(JobParams):
    """Params of a ``quantize`` job (int8 with ONNX Runtime)."""

    latency_repeats: int = _latency_repeats()
    max_metric_drop: float = _max_metric_drop(0.01, "Largest accuracy drop the gate accepts (0.01 = 1 point).")
    mode: Literal["dynamic", "static"] = Field(
        default="dynamic", description="dynamic: int8 weights; static: int8 weights and calibrated activations."
    )
    per_channel: bool = Field(default=False, description="Quantize weights per output channel.")
    calibration_rows: int = Field(
        default=256, ge=1, le=100000, description="Static mode: rows of the dataset used to calibrate."
    )
    opset: int = Field(default=17, ge=10, le=21, description="Opset of the fp32 export when the source is PyTorch.")
    output_model: str = _output_model()


class PruneParams(JobParams):
    """Params of a ``prune`` job (global magnitude pruning)."""

    latency_repeats: int = _latency_repeats()
    max_metric_drop: float = _max_metric_drop(0.01, "Largest accuracy drop the gate accepts (0.01 = 1 point).")
    target_sparsity: float = Field(
        default=0.5, ge=0.01, le=0.99, description="Fraction of prunable weights set to zero."
    )
    fine_tune_epochs: int = Field(default=0, ge=0, le=1000, description="Epochs of fine-tuning after pruning.")
    seed: int = Field(default=0, ge=0, le=_SEED_MAX, description="Seed of the fine-tuning.")
    output_model: str = _output_model()


class DistillParams(JobParams):
    """Params of a ``distill`` job (a teacher's soft labels train a smaller student)."""

    latency_repeats: int = _latency_repeats()
    student_recipe: StudentRecipe = Field(
        default="digits_mlp", description="Built-in recipe of the student architecture."
    )
    student_config: dict[str, Any] = Field(
        default={"hidden": [32]}, description="Student architecture and training config."
    )
    temperature: float = Field(default=4.0, ge=0.01, le=100, description="Softmax temperature T of the soft labels.")
    alpha: float = Field(default=0.7, ge=0, le=1, description="Weight of the soft-label term in the loss.")
    seed: int = Field(default=0, ge=0, le=_SEED_MAX, description="Seed of the student's initialisation and training.")
    max_metric_drop: float = _max_metric_drop(
        1.0, "Largest accuracy drop vs the teacher the gate accepts (1 = report only)."
    )
    output_model: str = _output_model("Register the student under this model (default: <teacher model>-student).")


#: a feature value as a row carries it (numbers, category strings, missing values)
Cell = float | int | str | bool | None
#: most rows one explain or replay job takes
MAX_DEBUG_ROWS = 32


class ExplainParams(JobParams):
    """Params of an ``explain`` job: per-feature attributions for the predicted class of each row."""

    rows: list[list[Cell]] = Field(
        min_length=1, max_length=MAX_DEBUG_ROWS, description="The rows to explain, in the version's feature order."
    )
    request_ids: list[str] = Field(
        default=[], max_length=MAX_DEBUG_ROWS, description="The logged request of each row, when it came from one."
    )
    method: Literal["auto", "integrated_gradients", "kernel_shap"] = Field(
        default="auto",
        description="auto: Integrated Gradients for PyTorch versions, KernelSHAP for ONNX (and as the fallback).",
    )
    baseline: Literal["mean", "zeros"] = Field(
        default="mean", description="Integrated Gradients baseline: the training data's mean row, or all zeros."
    )
    tolerance: float = Field(
        default=0.01,
        ge=1e-6,
        le=1,
        description="Completeness: attributions must sum to f(x) - f(baseline) within this.",
    )
    background_size: int = Field(
        default=20, ge=1, le=200, description="KernelSHAP: k-means centres of the training data used as background."
    )
    nsamples: int = Field(default=512, ge=16, le=20000, description="KernelSHAP: model evaluations per row.")
    seed: int = Field(default=0, ge=0, le=_SEED_MAX, description="KernelSHAP sampling seed.")


class LoggedRequest(JobParams):
    """A logged prediction to replay: its inputs and what the version that served it answered."""

    request_id: str = Field(min_length=1, max_length=40, description="The request id predict returned.")
    inputs: list[Cell] = Field(max_length=100000, description="The logged row, in the model's feature order.")
    version: int = Field(ge=1, description="Number of the version that served it.")
    output: Any = Field(default=None, description="What that version answered.")
    confidence: float | None = Field(default=None, description="Its confidence, when it is a classifier.")


class ReplayParams(JobParams):
    """Params of a ``replay`` job: logged requests re-run on the job's model version."""

    requests: list[LoggedRequest] = Field(
        min_length=1, max_length=MAX_DEBUG_ROWS, description="The logged requests, with what was served for each."
    )


def _max_difference(default: float, what: str) -> Any:
    return Field(default=default, ge=0, le=1, description=f"Largest {what} between groups that passes.")


class FairnessThresholds(JobParams):
    """The fairness pass rule: every difference between groups within its threshold."""

    max_accuracy_difference: float = _max_difference(0.1, "accuracy difference")
    max_demographic_parity_difference: float = _max_difference(0.1, "demographic parity difference")
    max_equalized_odds_difference: float = _max_difference(0.2, "equalized odds difference")


class FairnessParams(FairnessThresholds):
    """Params of a ``fairness`` job: fairlearn's MetricFrame over the dataset's sensitive groups."""

    sensitive_features: list[str] = Field(
        default=[],
        max_length=20,
        description="Sensitive columns or slice names of the dataset (default: the ones the dataset marks).",
    )


class FeatureImportanceParams(JobParams):
    """Params of a ``feature_importance`` job (rubric data-2 and data-3)."""

    n_repeats: int = Field(default=10, ge=2, le=200, description="Shuffles per feature (the interval is over them).")
    confidence: float = Field(default=0.95, ge=0.5, le=0.999, description="Confidence level of each interval.")
    min_importance: float = Field(
        default=0.0,
        ge=-1,
        le=1,
        description="A feature whose whole importance interval lies at or below this is flagged (accuracy points).",
    )
    exempt: list[Annotated[str, Field(min_length=1, max_length=_NAME_MAX)]] = Field(
        default=[],
        max_length=10000,
        description="Features the team declares exempt (listed in the report, never flagged).",
    )
    cost_key: Literal["storage_bytes", "latency_ms", "price"] = Field(
        default="storage_bytes",
        description="Which recorded cost to divide by (storage_bytes is measured on upload; the others are declared).",
    )
    min_importance_per_cost: float | None = Field(
        default=None,
        ge=0,
        le=1e9,
        description="Every feature's importance / cost must reach this (none: data-3 is reported, not judged).",
    )
    ablation: bool = Field(
        default=False, description="Also retrain the version's recipe once per feature without it (small models)."
    )
    ablation_max_features: int = Field(
        default=64, ge=1, le=1000, description="Refuse the ablation for datasets with more features than this."
    )
    seed: int = Field(default=0, ge=0, le=_SEED_MAX, description="Seed of the shuffles and the ablation's retrains.")


class TuneParams(JobParams):
    """Params of a ``tune`` job (rubric model-3): an Optuna study over the recipe's declared search space."""

    recipe: str = Field(
        default="",
        max_length=_NAME_MAX,
        description="Built-in recipe, or an entry point an operator allowlisted; default: the version's recipe.",
    )
    config: dict[str, Any] = Field(
        default={}, description="Config overrides for every trial and the reference (merged over the version's)."
    )
    n_trials: int = Field(default=20, ge=1, le=500, description="Trials in the study.")
    pruning: bool = Field(default=True, description="Stop trials whose per-epoch accuracy falls below the median.")
    top_k: int = Field(
        default=5, ge=1, le=500, description="The starting configuration passes when it ranks within the top k trials."
    )
    seed: int = Field(default=0, ge=0, le=_SEED_MAX, description="Seed of the sampler and of every training run.")
    register_best: bool = Field(default=True, description="Register the best trial's model as a new version.")
    output_model: str = _output_model()


class StalenessImpactParams(JobParams):
    """Params of a ``staleness_impact`` job (rubric model-4)."""

    versions: list[Annotated[int, Field(ge=1)]] = Field(
        default=[],
        max_length=50,
        description="Version numbers of the model to compare (default: the newest max_versions, the job's included).",
    )
    max_versions: int = Field(default=10, ge=2, le=50, description="At most this many versions by default.")
    fresh_days: float = Field(
        default=90, ge=1, le=3650, description="The labelled data must be at most this many days old."
    )
    tolerance: float = Field(
        default=0.02, ge=0, le=1, description="Largest accuracy loss accepted over one retraining interval."
    )
    retrain_interval_days: float | None = Field(
        default=None,
        ge=0.01,
        le=3650,
        description="How often the model is retrained (default: the median gap between the versions' dates).",
    )


#: job kind -> its params model (the kinds are ``shipyard.jobs.models.JobKind``)
JOB_PARAMS: dict[str, type[JobParams]] = {
    "training_tests": TrainingTestsParams,
    "evaluate": EvaluateParams,
    "export_onnx": ExportOnnxParams,
    "export_torchscript": ExportTorchscriptParams,
    "export_executorch": ExportExecutorchParams,
    "export_coreml": ExportCoremlParams,
    "export_tflite": ExportTfliteParams,
    "quantize": QuantizeParams,
    "prune": PruneParams,
    "distill": DistillParams,
    "explain": ExplainParams,
    "replay": ReplayParams,
    "fairness": FairnessParams,
    "feature_importance": FeatureImportanceParams,
    "tune": TuneParams,
    "staleness_impact": StalenessImpactParams,
}
