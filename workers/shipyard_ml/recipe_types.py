"""The types every training recipe and ML job shares: the recipe signature, callbacks, data.

A recipe has the interface every training spec shares::

    recipe(config: dict, seed: int, data: TrainingData) -> tuple[torch.nn.Module, dict[str, float]]

A recipe declares the hyperparameters a ``tune`` job may search as a ``search_space`` attribute:
``{"lr": {"type": "float", "low": 1e-4, "high": 1e-1, "log": true}, "hidden": {"type":
"categorical", "choices": [[32], [64]]}, "epochs": {"type": "int", "low": 5, "high": 30}}``.

It may also accept the keyword arguments ``progress`` (``(percent, message) -> None``),
``should_stop`` (``() -> bool``), ``device`` (``"cpu"``/``"cuda"``) and ``epoch_end``
(``(epoch, model) -> None``, for pruning in a tune job);
:func:`shipyard_ml.recipes.call_recipe` passes them only when the signature takes them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from torch import nn

Progress = Callable[[float, str], None]
ShouldStop = Callable[[], bool]
Recipe = Callable[..., tuple[nn.Module, dict[str, float]]]
#: ``(epoch, model) -> None`` after each training epoch; may raise to stop the training (a pruned trial)
EpochEnd = Callable[[int, nn.Module], None]


class Cancelled(Exception):
    """Raised inside ML functions when ``should_stop()`` returns true."""


def no_progress(percent: float, message: str) -> None:
    """The progress callback that reports nowhere."""
    return None


def never_stop() -> bool:
    """The stop callback that never asks to stop."""
    return False


@dataclass
class TrainingData:
    X_train: np.ndarray  # float32, (n, *input_shape)
    y_train: np.ndarray  # int64, (n,)
    X_eval: np.ndarray
    y_eval: np.ndarray
    feature_names: list[str]
    class_names: list[str]
    input_shape: tuple[int, ...]
    name: str = ""
    slices: dict[str, np.ndarray] = field(default_factory=dict)  # slice name -> boolean mask over the eval rows

    def __post_init__(self) -> None:
        self.X_train = np.ascontiguousarray(self.X_train, dtype=np.float32)
        self.X_eval = np.ascontiguousarray(self.X_eval, dtype=np.float32)
        self.y_train = np.ascontiguousarray(self.y_train, dtype=np.int64)
        self.y_eval = np.ascontiguousarray(self.y_eval, dtype=np.int64)
        self.input_shape = tuple(int(d) for d in self.input_shape)

    @property
    def n_classes(self) -> int:
        return len(self.class_names)
