"""Drift between a reference dataset and a window of serving traffic, from the mergeable binned
summaries of :mod:`shipyard_ml.summaries`. Pure numpy and scipy; no Django.

:func:`feature_drift` computes, from a reference and a summary: KL divergence, PSI and
Jensen-Shannon distance on the coarse bins, the Kolmogorov-Smirnov statistic on the fine bins
(error at most the largest reference mass in one fine bin, 0.001 for 1,000 distinct quantiles)
with the asymptotic two-sided p-value scipy uses for large samples, and the Wasserstein-1
distance between per-bin means (each unit of mass moves at most one fine bin). When the raw
values are at hand and small (:func:`feature_drift_exact`) KS and Wasserstein are exact.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from shipyard_ml.summaries import FeatureReference, Kind, Reference, Summary, as_float, summarize_feature

METRICS = ("kl", "psi", "js", "ks", "ks_pvalue", "wasserstein", "wasserstein_norm")
DEFAULT_EPS = 1e-4
KSTWO_MAX_N = 2000

# --------------------------------------------------------------------------------------------
# Metrics on probability vectors / binned summaries
# --------------------------------------------------------------------------------------------


def proportions(counts: np.ndarray) -> np.ndarray:
    counts = np.asarray(counts, dtype=np.float64)
    total = counts.sum()
    return counts / total if total > 0 else np.zeros_like(counts)


def smooth(p: np.ndarray, eps: float = DEFAULT_EPS) -> np.ndarray:
    """Replace empty bins by ``eps`` and renormalise, so log-ratios are finite."""
    q = np.where(p > 0, p, eps)
    return q / q.sum()


def kl_divergence(reference: np.ndarray, current: np.ndarray, eps: float = DEFAULT_EPS) -> float:
    """KL(reference || current) in nats on smoothed bin proportions (scipy.stats.entropy)."""
    from scipy.stats import entropy

    return float(entropy(smooth(proportions(reference), eps), smooth(proportions(current), eps)))


def psi(reference: np.ndarray, current: np.ndarray, eps: float = DEFAULT_EPS) -> float:
    """Population stability index: sum((cur - ref) * ln(cur / ref)) on smoothed bin proportions."""
    p, q = smooth(proportions(reference), eps), smooth(proportions(current), eps)
    return float(np.sum((q - p) * np.log(q / p)))


def js_distance(reference: np.ndarray, current: np.ndarray) -> float:
    """Jensen-Shannon distance, natural log (scipy.spatial.distance.jensenshannon)."""
    from scipy.spatial.distance import jensenshannon

    p, q = proportions(reference), proportions(current)
    if p.sum() <= 0 or q.sum() <= 0:
        return math.nan
    return float(jensenshannon(p, q))


def ks_statistic_binned(reference_counts: np.ndarray, current_counts: np.ndarray) -> float:
    """max |F_ref - F_cur| at the bin edges."""
    a, b = np.cumsum(reference_counts, dtype=np.float64), np.cumsum(current_counts, dtype=np.float64)
    if not a.size or a[-1] <= 0 or b[-1] <= 0:
        return math.nan
    return float(np.clip(np.max(np.abs(a / a[-1] - b / b[-1])), 0.0, 1.0))


def ks_pvalue(statistic: float, n1: int, n2: int) -> float:
    """Two-sided asymptotic p-value: scipy.stats.ks_2samp's (kstwo) up to an effective size of
    KSTWO_MAX_N, Kolmogorov's limit distribution (kstwobign) above it."""
    if n1 <= 0 or n2 <= 0:
        return math.nan
    from scipy.special import kolmogorov

    m, n = sorted([float(n1), float(n2)], reverse=True)
    en = m * n / (m + n)
    if en <= KSTWO_MAX_N:
        from scipy.stats import distributions

        return float(np.clip(distributions.kstwo.sf(statistic, np.round(en)), 0.0, 1.0))
    # kstwo.sf costs up to seconds for large n; its limit distribution agrees to within ~1 % there.
    return float(np.clip(kolmogorov(statistic * math.sqrt(en)), 0.0, 1.0))


def wasserstein_atoms(
    u_values: np.ndarray, u_weights: np.ndarray, v_values: np.ndarray, v_weights: np.ndarray
) -> float:
    """Wasserstein-1 distance between two weighted point sets (scipy.stats.wasserstein_distance)."""
    from scipy.stats import wasserstein_distance

    u_weights, v_weights = np.asarray(u_weights, dtype=np.float64), np.asarray(v_weights, dtype=np.float64)
    keep_u, keep_v = u_weights > 0, v_weights > 0
    if not keep_u.any() or not keep_v.any():
        return math.nan
    u_values, v_values = np.asarray(u_values, dtype=np.float64), np.asarray(v_values, dtype=np.float64)
    return float(wasserstein_distance(u_values[keep_u], v_values[keep_v], u_weights[keep_u], v_weights[keep_v]))


