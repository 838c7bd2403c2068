"""The Mahalanobis outlier detector: the same distances as scikit-learn's, about 1 % of the
training rows above the 0.99 threshold, noise far above it, and a pickle-free file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.covariance import LedoitWolf
from sklearn.datasets import load_digits

from shipyard_ml.outliers import Detector, DetectorCache, fit


def test_fit_score_and_round_trip(tmp_path: Path) -> None:
    x, _ = load_digits(return_X_y=True)
    detector = fit(x, quantile=0.99)
    expected = np.sqrt(LedoitWolf().fit(x).mahalanobis(x[:50]))
    assert np.allclose(detector.score(x[:50]), expected, rtol=1e-9)
    flagged = (detector.score(x) > detector.threshold).mean()
    assert 0.005 <= flagged <= 0.015
    noise = np.random.default_rng(0).uniform(0, 16, size=(20, 64))
    assert (detector.score(noise) > detector.threshold).all()
    path = tmp_path / "detector.npz"
    path.write_bytes(detector.dumps())
    loaded = DetectorCache().get("k", path)
    assert np.allclose(loaded.score(x[:5]), detector.score(x[:5])) and loaded.threshold == detector.threshold
    assert loaded.rows == len(x) and loaded.quantile == 0.99
    assert Detector.load(path).threshold == detector.threshold


def test_bad_training_rows_are_refused() -> None:
    with pytest.raises(ValueError):
        fit(np.zeros((1, 3)))
    with pytest.raises(ValueError):
        fit(np.array([[1.0, np.nan], [2.0, 3.0]]))
