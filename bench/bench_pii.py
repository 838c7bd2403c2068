"""PII scan of a dataset upload (rubric data-5): cost against the upload's own summary, and what it finds.

A synthetic table with planted personal data: 4 numeric columns, an e-mail column, a card-number
column (valid Luhn), an IP column, a first-name column, a free-text note column where every 5th
row mentions a phone number and every 7th an e-mail address, and a clean free-text column.
Printed:

* wall time of ``shipyard_ml.pii.scan_frame`` over the table (the worker's scan of one sample);
* the baseline measured in the same run: ``shipyard_ml.datasets.summarize`` of the same file (the
  schema and statistics every upload already computes), and the ratio scan / summary;
* per column, the cells found of each kind against the cells planted (recall), and any finding in
  a column where nothing was planted (false positives).

Options: ``--rows=N`` (default 20,000: the default sample, ``REGISTRY_PII_SAMPLE_ROWS``), ``--repeat=N`` (3).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workers"))

WORDS = [
    "the",
    "parcel",
    "arrived",
    "late",
    "and",
    "the",
    "customer",
    "asked",
    "for",
    "a",
    "refund",
    "before",
    "friday",
]


def luhn_complete(prefix: str) -> str:
    from stdnum import luhn

    return prefix + luhn.calc_check_digit(prefix)


def make_frame(rows: int, seed: int = 3) -> tuple[Any, dict[str, dict[str, int]]]:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    words = np.array(WORDS)
    notes, planted_note = [], {"phone": 0, "email": 0}
    for i in range(rows):
        text = " ".join(rng.choice(words, 6))
        if i % 5 == 0:
            text += f" call +1 415-555-{1000 + i % 9000:04d}"
            planted_note["phone"] += 1
        if i % 7 == 0:
            text += f" or write to agent{i}@example.com"
            planted_note["email"] += 1
        notes.append(text)
    frame = pd.DataFrame(
        {
            **{f"x{j}": rng.normal(size=rows) for j in range(4)},
            "email": [f"user{i}@example.org" for i in range(rows)],
            "card": [luhn_complete(f"4{rng.integers(10**13, 10**14):014d}") for _ in range(rows)],
            "client_ip": [f"10.{i % 250}.{(i // 250) % 250}.{i % 200 + 1}" for i in range(rows)],
            "first_name": rng.choice(["Ann", "Bob", "Carla", "Dev", "Eun"], rows),
            "note": notes,
            "comment": [" ".join(rng.choice(words, 8)) for _ in range(rows)],
            "label": rng.integers(0, 2, rows),
        }
    )
    planted = {
        "email": {"email": rows},
        "card": {"card_number": rows},
        "client_ip": {"ip_address": rows},
        "first_name": {"person_name": rows},
        "note": planted_note,
    }
    return frame, planted


def main(argv: list[str]) -> int:
    from shipyard_ml.datasets import summarize
    from shipyard_ml.pii import scan_frame

    opts = dict(a.lstrip("-").split("=", 1) for a in argv if "=" in a)
    rows, repeat = int(opts.get("rows", 20_000)), int(opts.get("repeat", 3))
    frame, planted = make_frame(rows)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.csv"
        frame.to_csv(path, index=False)
        scan_times, summary_times, findings = [], [], []
        for _ in range(repeat):  # interleaved, so load on the machine hits both alike
            started = time.perf_counter()
            summarize(path, "csv", None, label="label")
            summary_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            findings = scan_frame(frame)
            scan_times.append(time.perf_counter() - started)
    scan_s, summary_s = min(scan_times), min(summary_times)
    cells = rows * frame.shape[1]
    print(f"rows: {rows:,} x {frame.shape[1]} columns ({cells:,} cells), best of {repeat}")
    print(f"upload summary (baseline, summarize): {summary_s:.2f} s")
    print(f"PII scan (scan_frame):                {scan_s:.2f} s  ({rows / scan_s:,.0f} rows/s)")
    print(f"ratio scan / summary:                 {scan_s / summary_s:.1f}x")
    found = {f.column: f.kinds for f in findings}
    worst = 1.0
    for column, kinds in planted.items():
        for kind, count in kinds.items():
            got = found.get(column, {}).get(kind, 0)
            worst = min(worst, got / count if count else 1.0)
            print(f"  {column:<11} {kind:<12} found {got:>6,} of {count:>6,} planted  (recall {got / count:.3f})")
    false_pos = {c: k for c, k in found.items() if c not in planted}
    extra = {c: {k: n for k, n in kinds.items() if k not in planted.get(c, {})} for c, kinds in found.items()}
    extra = {c: k for c, k in extra.items() if k}
    print(
        f"lowest recall: {worst:.3f}; findings in clean columns: {false_pos or 'none'}; unplanted kinds: {extra or 'none'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
