"""Training/serving skew: replay logged serving inputs through the registered artifact (the offline
path) and compare with the outputs the online path logged. Pure: no Django."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class SkewResult:
    compared: int
    mismatches: int
    #: up to ``max_examples`` of {"index", "inputs", "online", "offline"}
    examples: list[dict[str, Any]] = field(default_factory=list)

    @property
    def mismatch_rate(self) -> float | None:
        return self.mismatches / self.compared if self.compared else None


def _same(a: Any, b: Any, tol: float) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y, tol) for x, y in zip(a, b, strict=True))
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        if math.isnan(a) and math.isnan(b):
            return True
        return abs(float(a) - float(b)) <= tol * max(1.0, abs(float(a)), abs(float(b)))
    return bool(a == b)


def compare(
    inputs: list[Any], online: list[Any], offline: list[Any], *, tol: float = 1e-4, max_examples: int = 20
) -> SkewResult:
    """Count rows whose offline output differs from the logged online one (numbers within ``tol``)."""
    if len(online) != len(offline) or len(inputs) != len(online):
        raise ValueError("inputs, online and offline outputs must have the same length")
    examples: list[dict[str, Any]] = []
    mismatches = 0
    for i, (x, a, b) in enumerate(zip(inputs, online, offline, strict=True)):
        if not _same(a, b, tol):
            mismatches += 1
            if len(examples) < max_examples:
                examples.append({"index": i, "inputs": x, "online": a, "offline": b})
    return SkewResult(compared=len(online), mismatches=mismatches, examples=examples)


def replay(
    artifact: Path,
    fmt: str,
    rows: list[Any],
    *,
    recipe: str = "",
    recipe_config: dict[str, Any] | None = None,
    batch_size: int = 256,
) -> list[Any]:
    """Offline outputs for ``rows`` from the artifact (onnxruntime or torch, imported lazily)."""
    from shipyard_ml.inference import load, run_batch

    model = load(artifact, fmt, key=f"skew:{artifact}", recipe=recipe, recipe_config=recipe_config)
    out: list[Any] = []
    for start in range(0, len(rows), batch_size):
        out.extend(run_batch(model, rows[start : start + batch_size]).outputs)
    return out
