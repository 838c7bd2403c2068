"""Training specs for tests: resolved by workers as entry points ``tests.jobs.broken_recipes:<name>``."""

from __future__ import annotations

from typing import Any


def explode(config: dict[str, Any], seed: int, data: Any) -> Any:
    raise RuntimeError("boom: the team's training code raised")


def slow(config: dict[str, Any], seed: int, data: Any, *, progress: Any = None, should_stop: Any = None) -> Any:
    from shipyard_ml.train import tabular_mlp

    return tabular_mlp(
        {**config, "epochs": 100000, "hidden": [8]}, seed, data, progress=progress, should_stop=should_stop
    )
