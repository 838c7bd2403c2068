"""Batched inference for the serving workers: a per-version session cache and one call per batch.

Pure: no Django imports. ONNX artifacts run on onnxruntime; TorchScript artifacts (and
state_dict artifacts with a built-in recipe) run on torch, loaded by ``loading.load_torch_module``
like every job's model. onnxruntime and torch are
imported lazily, only in the processes that serve.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np


class InferenceError(RuntimeError):
    """The model could not be loaded or could not run on the given inputs."""


@dataclass
class BatchResult:
    """Outputs for every row of the batch, in order."""

    outputs: list[Any]
    probabilities: list[list[float]] | None = None
    confidence: list[float] | None = None


@dataclass
class LoadedModel:
    key: str
    kind: str  # "onnx" | "torch"
    runner: Any
    input_name: str = ""
    input_dtype: Any = np.float32
    output_names: list[str] = field(default_factory=list)

    def run(self, batch: np.ndarray) -> list[np.ndarray]:
        if self.kind == "onnx":
            return list(self.runner.run(None, {self.input_name: batch.astype(self.input_dtype, copy=False)}))
        import torch

        with torch.inference_mode():
            out = self.runner(torch.from_numpy(np.ascontiguousarray(batch, dtype=np.float32)))
        if isinstance(out, (tuple, list)):
            return [o.detach().cpu().numpy() for o in out]
        return [out.detach().cpu().numpy()]


_ORT_TYPES = {
    "tensor(float)": np.float32,
    "tensor(double)": np.float64,
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
    "tensor(float16)": np.float16,
}


def load(
    path: Path,
    fmt: str,
    *,
    key: str = "",
    threads: int = 1,
    recipe: str = "",
    recipe_config: dict[str, Any] | None = None,
) -> LoadedModel:
    """Load one model version for serving. ``threads`` bounds onnxruntime's intra-op threads."""
    path = Path(path)
    if not path.exists():
        raise InferenceError(f"artifact {path} does not exist")
    try:
        if fmt == "onnx":
            import onnxruntime as ort

            opts = ort.SessionOptions()
            opts.intra_op_num_threads = max(1, threads)
            opts.inter_op_num_threads = 1
            opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            session = ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
            first = session.get_inputs()[0]
            return LoadedModel(
                key=key,
                kind="onnx",
                runner=session,
                input_name=first.name,
                input_dtype=_ORT_TYPES.get(first.type, np.float32),
                output_names=[o.name for o in session.get_outputs()],
            )
        if fmt in {"torchscript", "torch_export", "state_dict", "safetensors"}:
            # The one loader jobs use too: a version that passes an evaluate job serves the same way.
            import torch

            from shipyard_ml.loading import ModelSource, load_torch_module

            torch.set_num_threads(max(1, threads))
            config = dict(recipe_config or {})
            n_classes = config.get("n_classes")
            source = ModelSource(
                path=str(path),
                format=fmt,
                recipe=recipe,
                recipe_config=config,
                n_classes=int(n_classes) if isinstance(n_classes, int) and n_classes > 0 else None,
            )
            return LoadedModel(key=key, kind="torch", runner=load_torch_module(source))
    except InferenceError:
        raise
    except Exception as exc:  # a broken artifact must not kill the worker
        raise InferenceError(f"cannot load {fmt} artifact: {exc}") from exc
    raise InferenceError(f"format {fmt!r} cannot be served (export it to ONNX or TorchScript)")


def _softmax(x: np.ndarray) -> np.ndarray:
    z = x - x.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def postprocess(raw: list[np.ndarray]) -> BatchResult:
    """Turn raw model outputs into per-row outputs and, for classifiers, probabilities and confidence.

    A 2-D float output with several columns is a classifier: rows that already sum to 1 are taken
    as probabilities, others as logits (softmax). An integer first output is taken as labels (the
    sklearn-onnx convention, with probabilities as a second output when present).
    """
    if not raw:
        raise InferenceError("the model returned no outputs")
    first = np.asarray(raw[0])
    labels: np.ndarray | None = None
    scores: np.ndarray | None = None
    if first.dtype.kind in "iu" and len(raw) > 1:
        labels = first.reshape(-1)
        second = np.asarray(raw[1])
        if second.ndim == 2 and second.dtype.kind == "f":
            scores = second
    elif first.dtype.kind in "iu":
        return BatchResult(outputs=first.reshape(first.shape[0], -1).tolist() if first.ndim > 1 else first.tolist())
    elif first.ndim == 2 and first.shape[1] > 1 and first.dtype.kind == "f":
        scores = first
    if scores is not None:
        scores = scores.astype(np.float64, copy=False)
        sums = scores.sum(axis=1)
        if not (np.all(scores >= 0) and np.allclose(sums, 1.0, atol=1e-3)):
            scores = _softmax(scores)
        if labels is None:
            labels = scores.argmax(axis=1)
        confidence = scores.max(axis=1)
        return BatchResult(
            outputs=labels.tolist(),
            probabilities=np.round(scores, 6).tolist(),
            confidence=np.round(confidence, 6).tolist(),
        )
    if labels is not None:
        return BatchResult(outputs=labels.tolist())
    if first.ndim == 2 and first.shape[1] == 1:
        return BatchResult(outputs=first[:, 0].astype(np.float64).tolist())
    return BatchResult(outputs=first.astype(np.float64).tolist() if first.dtype.kind == "f" else first.tolist())


def run_batch(model: LoadedModel, rows: list[Any]) -> BatchResult:
    """One model call for every row of the batch."""
    try:
        batch = np.asarray(rows, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise InferenceError(f"inputs are not a numeric matrix: {exc}") from exc
    if batch.ndim == 1:
        batch = batch.reshape(1, -1)
    try:
        raw = model.run(batch)
    except Exception as exc:
        raise InferenceError(f"inference failed: {exc}") from exc
    result = postprocess(raw)
    if len(result.outputs) != batch.shape[0]:
        raise InferenceError(f"the model returned {len(result.outputs)} outputs for {batch.shape[0]} rows")
    return result


class SessionCache:
    """Loaded models per version key, least recently used evicted past ``capacity``. Thread-safe."""

    def __init__(self, capacity: int = 8, threads: int | None = None) -> None:
        self.capacity = capacity
        self.threads = threads if threads is not None else int(os.environ.get("SERVING_ORT_THREADS", "1") or 1)
        self._models: OrderedDict[str, LoadedModel] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, path: Path, fmt: str, **kwargs: Any) -> LoadedModel:
        with self._lock:
            model = self._models.get(key)
            if model is not None:
                self._models.move_to_end(key)
                return model
        model = load(path, fmt, key=key, threads=self.threads, **kwargs)
        with self._lock:
            self._models[key] = model
            self._models.move_to_end(key)
            while len(self._models) > self.capacity:
                self._models.popitem(last=False)
        return model

    def __contains__(self, key: str) -> bool:
        return key in self._models

    def keys(self) -> list[str]:
        return list(self._models)

    def drop(self, key: str) -> None:
        with self._lock:
            self._models.pop(key, None)
