"""Feature importance (rubric data-2) and importance per unit of cost (rubric data-3).

Permutation importance (scikit-learn's ``sklearn.inspection.permutation_importance``) of every
input feature on the evaluation rows: the drop in accuracy when the feature's column is shuffled,
repeated ``n_repeats`` times, with a Student-t confidence interval over the repeats. A feature is
flagged when its whole interval lies at or below ``min_importance`` (0: the model does not need
it). Optionally, for small models, an ablation retrains the recipe once per feature with that
feature held at its training mean and reports the accuracy lost.

Costs come from the dataset schema (declared by the team, or measured by Shipyard: a column's
compressed Parquet size). Importance per unit of cost passes when every feature reaches
``min_importance_per_cost``. No Django.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from shipyard_ml.evidence_reports import CostVerdict, FeatureImportance, FeatureImportanceReport
from shipyard_ml.loading import Predictor
from shipyard_ml.recipe_types import Cancelled, Progress, ShouldStop, TrainingData, never_stop, no_progress

#: trains the version's recipe on ``data`` and returns its eval accuracy (the ablation's retrain)
Retrain = Callable[[TrainingData], float]


@contextlib.contextmanager
def _one_thread() -> Iterator[None]:
    """One torch thread for the many small predictions (several times faster than two threads
    contending on a shared machine, and the same numbers)."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


class _Fixed:
    """The estimator ``permutation_importance`` asks for: an already trained predictor."""

    def __init__(self, predict: Predictor) -> None:
        self._predict = predict

    def fit(self, x: np.ndarray, y: np.ndarray) -> _Fixed:
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self._predict(np.ascontiguousarray(x, dtype=np.float32))).argmax(1)


def _accuracy(estimator: _Fixed, x: np.ndarray, y: np.ndarray) -> float:
    return float((estimator.predict(x) == y).mean())


def confidence_interval(samples: np.ndarray, confidence: float) -> tuple[float, float, float, float]:
    """mean, sample std, and the two-sided Student-t interval of the mean over ``samples``."""
    from scipy import stats

    n = len(samples)
    mean = float(np.mean(samples))
    if n < 2:
        return mean, 0.0, mean, mean
    std = float(np.std(samples, ddof=1))
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * std / math.sqrt(n)
    return mean, std, mean - half, mean + half


def feature_cost(schema_feature: dict[str, Any] | None, key: str) -> tuple[float | None, str]:
    """(cost, "declared" | "measured") of one feature for ``key``; a declared cost wins over a measured one."""
    cost = (schema_feature or {}).get("cost") or {}
    for source in ("declared", "measured"):
        value = (cost.get(source) or {}).get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            return float(value), source
    return None, ""


def ablation_drops(
    data: TrainingData, retrain: Retrain, *, progress: Progress, should_stop: ShouldStop
) -> tuple[float, list[float]]:
    """Accuracy of the recipe retrained on all features, and the drop when each feature is held at its mean."""
    base = retrain(data)
    drops = []
    n = len(data.feature_names)
    for i in range(n):
        if should_stop():
            raise Cancelled(f"ablation stopped at feature {i}")
        mean = float(data.X_train[:, i].mean()) if len(data.X_train) else 0.0
        x_train, x_eval = data.X_train.copy(), data.X_eval.copy()
        x_train[:, i] = mean
        x_eval[:, i] = mean
        without = TrainingData(
            X_train=x_train,
            y_train=data.y_train,
            X_eval=x_eval,
            y_eval=data.y_eval,
            feature_names=data.feature_names,
            class_names=data.class_names,
            input_shape=data.input_shape,
            name=data.name,
        )
        drops.append(base - retrain(without))
        progress(100.0 * (i + 1) / n, f"ablation: retrained without {data.feature_names[i]} ({i + 1}/{n})")
    return base, drops