# --------------------------------------------------------------------------------------------
# Per-feature drift
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeatureDrift:
    name: str
    kind: Kind
    n_reference: int
    n_current: int
    missing_current: int
    nonfinite_current: int
    metrics: dict[str, float | None]
    reference_hist: list[float]
    current_hist: list[float]
    hist_labels: list[str]
    exact: bool = False

    @property
    def no_data(self) -> bool:
        return self.n_current == 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "n_reference": self.n_reference,
            "n_current": self.n_current,
            "missing_current": self.missing_current,
            "nonfinite_current": self.nonfinite_current,
            "metrics": {k: _json_float(v) for k, v in self.metrics.items()},
            "reference_hist": self.reference_hist,
            "current_hist": self.current_hist,
            "hist_labels": self.hist_labels,
            "exact": self.exact,
        }


def _json_float(v: float | None) -> float | None:
    if v is None or not math.isfinite(v):
        return None
    return float(v)


def _group(counts: np.ndarray, mapping: np.ndarray, size: int | None = None) -> np.ndarray:
    return np.bincount(mapping, weights=counts, minlength=size or int(mapping.max()) + 1)


def feature_drift(ref: FeatureReference, current: Summary, *, eps: float = DEFAULT_EPS) -> FeatureDrift:
    """Every metric for one feature from the reference and a (merged) window summary."""
    n_coarse = int(ref.coarse_of_fine.max()) + 1
    n_display = int(ref.display_of_fine.max()) + 1
    ref_display = proportions(_group(ref.summary.counts, ref.display_of_fine, n_display))
    if current.n == 0:
        return FeatureDrift(
            name=ref.name,
            kind=ref.kind,
            n_reference=ref.n,
            n_current=0,
            missing_current=current.missing,
            nonfinite_current=current.nonfinite,
            metrics=dict.fromkeys(METRICS),
            reference_hist=ref_display.round(6).tolist(),
            current_hist=[0.0] * n_display,
            hist_labels=list(ref.display_labels),
        )
    ref_coarse = _group(ref.summary.counts, ref.coarse_of_fine, n_coarse)
    cur_coarse = _group(current.counts, ref.coarse_of_fine, n_coarse)
    metrics: dict[str, float | None] = {
        "kl": kl_divergence(ref_coarse, cur_coarse, eps),
        "psi": psi(ref_coarse, cur_coarse, eps),
        "js": js_distance(ref_coarse, cur_coarse),
        "ks": None,
        "ks_pvalue": None,
        "wasserstein": None,
        "wasserstein_norm": None,
    }
    if ref.kind == "numeric":
        ks = ks_statistic_binned(ref.summary.counts, current.counts)
        metrics["ks"] = ks
        metrics["ks_pvalue"] = ks_pvalue(ks, ref.n, current.n)
        w = _binned_wasserstein(ref.summary, current)
        metrics["wasserstein"] = w
        std = ref.std
        metrics["wasserstein_norm"] = w / std if std and std > 0 else None
    cur_display = proportions(_group(current.counts, ref.display_of_fine, n_display))
    return FeatureDrift(
        name=ref.name,
        kind=ref.kind,
        n_reference=ref.n,
        n_current=current.n,
        missing_current=current.missing,
        nonfinite_current=current.nonfinite,
        metrics=metrics,
        reference_hist=ref_display.round(6).tolist(),
        current_hist=cur_display.round(6).tolist(),
        hist_labels=list(ref.display_labels),
    )


def _bin_means(summary: Summary) -> tuple[np.ndarray, np.ndarray]:
    nz = summary.counts > 0
    return summary.sums[nz] / summary.counts[nz], summary.counts[nz].astype(np.float64)


def _binned_wasserstein(ref: Summary, cur: Summary) -> float:
    rv, rw = _bin_means(ref)
    cv, cw = _bin_means(cur)
    return wasserstein_atoms(rv, rw, cv, cw)


def feature_drift_exact(
    ref: FeatureReference, reference_values: np.ndarray, current_values: np.ndarray, *, eps: float = DEFAULT_EPS
) -> FeatureDrift:
    """Like :func:`feature_drift`, with KS (statistic and p-value) and Wasserstein from the raw values."""
    drift = feature_drift(ref, summarize_feature(ref, current_values), eps=eps)
    if ref.kind != "numeric" or drift.no_data:
        return drift
    from scipy.stats import ks_2samp

    a = as_float(reference_values)
    b = as_float(current_values)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    result = ks_2samp(a, b)
    w = wasserstein_atoms(a, np.ones_like(a), b, np.ones_like(b))
    std = float(np.std(a))
    metrics = {
        **drift.metrics,
        "ks": float(result.statistic),
        "ks_pvalue": float(result.pvalue),
        "wasserstein": w,
        "wasserstein_norm": w / std if std > 0 else None,
    }
    return replace(drift, metrics=metrics, exact=True)


def drift_report(
    reference: Reference, window: Mapping[str, Summary], *, eps: float = DEFAULT_EPS
) -> list[FeatureDrift]:
    """Drift for every reference feature; a feature missing from the window has no data."""
    return [feature_drift(f, window.get(f.name) or Summary.empty(f.n_bins), eps=eps) for f in reference.features]


# --------------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------------

OPERATORS = {
    "gt": lambda v, t: v > t,
    "gte": lambda v, t: v >= t,
    "lt": lambda v, t: v < t,
    "lte": lambda v, t: v <= t,
}


def rule_breached(value: float | None, operator: str, threshold: float) -> bool | None:
    """True when the value breaks the rule (alert), False when it holds, None without a value."""
    if value is None or not math.isfinite(value):
        return None
    return bool(OPERATORS[operator](value, threshold))
