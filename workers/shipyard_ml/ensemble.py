"""Combine the outputs of an ensemble's members, row by row. Pure: no Django.

``mean`` averages the members' class probabilities, ``weighted`` averages them with the given
weights, ``vote`` takes the label most members predict (ties go to the label with the highest mean
probability, else to the earliest member's). Members without probabilities (regressors) are
averaged (``mean``/``weighted``) or take the most frequent output (``vote``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from shipyard_ml.inference import BatchResult, InferenceError

COMBINE = ("mean", "weighted", "vote")


def combine(results: Sequence[BatchResult], how: str, weights: Sequence[float] | None = None) -> BatchResult:
    """One result for the ensemble from each member's result on the same rows."""
    if how not in COMBINE:
        raise InferenceError(f"unknown ensemble combination {how!r}")
    if not results:
        raise InferenceError("an ensemble needs members")
    n = len(results[0].outputs)
    if any(len(r.outputs) != n for r in results):
        raise InferenceError("ensemble members returned different row counts")
    w = np.asarray(weights if how == "weighted" and weights else [1.0] * len(results), dtype=np.float64)
    if len(w) != len(results) or not np.all(w >= 0) or w.sum() <= 0:
        raise InferenceError("ensemble weights must be one non-negative number per member, not all zero")
    w = w / w.sum()
    probs = [r.probabilities for r in results]
    if all(p is not None for p in probs):
        stacked = np.asarray(probs, dtype=np.float64)  # members x rows x classes
        if stacked.ndim != 3:
            raise InferenceError("ensemble members returned probabilities of different shapes")
        mean = np.tensordot(w, stacked, axes=1)  # rows x classes
        if how != "vote":
            labels = mean.argmax(axis=1)
            return BatchResult(
                outputs=labels.tolist(),
                probabilities=np.round(mean, 6).tolist(),
                confidence=np.round(mean.max(axis=1), 6).tolist(),
            )
        outputs: list[Any] = []
        confidence: list[float] = []
        for i in range(n):
            votes = Counter(_key(r.outputs[i]) for r in results)
            top = max(votes.values())
            tied = [label for label, c in votes.items() if c == top]
            label = max(tied, key=lambda lab: mean[i, lab] if isinstance(lab, int) and 0 <= lab < mean.shape[1] else -1)
            outputs.append(label)
            confidence.append(round(top / len(results), 6))
        return BatchResult(outputs=outputs, probabilities=np.round(mean, 6).tolist(), confidence=confidence)
    if how == "vote":
        outputs = []
        for i in range(n):
            votes = Counter(_key(r.outputs[i]) for r in results)
            top = max(votes.values())
            outputs.append(next(_key(r.outputs[i]) for r in results if votes[_key(r.outputs[i])] == top))
        return BatchResult(outputs=outputs)
    try:
        values = np.asarray([r.outputs for r in results], dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InferenceError(f"cannot average the members' outputs: {exc}") from exc
    return BatchResult(outputs=np.tensordot(w, values, axes=1).tolist())


def _key(value: Any) -> Any:
    """A hashable form of one output (a list output becomes a tuple)."""
    return tuple(value) if isinstance(value, list) else value
