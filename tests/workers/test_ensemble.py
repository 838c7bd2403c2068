"""Combining an ensemble's member outputs: mean, weighted mean and majority vote."""

from __future__ import annotations

import pytest

from shipyard_ml.ensemble import combine
from shipyard_ml.inference import BatchResult, InferenceError

A = BatchResult(outputs=[0, 1], probabilities=[[0.9, 0.1], [0.4, 0.6]], confidence=[0.9, 0.6])
B = BatchResult(outputs=[1, 0], probabilities=[[0.2, 0.8], [0.7, 0.3]], confidence=[0.8, 0.7])
C = BatchResult(outputs=[1, 1], probabilities=[[0.3, 0.7], [0.45, 0.55]], confidence=[0.7, 0.55])


def test_mean_of_probabilities() -> None:
    out = combine([A, B], "mean")
    assert out.probabilities == [[0.55, 0.45], [0.55, 0.45]]
    assert out.outputs == [0, 0] and out.confidence == [0.55, 0.55]


def test_weighted_mean() -> None:
    out = combine([A, B], "weighted", [3.0, 1.0])
    assert out.probabilities is not None
    assert [v for row in out.probabilities for v in row] == pytest.approx([0.725, 0.275, 0.475, 0.525])
    assert out.outputs == [0, 1]


def test_majority_vote_and_its_tie_break() -> None:
    out = combine([A, B, C], "vote")
    assert out.outputs == [1, 1]  # row 0: B and C say 1; row 1: A and C say 1
    assert out.confidence == pytest.approx([2 / 3, 2 / 3])
    # a tie goes to the label with the higher mean probability (row 0: 0.55 for 0)
    assert combine([A, B], "vote").outputs == [0, 0]


def test_regressors_are_averaged() -> None:
    out = combine([BatchResult(outputs=[1.0, 2.0]), BatchResult(outputs=[3.0, 4.0])], "mean")
    assert out.outputs == [2.0, 3.0] and out.probabilities is None


def test_bad_combinations_are_refused() -> None:
    with pytest.raises(InferenceError):
        combine([A, B], "median")
    with pytest.raises(InferenceError):
        combine([A, BatchResult(outputs=[1])], "mean")
    with pytest.raises(InferenceError):
        combine([A, B], "weighted", [0.0, 0.0])
