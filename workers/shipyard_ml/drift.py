"""Drift between a reference dataset and a window of serving traffic, from mergeable binned summaries.

Pure numpy (and scipy for two p-value distributions); no Django. The shape of the computation:

* :func:`build_reference` bins each reference feature once. Numbers get *fine* quantile bins
  (default 1,000: each holds about 0.1 % of the reference), grouped into *coarse* quantile bins
  (default 10) for the divergences and into equal-width *display* bins for pictures. Two extra
  bins hold values below the reference minimum and above its maximum. Categoricals get one bin per
  reference category (the most frequent ``max_categories``) plus one overflow bin for unseen values.
* :func:`summarize` turns a batch of serving values into a :class:`Summary`: per-bin counts and
  per-bin sums, missing/non-finite counts and the finite min/max. Summaries are *mergeable*
  (:func:`merge`): the summary of a concatenation equals the merge of the summaries, so a window is
  the merge of small per-bucket summaries and a drift check costs O(bins), not O(rows logged).
* :func:`feature_drift` computes, from a reference and a summary: KL divergence, PSI and
  Jensen-Shannon distance on the coarse bins, the Kolmogorov-Smirnov statistic on the fine bins
  (error at most the largest reference mass in one fine bin, 0.001 for 1,000 distinct quantiles)
  with the asymptotic two-sided p-value scipy uses for large samples, and the Wasserstein-1
  distance between per-bin means (each unit of mass moves at most one fine bin). When the raw
  values are at hand and small (:func:`feature_drift_exact`) KS and Wasserstein are exact.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

Kind = Literal["numeric", "categorical"]
METRICS = ("kl", "psi", "js", "ks", "ks_pvalue", "wasserstein", "wasserstein_norm")
DEFAULT_EPS = 1e-4
OVERFLOW = "__other__"
KSTWO_MAX_N = 2000
MISSING_STRINGS = frozenset({"", "nan", "None", "null", "NaN"})


# --------------------------------------------------------------------------------------------
# Reference
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeatureReference:
    """How one feature is binned, and the reference's own summary over those bins."""

    name: str
    kind: Kind
    # numeric: fine edges; bins are (-inf, e0), [e0, e0] ... see `_bin_numeric`; empty for categoricals
    edges: np.ndarray = field(repr=False)
    categories: tuple[str, ...]
    coarse_of_fine: np.ndarray = field(repr=False)  # fine bin -> coarse bin (divergences)
    display_of_fine: np.ndarray = field(repr=False)  # fine bin -> display bin (pictures)
    coarse_labels: tuple[str, ...]
    display_labels: tuple[str, ...]
    summary: Summary

    @property
    def n_bins(self) -> int:
        return len(self.categories) + 1 if self.kind == "categorical" else len(self.edges) + 1

    @property
    def n(self) -> int:
        return self.summary.n

    @property
    def std(self) -> float:
        return self.summary.std

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "edges": self.edges.tolist(),
            "categories": list(self.categories),
            "coarse_of_fine": self.coarse_of_fine.tolist(),
            "display_of_fine": self.display_of_fine.tolist(),
            "coarse_labels": list(self.coarse_labels),
            "display_labels": list(self.display_labels),
            "summary": self.summary.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeatureReference:
        return cls(
            name=data["name"],
            kind=data["kind"],
            edges=np.asarray(data["edges"], dtype=np.float64),
            categories=tuple(data["categories"]),
            coarse_of_fine=np.asarray(data["coarse_of_fine"], dtype=np.int64),
            display_of_fine=np.asarray(data["display_of_fine"], dtype=np.int64),
            coarse_labels=tuple(data["coarse_labels"]),
            display_labels=tuple(data["display_labels"]),
            summary=Summary.from_dict(data["summary"]),
        )


