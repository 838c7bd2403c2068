"""Deterministic mini-batch training, and the built-in recipes built on it.

Built-in recipes train the demo models: ``digits_mlp``, ``digits_cnn`` (a small CNN on the
1x8x8 digits images), ``digits_compact`` (a MobileNet-style depthwise-separable CNN on the same
images) and ``tabular_mlp`` (iris, wine, breast cancer); their architectures live
in :mod:`shipyard_ml.nets`, their registry in :mod:`shipyard_ml.recipes`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from torch import nn

from shipyard_ml.metrics import classification_metrics, predict_logits
from shipyard_ml.nets import DEFAULTS, SEARCH_SPACES, Standardize, build_architecture, recipe_config
from shipyard_ml.recipe_types import (
    Cancelled,
    EpochEnd,
    Progress,
    Recipe,
    ShouldStop,
    TrainingData,
    never_stop,
    no_progress,
)


@contextlib.contextmanager
def deterministic(seed: int, threads: int = 1) -> Iterator[torch.Generator]:
    """Seed torch and numpy and turn on deterministic algorithms for the block; yields a seeded generator."""
    previous = torch.are_deterministic_algorithms_enabled()
    previous_threads = torch.get_num_threads()
    torch.manual_seed(seed)
    np.random.seed(seed % (2**32))
    torch.use_deterministic_algorithms(True, warn_only=True)
    # One intra-op thread: the same reduction order on every machine, and small models train far
    # faster than with OpenMP threads spinning against other processes on a shared 2-core box.
    torch.set_num_threads(threads)
    try:
        yield torch.Generator().manual_seed(seed)
    finally:
        torch.use_deterministic_algorithms(previous)
        torch.set_num_threads(previous_threads)


def train_classifier(
    model: nn.Module,
    data: TrainingData,
    config: dict[str, Any],
    seed: int,
    *,
    device: str = "cpu",
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
    soft_targets: np.ndarray | None = None,
    epoch_end: EpochEnd | None = None,
) -> dict[str, float]:
    """Adam + cross-entropy mini-batch training in place; returns train/eval metrics.

    With ``soft_targets`` (teacher logits for every training row) the loss is the
    distillation loss ``alpha*T^2*KL(softmax(t/T) || softmax(s/T)) + (1-alpha)*CE``
    with ``config["temperature"]`` and ``config["alpha"]``. ``epoch_end(epoch, model)`` runs after
    each epoch (a tuning study reports intermediate accuracy there and may stop a trial).
    """
    progress = progress or no_progress
    should_stop = should_stop or never_stop
    epochs = int(config.get("epochs", 20))
    batch_size = int(config.get("batch_size", 64))
    temperature = float(config.get("temperature", 4.0))
    alpha = float(config.get("alpha", 0.7))
    with deterministic(seed, int(config.get("threads", 1))) as gen:
        model.to(device)
        opt = torch.optim.Adam(
            model.parameters(), lr=float(config.get("lr", 1e-3)), weight_decay=float(config.get("weight_decay", 0.0))
        )
        xt = torch.from_numpy(data.X_train).to(device)
        y = torch.from_numpy(data.y_train).to(device)
        soft = (
            torch.from_numpy(np.asarray(soft_targets, dtype=np.float32)).to(device)
            if soft_targets is not None
            else None
        )
        n = len(xt)
        for epoch in range(epochs):
            if should_stop():
                raise Cancelled(f"stopped at epoch {epoch}")
            model.train()
            order = torch.randperm(n, generator=gen).to(device)
            for i in range(0, n, batch_size):
                idx = order[i : i + batch_size]
                logits = model(xt[idx])
                loss = nn.functional.cross_entropy(logits, y[idx])
                if soft is not None:
                    kl = nn.functional.kl_div(
                        nn.functional.log_softmax(logits / temperature, dim=1),
                        nn.functional.log_softmax(soft[idx] / temperature, dim=1),
                        reduction="batchmean",
                        log_target=True,
                    )
                    loss = alpha * temperature**2 * kl + (1 - alpha) * loss
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
            progress(100.0 * (epoch + 1) / max(epochs, 1), f"epoch {epoch + 1}/{epochs} loss {float(loss.item()):.4f}")
            if epoch_end is not None:
                epoch_end(epoch, model)
                model.train()
        model.eval()
        train = classification_metrics(predict_logits(model, data.X_train, device), data.y_train)
        ev = classification_metrics(predict_logits(model, data.X_eval, device), data.y_eval)
    model.to("cpu")
    return {
        "accuracy": ev["accuracy"],
        "loss": ev["loss"],
        "macro_f1": ev["macro_f1"],
        "train_accuracy": train["accuracy"],
        "train_loss": train["loss"],
    }


def _builtin(recipe_name: str) -> Recipe:
    def recipe(
        config: dict[str, Any],
        seed: int,
        data: TrainingData,
        *,
        progress: Progress | None = None,
        should_stop: ShouldStop | None = None,
        device: str = "cpu",
        epoch_end: EpochEnd | None = None,
    ) -> tuple[nn.Module, dict[str, float]]:
        cfg = recipe_config(recipe_name, config)
        with deterministic(seed):
            model = build_architecture(recipe_name, cfg, data.input_shape, data.n_classes)
        norm = getattr(model, "norm", None)
        if isinstance(norm, Standardize):
            norm.fit(data.X_train)
        metrics = train_classifier(
            model, data, cfg, seed, device=device, progress=progress, should_stop=should_stop, epoch_end=epoch_end
        )
        return model, metrics

    recipe.__name__ = recipe_name
    recipe.__qualname__ = recipe_name
    recipe.__doc__ = f"Built-in recipe {recipe_name}: defaults {DEFAULTS[recipe_name]}."
    recipe.search_space = SEARCH_SPACES[recipe_name]  # type: ignore[attr-defined]
    return recipe


digits_mlp = _builtin("digits_mlp")
digits_cnn = _builtin("digits_cnn")
digits_compact = _builtin("digits_compact")
tabular_mlp = _builtin("tabular_mlp")
