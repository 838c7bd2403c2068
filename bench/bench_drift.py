"""Drift report: Shipyard's binned summaries vs Evidently's DataDriftPreset on the same data.

1,000,000 logged predictions x 20 numeric features against a 100,000-row reference. Each contender
runs in its own subprocess (so peak RSS is its own); both load the same .npy files. Printed:

* wall time and peak RSS of Shipyard's full drift report (reference binning + window summary +
  KL, PSI, JS, KS statistic and p-value, Wasserstein for every feature);
* the same for Evidently 0.7 ``DataDriftPreset()`` (its default test per column) and for a report
  that forces the five metrics Shipyard computes (one preset per method, where Evidently allows);
* the largest |KS(Shipyard) - KS(scipy.stats.ks_2samp exact)| over the 20 features;
* incremental update: the cost of folding 10,000 new rows into the running summary and
  recomputing every metric, with 1M and with 10M rows already logged.

Options: ``--rows=N`` (default 1,000,000), ``--ref-rows=N`` (100,000), ``--no-evidently``,
``--no-evidently-forced`` (skip the five-metric Evidently report, the slowest part).
Evidently is an optional ``bench`` extra: ``pip install -e '.[bench]'``.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

FEATURES = 20
ROOT = Path(__file__).resolve().parents[1]


def make_data(rows: int, ref_rows: int, seed: int = 11) -> tuple[np.ndarray, np.ndarray]:
    """20 features of mixed shapes; the serving window drifts in four of them half-way through."""
    rng = np.random.default_rng(seed)

    def sample(n: int, drift: bool) -> np.ndarray:
        cols = []
        for i in range(FEATURES):
            kind = i % 4
            if kind == 0:
                col = rng.normal(0, 1, n)
            elif kind == 1:
                col = rng.lognormal(0, 0.5, n)
            elif kind == 2:
                col = rng.exponential(2.0, n)
            else:
                col = rng.poisson(4, n).astype(np.float64)
            if drift and i in (0, 5, 10, 15):
                half = n // 2
                col[half:] = col[half:] * 1.3 + 0.5
            cols.append(col)
        return np.column_stack(cols)

    return sample(ref_rows, drift=False), sample(rows, drift=True)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ------------------------------------------------------------------------ child processes


def child_shipyard(data_dir: Path) -> dict[str, Any]:
    import scipy.special
    import scipy.stats  # noqa: F401  (imported before the clock, as Evidently's own imports are)

    from shipyard_ml import drift, summaries

    ref = np.load(data_dir / "ref.npy")
    cur = np.load(data_dir / "cur.npy")
    loaded_mb = peak_rss_mb()
    names = [f"f{i}" for i in range(FEATURES)]
    started = time.perf_counter()
    reference = summaries.build_reference(
        {name: ref[:, i] for i, name in enumerate(names)}, kinds=dict.fromkeys(names, "numeric")
    )
    window = summaries.summarize_matrix(reference, cur)
    report = drift.drift_report(reference, window)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "peak_rss_mb": peak_rss_mb(),
        "loaded_rss_mb": loaded_mb,
        "ks": [r.metrics["ks"] for r in report],
        "psi": [r.metrics["psi"] for r in report],
    }


def child_evidently(data_dir: Path, forced: bool) -> dict[str, Any]:
    import warnings

    import pandas as pd
    from evidently import Report
    from evidently.presets import DataDriftPreset

    warnings.filterwarnings("ignore")
    names = [f"f{i}" for i in range(FEATURES)]
    ref = pd.DataFrame(np.load(data_dir / "ref.npy"), columns=names)
    cur = pd.DataFrame(np.load(data_dir / "cur.npy"), columns=names)
    loaded_mb = peak_rss_mb()
    started = time.perf_counter()
    if forced:
        presets = [DataDriftPreset(num_method=m) for m in ("ks", "wasserstein", "psi", "kl_div", "jensenshannon")]
    else:
        presets = [DataDriftPreset()]
    snapshot = Report(presets).run(current_data=cur, reference_data=ref)
    snapshot.dict()
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "peak_rss_mb": peak_rss_mb(), "loaded_rss_mb": loaded_mb}


def child_scipy(data_dir: Path) -> dict[str, Any]:
    from scipy.stats import ks_2samp

    ref = np.load(data_dir / "ref.npy")
    cur = np.load(data_dir / "cur.npy")
    return {"ks": [float(ks_2samp(ref[:, i], cur[:, i]).statistic) for i in range(FEATURES)]}


def child_incremental(data_dir: Path, rows: int) -> dict[str, Any]:
    """Running summaries after 1M and after ``rows`` logged rows; the cost of 10,000 more on each,
    timed interleaved (so load on the machine hits both alike)."""
    from shipyard_ml import drift, summaries

    ref = np.load(data_dir / "ref.npy")
    names = [f"f{i}" for i in range(FEATURES)]
    reference = summaries.build_reference(
        {name: ref[:, i] for i, name in enumerate(names)}, kinds=dict.fromkeys(names, "numeric")
    )
    chunk = 1_000_000
    running: dict[str, summaries.Summary] | None = None
    small: dict[str, summaries.Summary] | None = None
    for start in range(0, rows, chunk):
        _, block = make_data(min(chunk, rows - start), 10, seed=start // chunk + 100)
        part = summaries.summarize_matrix(reference, block)
        running = part if running is None else summaries.merge_windows([running, part])
        if small is None:
            small = running
    assert running is not None and small is not None
    _, new_rows = make_data(10_000, 10, seed=999)
    timings: dict[str, list[float]] = {"small": [], "big": []}
    for _ in range(40):
        for label, state in (("small", small), ("big", running)):
            started = time.perf_counter()
            update = summaries.summarize_matrix(reference, new_rows)
            merged = summaries.merge_windows([state, update])
            drift.drift_report(reference, merged)
            timings[label].append(time.perf_counter() - started)
    return {
        "logged_small": sum(s.total for s in small.values()) // FEATURES,
        "logged_big": sum(s.total for s in running.values()) // FEATURES,
        "small_ms": float(np.median(timings["small"]) * 1000),
        "big_ms": float(np.median(timings["big"]) * 1000),
    }


def run_child(*args: str) -> dict[str, Any]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "workers"), str(ROOT / "platform"), str(ROOT)])
    out = subprocess.run(
        [sys.executable, "-m", "bench.bench_drift", "--child", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"child {args} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _opt(argv: list[str], name: str, default: int) -> int:
    for a in argv:
        if a.startswith(f"--{name}="):
            return int(a.split("=", 1)[1].replace("_", ""))
    return default


def main(argv: list[str]) -> int:
    rows = _opt(argv, "rows", 1_000_000)
    ref_rows = _opt(argv, "ref-rows", 100_000)
    with tempfile.TemporaryDirectory(prefix="bench-drift-") as tmp:
        data_dir = Path(tmp)
        ref, cur = make_data(rows, ref_rows)
        np.save(data_dir / "ref.npy", ref)
        np.save(data_dir / "cur.npy", cur)
        del ref, cur
        print(f"data: {rows:,} serving rows x {FEATURES} features vs {ref_rows:,} reference rows")

        ours = run_child("shipyard", str(data_dir))
        print(
            f"shipyard full drift report (KL, PSI, JS, KS + p, Wasserstein): {ours['seconds']:.2f} s, "
            f"peak RSS {ours['peak_rss_mb']:.0f} MB (after loading the data: {ours['loaded_rss_mb']:.0f} MB)"
        )
        exact = run_child("scipy", str(data_dir))
        ks_err = max(abs(a - b) for a, b in zip(ours["ks"], exact["ks"], strict=True))
        print(f"max |KS(shipyard) - KS(scipy ks_2samp exact)| over {FEATURES} features: {ks_err:.5f} (bar: 0.005)")
        drifted = [i for i, v in enumerate(ours["psi"]) if v > 0.2]
        print(f"features with PSI > 0.2: {drifted}")

        if "--no-evidently" not in argv:
            try:
                import evidently  # noqa: F401
            except ImportError:
                print("evidently is not installed (pip install -e '.[bench]'): skipping the comparison")
            else:
                ev = run_child("evidently", str(data_dir))
                print(
                    f"evidently DataDriftPreset() (default test per column): {ev['seconds']:.2f} s, "
                    f"peak RSS {ev['peak_rss_mb']:.0f} MB (after loading: {ev['loaded_rss_mb']:.0f} MB)"
                )
                print(
                    f"ratio: shipyard is {ev['seconds'] / ours['seconds']:.1f}x faster (bar: >= 20x), "
                    f"peak memory {ours['peak_rss_mb'] / ev['peak_rss_mb']:.2f} of evidently's (bar: <= 0.5)"
                )
                if "--no-evidently-forced" not in argv:
                    forced = run_child("evidently-forced", str(data_dir))
                    print(
                        "evidently forced to the same five metrics (ks, wasserstein, psi, kl_div, jensenshannon): "
                        f"{forced['seconds']:.2f} s, peak RSS {forced['peak_rss_mb']:.0f} MB"
                    )
                    print(
                        f"ratio: shipyard is {forced['seconds'] / ours['seconds']:.1f}x faster, "
                        f"peak memory {ours['peak_rss_mb'] / forced['peak_rss_mb']:.2f} of evidently's"
                    )

        inc = run_child("incremental", str(data_dir), "10000000")
        print(
            f"incremental update, 10,000 new rows + every metric (median of 40, interleaved): "
            f"{inc['small_ms']:.1f} ms at {inc['logged_small']:,} rows logged, {inc['big_ms']:.1f} ms at "
            f"{inc['logged_big']:,} (ratio {inc['big_ms'] / inc['small_ms']:.2f}; bar: within 20 %)"
        )
    return 0


def _child(argv: list[str]) -> None:
    what, data_dir = argv[0], Path(argv[1])
    if what == "shipyard":
        result = child_shipyard(data_dir)
    elif what == "evidently":
        result = child_evidently(data_dir, forced=False)
    elif what == "evidently-forced":
        result = child_evidently(data_dir, forced=True)
    elif what == "scipy":
        result = child_scipy(data_dir)
    elif what == "incremental":
        result = child_incremental(data_dir, int(argv[2]))
    else:
        raise SystemExit(f"unknown child {what}")
    print(json.dumps(result))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(sys.argv[2:])
    else:
        raise SystemExit(main(sys.argv[1:]))
