"""Loading models and data for jobs, writing artifacts atomically, timing predictors.

A model version reaches a job as a :class:`ModelSource`: the artifact's path on the worker, its
format, and for weights-only formats the built-in recipe (and config) that rebuilds the module.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from shipyard_ml.metrics import eval_mode, predict_logits
from shipyard_ml.nets import build_architecture
from shipyard_ml.recipe_types import TrainingData
from shipyard_ml.recipes import BUILTIN_RECIPES

Predictor = Callable[[np.ndarray], np.ndarray]
TORCH_FORMATS = ("state_dict", "safetensors", "torchscript", "torch_export")


class ModelLoadError(ValueError):
    pass


@dataclass
class ModelSource:
    path: str
    format: str  # state_dict | safetensors | torchscript | torch_export | onnx
    recipe: str = ""
    recipe_config: dict[str, Any] = field(default_factory=dict)
    n_classes: int | None = None


def _state_dict(src: ModelSource) -> dict[str, torch.Tensor]:
    if src.format == "safetensors":
        from safetensors.torch import load_file

        return dict(load_file(src.path))
    loaded = torch.load(src.path, map_location="cpu", weights_only=True)
    if isinstance(loaded, dict) and "state_dict" in loaded and isinstance(loaded["state_dict"], dict):
        loaded = loaded["state_dict"]
    if not isinstance(loaded, dict):
        raise ModelLoadError("the state_dict artifact is not a mapping of tensors")
    return loaded


def infer_shapes(state: dict[str, torch.Tensor]) -> tuple[tuple[int, ...], int]:
    """(input_shape, n_classes) of a built-in architecture from its weights."""
    if "norm.mean" not in state:
        raise ModelLoadError("cannot infer the input size: the weights have no 'norm.mean' buffer")
    weights = [v for k, v in state.items() if k.endswith(".weight") and v.ndim == 2]
    if not weights:
        raise ModelLoadError("cannot infer the number of classes: no dense layer in the weights")
    return (int(state["norm.mean"].numel()),), int(weights[-1].shape[0])


def load_torch_module(src: ModelSource) -> nn.Module:
    """The module of a PyTorch version, on the CPU, in eval mode."""
    if src.format == "torchscript":
        module = torch.jit.load(src.path, map_location="cpu")
        module.eval()
        return module  # type: ignore[no-any-return]
    if src.format == "torch_export":
        # A self-contained program; like TorchScript it is code, loaded only by workers.
        return torch.export.load(src.path).module()  # type: ignore[no-any-return]
    if src.format not in ("state_dict", "safetensors"):
        raise ModelLoadError(f"format '{src.format}' is not a PyTorch module")
    if src.recipe not in BUILTIN_RECIPES:
        raise ModelLoadError(
            f"a {src.format} artifact needs a built-in recipe to rebuild its module (got '{src.recipe or 'none'}'); "
            f"use one of {', '.join(BUILTIN_RECIPES)} or upload TorchScript"
        )
    state = _state_dict(src)
    input_shape, n_classes = infer_shapes(state)
    model = build_architecture(src.recipe, src.recipe_config, input_shape, src.n_classes or n_classes)
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        # torch's message is a header line and one line per mismatch: keep the header and the first mismatch
        detail = " ".join(line.strip() for line in str(exc).splitlines()[:2])
        raise ModelLoadError(f"weights do not fit recipe '{src.recipe}': {detail}") from None
    model.eval()
    return model


def onnx_session(path: str, device: str = "cpu", threads: int | None = None) -> Any:
    import onnxruntime as ort

    from shipyard_ml.devices import onnx_providers

    opts = ort.SessionOptions()
    if threads:
        opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(path, sess_options=opts, providers=onnx_providers(device))


def onnx_predictor(path: str, device: str = "cpu", threads: int | None = None) -> Predictor:
    session = onnx_session(path, device, threads)
    name = session.get_inputs()[0].name

    def predict(x: np.ndarray) -> np.ndarray:
        return np.asarray(session.run(None, {name: np.ascontiguousarray(x, dtype=np.float32)})[0])

    return predict


def torch_predictor(model: nn.Module, device: str = "cpu") -> Predictor:
    model = eval_mode(model, device)

    def predict(x: np.ndarray) -> np.ndarray:
        return predict_logits(model, x, device)

    return predict


def predictor(src: ModelSource, device: str = "cpu") -> Predictor:
    if src.format == "onnx":
        return onnx_predictor(src.path, device)
    return torch_predictor(load_torch_module(src), device)


# --------------------------------------------------------------------------- data


def encode_labels(y: np.ndarray, class_names: list[str] | None = None) -> tuple[np.ndarray, list[str]]:
    """Integer labels 0..k-1 and the class names. Integer labels 0..k-1 stay as they are."""
    y = np.asarray(y)
    if class_names is None and np.issubdtype(y.dtype, np.integer) and len(y) and y.min() >= 0:
        k = int(y.max()) + 1
        return y.astype(np.int64), [str(i) for i in range(k)]
    names = class_names or sorted({str(v) for v in y.tolist()})
    index = {n: i for i, n in enumerate(names)}
    try:
        return np.array([index[str(v)] for v in y.tolist()], dtype=np.int64), names
    except KeyError as exc:
        raise ValueError(f"label {exc.args[0]!r} is not one of the model's classes") from None


def training_data_from_parquet(
    path: str,
    label: str,
    slices: list[dict[str, str]] | None = None,
    *,
    split: bool,
    name: str = "",
    seed: int = 0,
) -> TrainingData:
    """A dataset version as TrainingData. ``split``: a fixed stratified 75/25 train/eval split; else every row is eval."""
    import pandas as pd

    from shipyard_ml.slices import slice_mask

    if not label:
        raise ValueError("the dataset version has no label column; jobs need labelled data")
    frame = pd.read_parquet(path)
    features = [c for c in frame.columns if c != label]
    y, class_names = encode_labels(frame[label].to_numpy())
    idx = np.arange(len(frame))
    if split:
        from sklearn.model_selection import train_test_split

        counts = np.bincount(y)
        stratify = y if counts[counts > 0].min() >= 2 else None
        train_idx, eval_idx = train_test_split(idx, test_size=0.25, random_state=seed, stratify=stratify)
    else:
        train_idx, eval_idx = idx, idx
    x = frame[features].to_numpy(dtype=np.float32)
    data = TrainingData(
        X_train=x[train_idx],
        y_train=y[train_idx],
        X_eval=x[eval_idx],
        y_eval=y[eval_idx],
        feature_names=list(features),
        class_names=class_names,
        input_shape=(len(features),),
        name=name,
    )
    eval_frame = frame.iloc[eval_idx].reset_index(drop=True)
    for item in slices or []:
        data.slices[item["name"]] = np.asarray(slice_mask(eval_frame, item["filter"]), dtype=bool)
    return data


# --------------------------------------------------------------------------- files + timing


@contextlib.contextmanager
def atomic_path(final: str | Path) -> Iterator[Path]:
    """A temporary path next to ``final``; renamed onto it when the block succeeds, removed when it fails."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".part", dir=final.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, final)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def save_state_dict(model: nn.Module, final: str | Path) -> Path:
    with atomic_path(final) as tmp:
        torch.save({k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}, tmp)
    return Path(final)


def latency_ms(predict: Predictor, x: np.ndarray, batch: int, *, repeats: int = 30, warmup: int = 3) -> float:
    """Median wall time of one call at ``batch`` rows, in milliseconds."""
    rows = np.ascontiguousarray(np.resize(x, (batch, *x.shape[1:])), dtype=np.float32)
    for _ in range(warmup):
        predict(rows)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        predict(rows)
        times.append((time.perf_counter() - t0) * 1000.0)
    return float(np.median(times))
