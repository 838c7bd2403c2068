"""The serving worker's outlier scoring: every row of a batch whose deployment has a detector is
scored in one matrix product per detector (``shipyard_ml.outliers``), and each reply gets its
rows' ``os`` (score) and ``io`` (is an outlier). No Django."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
import orjson


def score_requests(worker: Any, groups: dict[str, list[Any]]) -> dict[str, tuple[list[float], list[bool]]]:
    """request id -> (scores, verdicts) for every request that names a detector; a detector that
    cannot be loaded or rows it cannot score leave those requests unscored (logged)."""
    by_detector: dict[str, list[Any]] = defaultdict(list)
    for reqs in groups.values():
        for r in reqs:
            if r.outlier is not None:
                by_detector[r.outlier["k"]].append(r)
    out: dict[str, tuple[list[float], list[bool]]] = {}
    for key, reqs in by_detector.items():
        try:
            detector = worker.detectors.get(key, worker.artifact_path(key))
            rows = np.asarray([row for r in reqs for row in r.rows], dtype=np.float64)
            scores = detector.score(rows)
        except Exception as exc:  # a missing or malformed detector must not fail the predictions
            worker.log.warning("cannot score outliers with detector %s: %s", key, exc)
            continue
        offset = 0
        for r in reqs:
            threshold = r.outlier.get("t")
            limit = float(threshold) if threshold is not None else detector.threshold
            part = scores[offset : offset + len(r.rows)]
            offset += len(r.rows)
            out[r.id] = ([round(float(s), 4) for s in part], [bool(s > limit) for s in part])
    return out


def annotate(body: str, scored: tuple[list[float], list[bool]]) -> str:
    d = orjson.loads(body)
    if d.get("ok"):
        d["os"], d["io"] = scored
    return orjson.dumps(d).decode()
