"""Outlier detection for served requests: a Mahalanobis-distance detector fitted with
scikit-learn's Ledoit-Wolf covariance estimator. Pure: no Django.

Why Mahalanobis with Ledoit-Wolf (and not an isolation forest): scoring a batch is one matrix
product, so the serving worker can score every request at almost no cost, and the shrunk
covariance stays well-conditioned when features are constant or collinear (the digits' border
pixels are always 0, which makes the empirical covariance singular). The detector is saved as
plain arrays (``.npz`` loaded with ``allow_pickle=False``), never as a pickle.

The threshold is a quantile (default 0.99) of the training rows' own distances, so about 1 % of
data like the training set is flagged.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class Detector:
    location: np.ndarray  # (features,)
    precision: np.ndarray  # (features, features)
    threshold: float  # Mahalanobis distance above which a row is an outlier
    quantile: float
    rows: int

    def score(self, batch: np.ndarray) -> np.ndarray:
        """Each row's Mahalanobis distance (the square root of sklearn's ``mahalanobis``)."""
        centered = np.asarray(batch, dtype=np.float64) - self.location
        squared = np.einsum("ij,jk,ik->i", centered, self.precision, centered)
        return np.sqrt(np.maximum(squared, 0.0))

    def dumps(self) -> bytes:
        buffer = io.BytesIO()
        np.savez(
            buffer,
            location=self.location,
            precision=self.precision,
            meta=np.asarray([self.threshold, self.quantile, float(self.rows)]),
        )
        return buffer.getvalue()

    @classmethod
    def load(cls, path: Path) -> Detector:
        with np.load(path, allow_pickle=False) as data:
            threshold, quantile, rows = (float(v) for v in data["meta"])
            return cls(data["location"], data["precision"], threshold, quantile, int(rows))


def fit(x: np.ndarray, quantile: float = 0.99) -> Detector:
    """Fit on the training rows ``x`` (rows x features, no missing values)."""
    from sklearn.covariance import LedoitWolf

    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 1:
        raise ValueError("need at least two training rows of one feature or more")
    if not np.all(np.isfinite(x)):
        raise ValueError("the training rows hold missing or infinite values")
    estimator = LedoitWolf().fit(x)
    distances = np.sqrt(np.maximum(estimator.mahalanobis(x), 0.0))
    return Detector(
        location=estimator.location_,
        precision=estimator.get_precision(),
        threshold=float(np.quantile(distances, quantile)),
        quantile=quantile,
        rows=int(x.shape[0]),
    )


class DetectorCache:
    """Detectors loaded by the serving worker, by artifact key (least recently used dropped)."""

    def __init__(self, capacity: int = 32) -> None:
        self.capacity = capacity
        self._items: OrderedDict[str, Detector] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, path: Path) -> Detector:
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                return hit
        detector = Detector.load(path)
        with self._lock:
            self._items[key] = detector
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)
        return detector
