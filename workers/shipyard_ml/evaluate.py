"""Evaluation: metrics on a dataset's eval rows and on each named slice (rubric model-6)."""

from __future__ import annotations

import math

import numpy as np

from shipyard_ml.loading import Predictor
from shipyard_ml.metrics import classification_metrics
from shipyard_ml.recipe_types import Cancelled, Progress, ShouldStop, TrainingData, never_stop, no_progress
from shipyard_ml.reports import EvaluationReport


def _clean(metrics: dict[str, float]) -> dict[str, float]:
    return {k: (float(v) if math.isfinite(float(v)) else float("nan")) for k, v in metrics.items()}


def predict_in_batches(
    predict: Predictor,
    x: np.ndarray,
    *,
    batch_size: int = 512,
    progress: Progress = no_progress,
    should_stop: ShouldStop = never_stop,
) -> np.ndarray:
    out = []
    total = max(len(x), 1)
    for i in range(0, len(x), batch_size):
        if should_stop():
            raise Cancelled(f"evaluation stopped at row {i}")
        out.append(np.asarray(predict(x[i : i + batch_size]), dtype=np.float32))
        progress(100.0 * min(i + batch_size, total) / total, f"{min(i + batch_size, len(x))}/{len(x)} rows")
    return np.concatenate(out) if out else np.zeros((0, 0), dtype=np.float32)


def metrics_by_slice(logits: np.ndarray, y: np.ndarray, slices: dict[str, np.ndarray]) -> dict[str, dict[str, float]]:
    result = {}
    for name, mask in slices.items():
        mask = np.asarray(mask, dtype=bool)
        result[name] = _clean(classification_metrics(logits[mask], y[mask])) if mask.any() else {"n": 0.0}
    return result


def evaluate(
    predict: Predictor,
    data: TrainingData,
    *,
    min_slice_accuracy: float | None = None,
    progress: Progress = no_progress,
    should_stop: ShouldStop = never_stop,
) -> EvaluationReport:
    """Metrics on ``data``'s eval rows and per slice; with ``min_slice_accuracy`` every non-empty slice must reach it."""
    logits = predict_in_batches(predict, data.X_eval, progress=progress, should_stop=should_stop)
    overall = _clean(classification_metrics(logits, data.y_eval))
    per_slice = metrics_by_slice(logits, data.y_eval, data.slices)
    failing = []
    if min_slice_accuracy is not None:
        failing = sorted(
            n for n, m in per_slice.items() if m.get("n", 0) > 0 and not m["accuracy"] >= min_slice_accuracy
        )
    passed = not failing
    summary = f"accuracy {overall['accuracy']:.4f} on {int(overall['n'])} rows, {len(per_slice)} slices"
    if min_slice_accuracy is not None:
        summary += f"; {len(failing)} slice(s) below {min_slice_accuracy}"
    return EvaluationReport(overall, per_slice, passed, summary, min_slice_accuracy, failing)
