"""Mergeable binned summaries of features: the reference a deployment is compared with, and the
per-bucket summaries of its serving traffic. Pure numpy; no Django.

* :func:`build_reference` bins each reference feature once. Numbers get *fine* quantile bins
  (default 1,000: each holds about 0.1 % of the reference), grouped into *coarse* quantile bins
  (default 10) for the divergences and into equal-width *display* bins for pictures. Two extra
  bins hold values below the reference minimum and above its maximum. Categoricals get one bin per
  reference category (the most frequent ``max_categories``) plus one overflow bin for unseen values.
* :func:`summarize` turns a batch of serving values into a :class:`Summary`: per-bin counts and
  per-bin sums, missing/non-finite counts and the finite min/max. Summaries are *mergeable*
  (:func:`merge`): the summary of a concatenation equals the merge of the summaries, so a window is
  the merge of small per-bucket summaries and a drift check costs O(bins), not O(rows logged).

:mod:`shipyard_ml.drift` computes the drift metrics from them.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

Kind = Literal["numeric", "categorical"]
OVERFLOW = "__other__"
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

    x = as_float(values)
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


def as_float(values: Sequence[Any] | np.ndarray) -> np.ndarray:
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
    x = np.ascontiguousarray(as_float(values).ravel())
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