@dataclass(frozen=True)
class Reference:
    features: tuple[FeatureReference, ...]

    def names(self) -> list[str]:
        return [f.name for f in self.features]

    def get(self, name: str) -> FeatureReference:
        for feature in self.features:
            if feature.name == name:
                return feature
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {"features": [f.to_dict() for f in self.features]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Reference:
        return cls(features=tuple(FeatureReference.from_dict(f) for f in data["features"]))


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def build_feature_reference(
    name: str,
    values: Sequence[Any] | np.ndarray,
    *,
    kind: Kind | None = None,
    fine_bins: int = 1000,
    coarse_bins: int = 10,
    display_bins: int = 20,
    max_categories: int = 50,
) -> FeatureReference:
    """Bin one reference feature. ``kind`` defaults to numeric when every present value is a number."""
    if kind is None:
        kind = infer_kind(values)
    if kind == "categorical":
        strings = _as_strings(values)
        present = strings[~_missing_strings(strings)]
        cats, counts = np.unique(present, return_counts=True)
        order = np.lexsort((cats, -counts))[:max_categories]
        categories = tuple(str(c) for c in cats[order])
        n_bins = len(categories) + 1
        ident = np.arange(n_bins, dtype=np.int64)
        labels = (*categories, OVERFLOW)
        stub = FeatureReference(
            name=name,
            kind="categorical",
            edges=np.empty(0),
            categories=categories,
            coarse_of_fine=ident,
            display_of_fine=ident,
            coarse_labels=labels,
            display_labels=labels,
            summary=Summary.empty(n_bins),
        )
        return _with_summary(stub, summarize_feature(stub, values))

    x = _as_float(values)
    finite = x[np.isfinite(x)]
    if finite.size == 0:
        raise ValueError(f"reference feature '{name}' has no finite values")
    coarse_bins = max(1, min(coarse_bins, fine_bins))
    fine_bins = max(coarse_bins, fine_bins - fine_bins % coarse_bins)  # coarse levels are fine levels
    levels = np.arange(fine_bins + 1, dtype=np.float64) / fine_bins
    quantiles = _quantiles(finite, levels)
    uniq = np.unique(quantiles)
    below = np.nextafter(uniq[0], -np.inf)
    edges = np.concatenate([[below], uniq])
    # Coarse edges: a subset of the fine edges (same quantile levels), so every fine bin lies inside one.
    coarse_q = np.unique(quantiles[:: fine_bins // coarse_bins])
    coarse_edges = np.concatenate([[below], coarse_q])
    # fine bin i (i < len(edges)) has right edge edges[i]; the last fine bin is "above max".
    coarse_of_fine = np.concatenate([np.searchsorted(coarse_edges, edges, side="left"), [len(coarse_edges)]])
    # Merge the single-atom bin [min, min] into the first quantile bin when there is one.
    if len(coarse_edges) > 2:
        coarse_of_fine = np.where(coarse_of_fine >= 2, coarse_of_fine - 1, coarse_of_fine)
        coarse_right = coarse_edges[2:]
    else:
        coarse_right = coarse_edges[1:]
    coarse_labels = (
        f"< {_fmt(uniq[0])}",
        *(
            f"{_fmt(lo)} – {_fmt(hi)}"
            for lo, hi in zip(np.concatenate([[uniq[0]], coarse_right[:-1]]), coarse_right, strict=True)
        ),
        f"> {_fmt(uniq[-1])}",
    )
    # Display: equal-width bins over [min, max] by fine-bin midpoint, plus the two overflow bins.
    lo, hi = float(uniq[0]), float(uniq[-1])
    width = (hi - lo) / display_bins if hi > lo else 1.0
    mids = np.concatenate([[lo], (edges[1:-1] + edges[2:]) / 2]) if len(edges) > 1 else np.array([lo])
    inner = np.clip(np.floor((mids - lo) / width).astype(np.int64), 0, display_bins - 1) + 1
    display_of_fine = np.concatenate([[0], inner, [display_bins + 1]])
    display_labels = (
        f"< {_fmt(lo)}",
        *(_fmt(lo + width * (i + 0.5)) for i in range(display_bins)),
        f"> {_fmt(hi)}",
    )
    stub = FeatureReference(
        name=name,
        kind="numeric",
        edges=edges,
        categories=(),
        coarse_of_fine=coarse_of_fine.astype(np.int64),
        display_of_fine=display_of_fine.astype(np.int64),
        coarse_labels=coarse_labels,
        display_labels=display_labels,
        summary=Summary.empty(len(edges) + 1),
    )
    return _with_summary(stub, summarize_feature(stub, x))


def _quantiles(values: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """np.quantile(values, levels) (linear interpolation) from one sort."""
    ordered = np.sort(values)
    pos = levels * (ordered.size - 1)
    below = np.floor(pos).astype(np.intp)
    above = np.minimum(below + 1, ordered.size - 1)
    frac = pos - below
    out = ordered[below] + (ordered[above] - ordered[below]) * frac
    out[0], out[-1] = ordered[0], ordered[-1]
    return np.maximum.accumulate(out)


def _with_summary(ref: FeatureReference, summary: Summary) -> FeatureReference:
    return FeatureReference(
        name=ref.name,
        kind=ref.kind,
        edges=ref.edges,
        categories=ref.categories,
        coarse_of_fine=ref.coarse_of_fine,
        display_of_fine=ref.display_of_fine,
        coarse_labels=ref.coarse_labels,
        display_labels=ref.display_labels,
        summary=summary,
    )


def build_reference(
    columns: Mapping[str, Sequence[Any] | np.ndarray],
    *,
    kinds: Mapping[str, Kind] | None = None,
    fine_bins: int = 1000,
    coarse_bins: int = 10,
    display_bins: int = 20,
) -> Reference:
    kinds = kinds or {}
    return Reference(
        features=tuple(
            build_feature_reference(
                name,
                values,
                kind=kinds.get(name),
                fine_bins=fine_bins,
                coarse_bins=coarse_bins,
                display_bins=display_bins,
            )
            for name, values in columns.items()
        )
    )


def infer_kind(values: Sequence[Any] | np.ndarray) -> Kind:
    arr = np.asarray(values)
    if arr.dtype.kind in "fiub":
        return "numeric"
    for v in arr.ravel()[:1000]:
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, int | float | np.number):
            return "categorical"
    return "numeric"


# --------------------------------------------------------------------------------------------
# Summaries (mergeable)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    """Per-bin counts and sums of one feature over some rows; merge() is exact and associative."""

    counts: np.ndarray  # int64, one per fine bin (finite/present values only)
    sums: np.ndarray  # float64, sum of the values in each bin (numeric) — zeros for categoricals
    missing: int = 0  # None / NaN / empty
    nonfinite: int = 0  # +-inf
    min: float = math.inf
    max: float = -math.inf

    @classmethod
    def empty(cls, n_bins: int) -> Summary:
        return cls(counts=np.zeros(n_bins, dtype=np.int64), sums=np.zeros(n_bins, dtype=np.float64))

    @property
    def n(self) -> int:
        return int(self.counts.sum())

    @property
    def total(self) -> int:
        return self.n + self.missing + self.nonfinite

    @property
    def mean(self) -> float:
        n = self.n
        return float(self.sums.sum() / n) if n else math.nan

    @property
    def std(self) -> float:
        """Standard deviation of the per-bin means (a close lower bound of the true one)."""
        n = self.n
        if not n:
            return math.nan
        nz = self.counts > 0
        means = self.sums[nz] / self.counts[nz]
        mu = float(self.sums.sum() / n)
        return float(np.sqrt(np.sum(self.counts[nz] * (means - mu) ** 2) / n))

    def merge(self, other: Summary) -> Summary:
        return merge([self, other])

    def to_dict(self) -> dict[str, Any]:
        return {
            "counts": self.counts.tolist(),
            "sums": self.sums.tolist(),
            "missing": self.missing,
            "nonfinite": self.nonfinite,
            "min": None if math.isinf(self.min) else self.min,
            "max": None if math.isinf(self.max) else self.max,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Summary:
        return cls(
            counts=np.asarray(data["counts"], dtype=np.int64),
            sums=np.asarray(data["sums"], dtype=np.float64),
            missing=int(data.get("missing", 0)),
            nonfinite=int(data.get("nonfinite", 0)),
            min=math.inf if data.get("min") is None else float(data["min"]),
            max=-math.inf if data.get("max") is None else float(data["max"]),
        )


def merge(summaries: Iterable[Summary]) -> Summary:
    items = list(summaries)
    if not items:
        raise ValueError("nothing to merge")
    return Summary(
        counts=np.asarray(np.sum([s.counts for s in items], axis=0, dtype=np.int64)),
        sums=np.asarray(np.sum([s.sums for s in items], axis=0, dtype=np.float64)),
        missing=sum(s.missing for s in items),
        nonfinite=sum(s.nonfinite for s in items),
        min=min(s.min for s in items),
        max=max(s.max for s in items),
    )


def _as_float(values: Sequence[Any] | np.ndarray) -> np.ndarray:
    arr = np.asarray(values)
    if arr.dtype.kind in "fiub":
        return arr.astype(np.float64, copy=False)
    out = np.empty(arr.shape, dtype=np.float64)
    for i, v in enumerate(arr.ravel()):
        try:
            out[i] = math.nan if v is None or isinstance(v, bool) else float(v)
        except (TypeError, ValueError):
            out[i] = math.nan
    return out


def _as_strings(values: Sequence[Any] | np.ndarray) -> np.ndarray:
    arr = np.asarray(values, dtype=object).ravel()
    return np.array(["" if v is None else _category_str(v) for v in arr], dtype=object).astype(str)


def _category_str(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _missing_strings(strings: np.ndarray) -> np.ndarray:
    return np.isin(strings, list(MISSING_STRINGS))


def summarize_feature(ref: FeatureReference, values: Sequence[Any] | np.ndarray) -> Summary:
    n_bins = ref.n_bins
    if ref.kind == "categorical":
        strings = _as_strings(values)
        miss = _missing_strings(strings)
        present = strings[~miss]
        uniq, inverse = np.unique(present, return_inverse=True)
        lookup = {c: i for i, c in enumerate(ref.categories)}
        idx_of_uniq = np.array([lookup.get(str(u), n_bins - 1) for u in uniq], dtype=np.int64)
        idx = idx_of_uniq[inverse] if present.size else np.empty(0, dtype=np.int64)
        counts = np.bincount(idx, minlength=n_bins).astype(np.int64)
        return Summary(counts=counts, sums=np.zeros(n_bins), missing=int(miss.sum()))
    x = np.ascontiguousarray(_as_float(values).ravel())
    finite = np.isfinite(x)
    n_nan = n_inf = 0
    if not finite.all():
        n_nan = int(np.isnan(x).sum())
        n_inf = int((~finite).sum()) - n_nan
        x = x[finite]
    idx = _bin_index(ref, x)
    counts = np.bincount(idx, minlength=n_bins).astype(np.int64)
    sums = np.bincount(idx, weights=x, minlength=n_bins)
    return Summary(
        counts=counts,
        sums=sums,
        missing=n_nan,
        nonfinite=n_inf,
        min=float(x.min()) if x.size else math.inf,
        max=float(x.max()) if x.size else -math.inf,
    )


_LOOKUPS: dict[int, tuple[np.ndarray, np.ndarray, float, float]] = {}


def _lookup(ref: FeatureReference) -> tuple[np.ndarray, np.ndarray, float, float]:
    """A uniform grid over the reference range: for each cell, a lower bound of the bin index."""
    key = id(ref.edges)
    cached = _LOOKUPS.get(key)
    if cached is not None and cached[0] is ref.edges:
        return cached
    edges = ref.edges
    lo, hi = float(edges[0]), float(edges[-1])
    cells = 16 * len(edges)
    scale = cells / (hi - lo) if hi > lo else 0.0
    # Cell c's bound comes from the start of cell c-1, so an off-by-one cell from rounding is harmless.
    starts = lo + (np.arange(cells, dtype=np.float64) - 1) / scale if scale else np.full(cells, lo)
    table = np.searchsorted(edges, starts, side="left").astype(np.intp)
    entry = (edges, table, lo, scale)
    if len(_LOOKUPS) > 4096:
        _LOOKUPS.clear()
    _LOOKUPS[key] = entry
    return entry


def _bin_index(ref: FeatureReference, x: np.ndarray) -> np.ndarray:
    """= np.searchsorted(ref.edges, x, side="left") for finite x, several times faster on large arrays."""
    edges = ref.edges
    if x.size < 4096 or len(edges) < 2:
        return np.searchsorted(edges, x, side="left")
    _, table, lo, scale = _lookup(ref)
    cell = np.clip((x - lo) * scale, 0, len(table) - 1).astype(np.intp)
    idx = table[cell]
    ext = np.append(edges, np.inf)
    for _ in range(4):
        behind = x > ext[idx]
        if not behind.any():
            return idx
        idx += behind
    behind = x > ext[idx]
    if behind.any():
        idx[behind] = np.searchsorted(edges, x[behind], side="left")
    return idx


def summarize(reference: Reference, columns: Mapping[str, Sequence[Any] | np.ndarray]) -> dict[str, Summary]:
    """Summaries for every reference feature present in ``columns``."""
    return {f.name: summarize_feature(f, columns[f.name]) for f in reference.features if f.name in columns}


def summarize_matrix(reference: Reference, matrix: np.ndarray) -> dict[str, Summary]:
    """Summaries of a (rows x features) numeric matrix whose columns follow the reference's order."""
    return {f.name: summarize_feature(f, matrix[:, i]) for i, f in enumerate(reference.features)}


def merge_windows(windows: Iterable[Mapping[str, Summary]]) -> dict[str, Summary]:
    grouped: dict[str, list[Summary]] = {}
    for window in windows:
        for name, summary in window.items():
            grouped.setdefault(name, []).append(summary)
    return {name: merge(items) for name, items in grouped.items()}


# Compact binary form for storage: zlib-compressed int64 counts + float64 sums.
def pack(summary: Summary) -> bytes:
    head = np.array([summary.missing, summary.nonfinite, len(summary.counts)], dtype=np.int64)
    bounds = np.array([summary.min, summary.max], dtype=np.float64)
    return zlib.compress(head.tobytes() + bounds.tobytes() + summary.counts.tobytes() + summary.sums.tobytes(), 1)


def unpack(blob: bytes) -> Summary:
    raw = zlib.decompress(blob)
    missing, nonfinite, n = np.frombuffer(raw[:24], dtype=np.int64)
    lo, hi = np.frombuffer(raw[24:40], dtype=np.float64)
    counts = np.frombuffer(raw[40 : 40 + 8 * n], dtype=np.int64).copy()
    sums = np.frombuffer(raw[40 + 8 * n : 40 + 16 * n], dtype=np.float64).copy()
    return Summary(
        counts=counts, sums=sums, missing=int(missing), nonfinite=int(nonfinite), min=float(lo), max=float(hi)
    )


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
    """KL(reference || current) in nats on smoothed bin proportions (= scipy.stats.entropy)."""
    p, q = smooth(proportions(reference), eps), smooth(proportions(current), eps)
    return float(np.sum(p * np.log(p / q)))


def psi(reference: np.ndarray, current: np.ndarray, eps: float = DEFAULT_EPS) -> float:
    """Population stability index: sum((cur - ref) * ln(cur / ref)) on smoothed bin proportions."""
    p, q = smooth(proportions(reference), eps), smooth(proportions(current), eps)
    return float(np.sum((q - p) * np.log(q / p)))


def js_distance(reference: np.ndarray, current: np.ndarray) -> float:
    """Jensen-Shannon distance (natural log; = scipy.spatial.distance.jensenshannon)."""
    p, q = proportions(reference), proportions(current)
    m = (p + q) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(p > 0, p * np.log(p / m), 0.0)
        b = np.where(q > 0, q * np.log(q / m), 0.0)
    return float(np.sqrt(max(0.0, (a.sum() + b.sum()) / 2)))


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
    """Wasserstein-1 distance between two weighted point sets (= scipy.stats.wasserstein_distance)."""
    u_values, v_values = np.asarray(u_values, dtype=np.float64), np.asarray(v_values, dtype=np.float64)
    u_weights, v_weights = np.asarray(u_weights, dtype=np.float64), np.asarray(v_weights, dtype=np.float64)
    keep_u, keep_v = u_weights > 0, v_weights > 0
    u_values, u_weights, v_values, v_weights = u_values[keep_u], u_weights[keep_u], v_values[keep_v], v_weights[keep_v]
    if not u_values.size or not v_values.size:
        return math.nan
    u_order, v_order = np.argsort(u_values), np.argsort(v_values)
    u_values, u_weights = u_values[u_order], u_weights[u_order]
    v_values, v_weights = v_values[v_order], v_weights[v_order]
    all_values = np.concatenate([u_values, v_values])
    all_values.sort(kind="mergesort")
    deltas = np.diff(all_values)
    u_cum = np.concatenate([[0.0], np.cumsum(u_weights)])
    v_cum = np.concatenate([[0.0], np.cumsum(v_weights)])
    u_cdf = u_cum[np.searchsorted(u_values, all_values[:-1], side="right")] / u_cum[-1]
    v_cdf = v_cum[np.searchsorted(v_values, all_values[:-1], side="right")] / v_cum[-1]
    return float(np.sum(np.abs(u_cdf - v_cdf) * deltas))


def ks_exact(a: np.ndarray, b: np.ndarray) -> float:
    """Exact two-sample KS statistic from raw values (= scipy.stats.ks_2samp(...).statistic)."""
    a, b = np.sort(np.asarray(a, dtype=np.float64)), np.sort(np.asarray(b, dtype=np.float64))
    if not a.size or not b.size:
        return math.nan
    both = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, both, side="right") / a.size
    cdf_b = np.searchsorted(b, both, side="right") / b.size
    return float(np.max(np.abs(cdf_a - cdf_b)))


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

    a = _as_float(reference_values)
    b = _as_float(current_values)
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
