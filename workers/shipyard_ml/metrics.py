"""Logits of a module over an array, and the classification metrics every job reports."""

from __future__ import annotations

import contextlib

import numpy as np
import torch
from torch import nn


def eval_mode(model: nn.Module, device: str = "cpu") -> nn.Module:
    """``model`` on ``device`` in eval mode. A module unflattened from a ``torch.export`` program refuses
    ``.eval()``: it runs in the mode it was exported in, so it is taken as it is."""
    model = model.to(device)
    with contextlib.suppress(NotImplementedError):
        model.eval()
    return model


def predict_logits(model: nn.Module, x: np.ndarray, device: str = "cpu", batch_size: int = 1024) -> np.ndarray:
    model = eval_mode(model, device)
    outs = []
    with torch.no_grad():
        for i in range(0, len(x), batch_size):
            xb = torch.from_numpy(np.ascontiguousarray(x[i : i + batch_size], dtype=np.float32)).to(device)
            outs.append(model(xb).float().cpu().numpy())
    if not outs:
        return np.zeros((0, 0), dtype=np.float32)
    return np.concatenate(outs)


def classification_metrics(logits: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """accuracy, cross-entropy loss and macro F1 from logits.

    Macro F1 averages over the classes present in ``y``: on a slice that holds two classes, a
    stray prediction of a third class costs recall of the true class, but the absent class does
    not enter the average with F1 = 0 (which would make a 94 %-accurate slice read as F1 0.3).
    """
    if len(y) == 0:
        return {"accuracy": float("nan"), "loss": float("nan"), "macro_f1": float("nan"), "n": 0.0}
    t = torch.from_numpy(np.asarray(logits, dtype=np.float32))
    yt = torch.from_numpy(np.asarray(y, dtype=np.int64))
    loss = float(nn.functional.cross_entropy(t, yt).item())
    pred = logits.argmax(1)
    f1s = []
    for c in np.unique(y):
        tp = float(((pred == c) & (y == c)).sum())
        fp = float(((pred == c) & (y != c)).sum())
        fn = float(((pred != c) & (y == c)).sum())
        f1s.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return {"accuracy": float((pred == y).mean()), "loss": loss, "macro_f1": float(np.mean(f1s)), "n": float(len(y))}
