"""Drift metrics against scipy and hand computations; mergeable summaries against full recomputation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import jensenshannon
from scipy.stats import entropy, ks_2samp, wasserstein_distance

from shipyard_ml import drift, summaries

RNG = np.random.default_rng(7)


# ---------------------------------------------------------------- metric functions on counts


def test_kl_psi_js_against_scipy_and_hand():
    ref = np.array([10, 20, 30, 40, 0])
    cur = np.array([25, 25, 25, 20, 5])
    p = drift.smooth(ref / ref.sum())
    q = drift.smooth(cur / cur.sum())
    assert drift.kl_divergence(ref, cur) == pytest.approx(entropy(p, q), rel=1e-12)
    assert drift.psi(ref, cur) == pytest.approx(float(np.sum((q - p) * np.log(q / p))), rel=1e-12)
    assert drift.js_distance(ref, cur) == pytest.approx(jensenshannon(ref / ref.sum(), cur / cur.sum()), rel=1e-12)


def test_hand_computed_values():
    # Two bins, 50/50 vs 25/75.
    ref, cur = np.array([50, 50]), np.array([25, 75])
    assert drift.kl_divergence(ref, cur) == pytest.approx(0.5 * math.log(0.5 / 0.25) + 0.5 * math.log(0.5 / 0.75))
    assert drift.psi(ref, cur) == pytest.approx(
        (0.25 - 0.5) * math.log(0.25 / 0.5) + (0.75 - 0.5) * math.log(0.75 / 0.5)
    )
    m = np.array([0.375, 0.625])
    jsd = 0.5 * (0.5 * math.log(0.5 / m[0]) + 0.5 * math.log(0.5 / m[1])) + 0.5 * (
        0.25 * math.log(0.25 / m[0]) + 0.75 * math.log(0.75 / m[1])
    )
    assert drift.js_distance(ref, cur) == pytest.approx(math.sqrt(jsd))
    assert drift.ks_statistic_binned(ref, cur) == pytest.approx(0.25)
    # Identical distributions: every divergence is zero.
    assert drift.kl_divergence(ref, ref) == 0
    assert drift.psi(ref, ref) == 0
    assert drift.js_distance(ref, ref) == 0


def test_wasserstein_atoms_against_scipy():
    u, v = RNG.normal(size=300), RNG.normal(1, 2, size=200)
    uw, vw = RNG.random(300), RNG.random(200)
    assert drift.wasserstein_atoms(u, uw, v, vw) == pytest.approx(wasserstein_distance(u, v, uw, vw), rel=1e-10)
    assert drift.wasserstein_atoms(u, np.ones(300), v, np.ones(200)) == pytest.approx(
        wasserstein_distance(u, v), rel=1e-10
    )
    # Zero-weight atoms are dropped; an empty side has no distance.
    assert math.isnan(drift.wasserstein_atoms(u, np.zeros(300), v, vw))
    assert drift.wasserstein_atoms(np.array([0.0, 1.0]), np.array([1.0, 0.0]), np.array([1.0]), np.ones(1)) == 1.0


def test_ks_pvalue_against_scipy():
    # Effective size 1,500 * 2,000 / 3,500 = 857 <= KSTWO_MAX_N: scipy's own asymptotic formula.
    a, b = RNG.normal(size=1500), RNG.normal(0.1, 1.1, size=2000)
    expected = ks_2samp(a, b, method="asymp")
    assert drift.ks_pvalue(expected.statistic, a.size, b.size) == pytest.approx(expected.pvalue, rel=1e-9)


@pytest.mark.parametrize("d", [0.002, 0.004, 0.008])
def test_ks_pvalue_large_samples_close_to_scipy(d):
    from scipy.stats import distributions

    n1, n2 = 100_000, 1_000_000
    en = round(n1 * n2 / (n1 + n2))
    assert drift.ks_pvalue(d, n1, n2) == pytest.approx(distributions.kstwo.sf(d, en), rel=0.02)


@pytest.mark.parametrize("maker", ["normal", "lognormal", "outliers", "discrete"])
def test_fast_binning_equals_searchsorted(maker):
    rng = np.random.default_rng(3)
    ref_values = {
        "normal": rng.normal(size=20_000),
        "lognormal": rng.lognormal(0, 2, size=20_000),
        "outliers": np.concatenate([rng.normal(size=20_000), [1e12, -1e9, 3e15]]),
        "discrete": rng.integers(0, 7, size=20_000).astype(float),
    }[maker]
    ref = summaries.build_feature_reference("x", ref_values)
    values = np.concatenate([rng.choice(ref_values, 30_000) * rng.choice([1, 1.5], 30_000), ref.edges, [-1e300, 1e300]])
    assert np.array_equal(summaries._bin_index(ref, values), np.searchsorted(ref.edges, values, side="left"))
    assert np.allclose(
        summaries._quantiles(ref_values, np.linspace(0, 1, 101)), np.quantile(ref_values, np.linspace(0, 1, 101))
    )


# ---------------------------------------------------------------- binned report vs scipy on raw data


@pytest.mark.parametrize(
    "shift,scale",
    [(0.0, 1.0), (0.3, 1.0), (0.0, 1.5), (2.0, 0.5), (10.0, 1.0)],
)
def test_binned_ks_and_wasserstein_close_to_exact(shift, scale):
    ref_values = RNG.normal(size=50_000)
    cur_values = RNG.normal(shift, scale, size=20_000)
    ref = summaries.build_feature_reference("x", ref_values)
    result = drift.feature_drift(ref, summaries.summarize_feature(ref, cur_values))
    exact = ks_2samp(ref_values, cur_values)
    assert abs(result.metrics["ks"] - exact.statistic) <= 0.002
    w = wasserstein_distance(ref_values, cur_values)
    # Every unit of mass moves at most one fine bin (about 0.1 % of the reference).
    assert result.metrics["wasserstein"] == pytest.approx(w, abs=0.01 + 0.01 * w)
    assert result.metrics["wasserstein_norm"] == pytest.approx(w / ref_values.std(), abs=0.02 + 0.02 * w)
    if shift == 10.0:
        assert result.metrics["ks"] == 1.0
        assert result.metrics["ks_pvalue"] == pytest.approx(0.0, abs=1e-12)
    if shift == 0.0 and scale == 1.0:
        assert result.metrics["psi"] < 0.01
        assert result.metrics["ks_pvalue"] > 0.001


def test_exact_mode_matches_scipy():
    ref_values, cur_values = RNG.normal(size=2000), RNG.exponential(size=300)
    ref = summaries.build_feature_reference("x", ref_values)
    result = drift.feature_drift_exact(ref, ref_values, cur_values)
    expected = ks_2samp(ref_values, cur_values)
    assert result.exact
    assert result.metrics["ks"] == pytest.approx(expected.statistic)
    assert result.metrics["ks_pvalue"] == pytest.approx(expected.pvalue)
    assert result.metrics["wasserstein"] == pytest.approx(wasserstein_distance(ref_values, cur_values))


def test_divergences_equal_scipy_on_the_coarse_bins():
    ref_values = RNG.normal(size=10_000)
    cur_values = RNG.normal(0.5, 1, size=5_000)
    ref = summaries.build_feature_reference("x", ref_values, coarse_bins=10)
    result = drift.feature_drift(ref, summaries.summarize_feature(ref, cur_values))
    # Recompute the coarse histograms by hand from the decile edges: below-min, ten deciles, above-max.
    deciles = np.quantile(ref_values, np.linspace(0, 1, 11))

    def hist(values):
        inner = np.histogram(np.clip(values, deciles[0], deciles[-1]), bins=deciles)[0].astype(float)
        # np.histogram's last bin is closed; ours are (lo, hi] — equal up to ties, which are absent here.
        below, above = (values < deciles[0]).sum(), (values > deciles[-1]).sum()
        inner[0] -= below
        inner[-1] -= above
        return np.concatenate([[below], inner, [above]])

    rh, ch = hist(ref_values), hist(cur_values)
    p, q = drift.smooth(rh / rh.sum()), drift.smooth(ch / ch.sum())
    assert result.metrics["kl"] == pytest.approx(entropy(p, q), rel=1e-3, abs=1e-4)
    assert result.metrics["psi"] == pytest.approx(np.sum((q - p) * np.log(q / p)), rel=1e-3, abs=1e-4)
    assert result.metrics["js"] == pytest.approx(jensenshannon(rh / rh.sum(), ch / ch.sum()), rel=1e-3, abs=1e-4)


def test_categorical_feature_overflow_and_metrics():
    ref_values = np.array(["a"] * 50 + ["b"] * 30 + ["c"] * 20, dtype=object)
    cur_values = np.array(["a"] * 20 + ["b"] * 30 + ["z"] * 40 + [None] * 10, dtype=object)
    ref = summaries.build_feature_reference("color", ref_values)
    assert ref.kind == "categorical"
    assert ref.categories == ("a", "b", "c")
    summary = summaries.summarize_feature(ref, cur_values)
    assert summary.counts.tolist() == [20, 30, 0, 40]  # "z" is unseen: the overflow bin
    assert summary.missing == 10
    result = drift.feature_drift(ref, summary)
    rh, ch = np.array([50, 30, 20, 0]), np.array([20, 30, 0, 40])
    assert result.metrics["js"] == pytest.approx(jensenshannon(rh / 100, ch / 90))
    assert result.metrics["psi"] == pytest.approx(drift.psi(rh, ch))
    assert result.metrics["ks"] is None
    assert result.current_hist[-1] == pytest.approx(40 / 90, abs=1e-6)


def test_discrete_numeric_feature_is_exact():
    ref_values = RNG.integers(0, 5, size=10_000).astype(float)
    cur_values = RNG.integers(1, 7, size=3_000).astype(float)
    ref = summaries.build_feature_reference("k", ref_values)
    result = drift.feature_drift(ref, summaries.summarize_feature(ref, cur_values))
    assert result.metrics["ks"] == pytest.approx(ks_2samp(ref_values, cur_values).statistic, abs=1e-12)
    assert result.metrics["wasserstein"] == pytest.approx(wasserstein_distance(ref_values, cur_values), rel=1e-9)


def test_no_data_and_missing_values():
    ref = summaries.build_feature_reference("x", RNG.normal(size=1000))
    empty = drift.feature_drift(ref, summaries.Summary.empty(ref.n_bins))
    assert empty.no_data
    assert all(v is None for v in empty.metrics.values())
    summary = summaries.summarize_feature(ref, np.array([np.nan, np.inf, -np.inf, 0.5, None], dtype=object))
    assert (summary.n, summary.missing, summary.nonfinite) == (1, 2, 2)


def test_reference_round_trip_and_pack():
    ref = summaries.build_reference({"x": RNG.normal(size=500), "c": np.array(["u", "v"] * 50, dtype=object)})
    again = summaries.Reference.from_dict(ref.to_dict())
    values = RNG.normal(size=100)
    a = summaries.summarize_feature(ref.get("x"), values)
    b = summaries.summarize_feature(again.get("x"), values)
    assert np.array_equal(a.counts, b.counts)
    unpacked = summaries.unpack(summaries.pack(a))
    assert np.array_equal(unpacked.counts, a.counts)
    assert np.array_equal(unpacked.sums, a.sums)
    assert (unpacked.min, unpacked.max) == (a.min, a.max)


def test_rules():
    assert drift.rule_breached(0.3, "gt", 0.2) is True
    assert drift.rule_breached(0.1, "gt", 0.2) is False
    assert drift.rule_breached(0.01, "lt", 0.05) is True
    assert drift.rule_breached(None, "gt", 0.2) is None


# ---------------------------------------------------------------- incremental == full recomputation

REF = summaries.build_reference(
    {"x": RNG.normal(size=2000), "c": np.array(list("aabbbcd") * 100, dtype=object)}, fine_bins=200
)
floats = st.one_of(st.floats(min_value=-50, max_value=50), st.sampled_from([math.nan, math.inf, -math.inf]))
cats = st.sampled_from(["a", "b", "c", "d", "e", None])


@settings(max_examples=60, deadline=None)
@given(
    chunks=st.lists(st.lists(st.tuples(floats, cats), min_size=0, max_size=40), min_size=1, max_size=6),
)
def test_merged_chunk_summaries_equal_full_recomputation(chunks):
    parts = [
        summaries.summarize(
            REF,
            {"x": np.array([r[0] for r in chunk], dtype=float), "c": np.array([r[1] for r in chunk], dtype=object)},
        )
        for chunk in chunks
    ]
    rows = [r for chunk in chunks for r in chunk]
    full = summaries.summarize(
        REF, {"x": np.array([r[0] for r in rows], dtype=float), "c": np.array([r[1] for r in rows], dtype=object)}
    )
    merged = summaries.merge_windows(parts)
    for name in ("x", "c"):
        assert np.array_equal(merged[name].counts, full[name].counts)
        assert np.allclose(merged[name].sums, full[name].sums)
        assert (merged[name].missing, merged[name].nonfinite) == (full[name].missing, full[name].nonfinite)
        assert (merged[name].min, merged[name].max) == (full[name].min, full[name].max)
    a = drift.drift_report(REF, merged)
    b = drift.drift_report(REF, full)
    for fa, fb in zip(a, b, strict=True):
        for key, value in fa.metrics.items():
            other = fb.metrics[key]
            if value is None or other is None:
                assert value is other is None or (value is None and other is None)
            elif math.isnan(value):
                assert math.isnan(other)
            else:
                assert value == pytest.approx(other, rel=1e-9, abs=1e-12)


def test_incremental_large_window_equals_full():
    data = RNG.normal(size=(30_000, 3))
    ref = summaries.build_reference({f"f{i}": RNG.normal(size=5000) for i in range(3)})
    parts = [summaries.summarize_matrix(ref, chunk) for chunk in np.array_split(data, 7)]
    merged, full = summaries.merge_windows(parts), summaries.summarize_matrix(ref, data)
    for name in merged:
        assert np.array_equal(merged[name].counts, full[name].counts)