def feature_importance(
    predict: Predictor,
    data: TrainingData,
    *,
    schema_features: dict[str, dict[str, Any]],
    n_repeats: int,
    confidence: float,
    min_importance: float,
    exempt: list[str],
    cost_key: str,
    min_importance_per_cost: float | None,
    seed: int,
    retrain: Retrain | None = None,
    progress: Progress = no_progress,
    should_stop: ShouldStop = never_stop,
) -> FeatureImportanceReport:
    """Permutation importance with confidence intervals, flagged features, and importance per unit of cost."""
    from sklearn.inspection import permutation_importance

    names = list(data.feature_names)
    if data.X_eval.ndim != 2 or data.X_eval.shape[1] != len(names):
        raise ValueError(f"the evaluation rows have shape {data.X_eval.shape}; expected one column per feature")
    unknown = sorted(set(exempt) - set(names))
    if unknown:
        raise ValueError(f"params.exempt names features the dataset does not have: {', '.join(unknown[:10])}")
    estimator = _Fixed(predict)
    baseline = _accuracy(estimator, data.X_eval, data.y_eval)
    if should_stop():
        raise Cancelled("stopped before permuting")
    progress(2.0, f"permuting {len(names)} features x {n_repeats} repeats on {len(data.y_eval)} rows")
    with _one_thread():
        importances = permutation_importance(
            estimator, data.X_eval, data.y_eval, scoring=_accuracy, n_repeats=n_repeats, random_state=seed, n_jobs=1
        ).importances
    progress(100.0 if retrain is None else 50.0, f"permuted {len(names)} features")
    drops: list[float] | None = None
    ablation_base: float | None = None
    if retrain is not None:
        ablation_base, drops = ablation_drops(
            data, retrain, progress=lambda p, m: progress(50.0 + p / 2, m), should_stop=should_stop
        )
    constant = data.X_eval.std(axis=0) == 0 if len(data.X_eval) else np.ones(len(names), dtype=bool)
    rows: list[FeatureImportance] = []
    for i, name in enumerate(names):
        mean, std, low, high = confidence_interval(importances[i], confidence)
        cost, source = feature_cost(schema_features.get(name), cost_key)
        per_cost = None if cost is None else (math.inf if cost == 0 else mean / cost)
        is_exempt = name in exempt
        rows.append(
            FeatureImportance(
                feature=name,
                mean=round(mean, 6),
                std=round(std, 6),
                ci_low=round(low, 6),
                ci_high=round(high, 6),
                flagged=not is_exempt and high <= min_importance,
                exempt=is_exempt,
                constant=bool(constant[i]),
                cost=cost,
                cost_source=source,
                per_cost=None if per_cost is None or math.isinf(per_cost) else round(per_cost, 9),
                below_ratio=bool(
                    min_importance_per_cost is not None
                    and not is_exempt
                    and per_cost is not None
                    and per_cost < min_importance_per_cost
                ),
                ablation_drop=None if drops is None else round(drops[i], 6),
            )
        )
    flagged = [r.feature for r in rows if r.flagged]
    cost_verdict = _cost_verdict(rows, cost_key, min_importance_per_cost)
    passed = not flagged
    summary = (
        f"{len(names) - len(exempt)} features checked ({n_repeats} repeats, {confidence:.0%} intervals): "
        + ("no importance interval lies at or below " if passed else f"{len(flagged)} flagged at or below ")
        + f"{min_importance:g}"
        + (f"; {len(exempt)} exempt by declaration" if exempt else "")
    )
    return FeatureImportanceReport(
        passed=passed,
        summary=summary,
        metric="accuracy",
        baseline_score=round(baseline, 6),
        n_repeats=n_repeats,
        confidence=confidence,
        min_importance=min_importance,
        features=rows,
        flagged=flagged,
        exempt=sorted(exempt),
        cost=cost_verdict,
        ablation_baseline=None if ablation_base is None else round(ablation_base, 6),
    )


def _cost_verdict(rows: list[FeatureImportance], key: str, minimum: float | None) -> CostVerdict | None:
    if minimum is None:
        return None
    judged = [r for r in rows if not r.exempt]
    missing = [r.feature for r in judged if r.cost is None]
    below = [r.feature for r in judged if r.below_ratio]
    passed = not missing and not below
    if missing:
        summary = f"{len(missing)} feature(s) have no recorded {key} cost (declare it in the dataset's feature_costs)"
    elif below:
        summary = f"{len(below)} of {len(judged)} features below {minimum:g} importance per unit of {key}"
    else:
        summary = f"all {len(judged)} features reach {minimum:g} importance per unit of {key}"
    return CostVerdict(
        key=key, min_importance_per_cost=minimum, passed=passed, summary=summary, below=below, missing=missing
    )
