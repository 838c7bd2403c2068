"""Export a PyTorch module to ONNX or TorchScript, with a parity check and latency figures.

ONNX: the TorchScript-based exporter (no extra dependency), a configurable opset, a dynamic batch
axis on input and output; the file is checked with ``onnx.checker``; then PyTorch and ONNX Runtime
run the same evaluation rows and the max absolute difference of their outputs must stay within
``tolerance`` (default 1e-4) or the export fails. Latency at batch 1 and 64 is measured for both.
Artifacts are written to a temporary file next to ``out_path`` and renamed only when every check passed.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from shipyard_ml.loading import atomic_path, eval_mode, latency_ms, onnx_predictor, torch_predictor
from shipyard_ml.recipe_types import Cancelled, Progress, ShouldStop, never_stop, no_progress
from shipyard_ml.reports import ExportReport

LATENCY_BATCHES = (1, 64)
DEFAULT_OPSET = 17


class ExportFailed(RuntimeError):
    """The exported model does not match PyTorch within tolerance (or could not be exported)."""

    def __init__(self, message: str, report: ExportReport | None = None) -> None:
        super().__init__(message)
        self.report = report


def _signature(n_features: int, n_classes: int, input_name: str = "input") -> dict[str, Any]:
    return {
        "inputs": [{"name": input_name, "dtype": "float32", "shape": [None, n_features]}],
        "outputs": [{"name": "logits", "dtype": "float32", "shape": [None, n_classes]}],
    }


def parity(reference: np.ndarray, candidate: np.ndarray) -> float:
    if reference.shape != candidate.shape:
        return float("inf")
    diff = np.abs(reference.astype(np.float64) - candidate.astype(np.float64))
    return float(np.nanmax(diff)) if diff.size and np.isfinite(diff).all() else (0.0 if not diff.size else float("inf"))


def _latencies(
    predictors: dict[str, Any],
    x: np.ndarray,
    repeats: int,
    progress: Progress,
    should_stop: ShouldStop,
    lo: float,
    hi: float,
) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {name: {} for name in predictors}
    steps = [(n, b) for n in predictors for b in LATENCY_BATCHES]
    for i, (name, batch) in enumerate(steps):
        if should_stop():
            raise Cancelled("stopped while measuring latency")
        out[name][str(batch)] = latency_ms(predictors[name], x, batch, repeats=repeats)
        progress(lo + (hi - lo) * (i + 1) / len(steps), f"latency {name} batch {batch}: {out[name][str(batch)]:.3f} ms")
    return out


def export_onnx(
    model: nn.Module,
    out_path: str | Path,
    eval_x: np.ndarray,
    *,
    opset: int = DEFAULT_OPSET,
    tolerance: float = 1e-4,
    latency_repeats: int = 30,
    device: str = "cpu",
    progress: Progress = no_progress,
    should_stop: ShouldStop = never_stop,
) -> ExportReport:
    import onnx

    model = eval_mode(model)
    eval_x = np.ascontiguousarray(eval_x, dtype=np.float32)
    example = torch.from_numpy(eval_x[: min(2, len(eval_x))])
    progress(5.0, f"exporting to ONNX opset {opset}")
    with atomic_path(out_path) as tmp:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model,
                (example,),
                str(tmp),
                dynamo=False,
                opset_version=int(opset),
                input_names=["input"],
                output_names=["logits"],
                dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
            )
        onnx.checker.check_model(onnx.load(str(tmp)))
        if should_stop():
            raise Cancelled("stopped after the ONNX export")
        progress(25.0, "parity check against PyTorch")
        torch_predict = torch_predictor(model, "cpu")
        onnx_predict = onnx_predictor(str(tmp), device)
        reference = torch_predict(eval_x)
        candidate = onnx_predict(eval_x)
        diff = parity(reference, candidate)
        progress(35.0, f"parity: max abs diff {diff:.3g} over {len(eval_x)} rows")
        latency = _latencies(
            {"pytorch": torch_predict, "onnx": onnx_predict}, eval_x, latency_repeats, progress, should_stop, 35.0, 95.0
        )
        size = Path(tmp).stat().st_size
        passed = diff <= tolerance
        report = ExportReport(
            format="onnx",
            size_bytes=size,
            passed=passed,
            summary=f"ONNX opset {opset}: max abs diff {diff:.3g} vs PyTorch (tolerance {tolerance:g})",
            max_abs_diff=diff,
            tolerance=tolerance,
            parity_rows=len(eval_x),
            latency_ms=latency,
            speedup={b: latency["pytorch"][b] / latency["onnx"][b] for b in latency["onnx"]},
            opset=int(opset),
            signature=_signature(int(eval_x.reshape(len(eval_x), -1).shape[1]), int(reference.shape[1])),
        )
        if not passed:
            raise ExportFailed(f"ONNX output differs from PyTorch by {diff:.3g} (> tolerance {tolerance:g})", report)
    progress(100.0, report.summary)
    return report


def export_torchscript(
    model: nn.Module,
    out_path: str | Path,
    eval_x: np.ndarray,
    *,
    tolerance: float = 1e-5,
    latency_repeats: int = 30,
    device: str = "cpu",
    progress: Progress = no_progress,
    should_stop: ShouldStop = never_stop,
) -> ExportReport:
    """TorchScript by tracing (the built-in architectures have no data-dependent control flow)."""
    model = model.to("cpu").eval()
    eval_x = np.ascontiguousarray(eval_x, dtype=np.float32)
    progress(5.0, "tracing to TorchScript")
    with atomic_path(out_path) as tmp:
        with torch.no_grad():
            traced = torch.jit.trace(model, torch.from_numpy(eval_x[: min(4, len(eval_x))]), check_trace=False)
        traced.save(str(tmp))
        if should_stop():
            raise Cancelled("stopped after tracing")
        loaded = torch.jit.load(str(tmp), map_location="cpu").eval()
        torch_predict = torch_predictor(model, "cpu")
        ts_predict = torch_predictor(loaded, device)
        reference = torch_predict(eval_x)
        diff = parity(reference, ts_predict(eval_x))
        progress(35.0, f"parity: max abs diff {diff:.3g}")
        latency = _latencies(
            {"pytorch": torch_predict, "torchscript": ts_predict},
            eval_x,
            latency_repeats,
            progress,
            should_stop,
            35.0,
            95.0,
        )
        passed = diff <= tolerance
        report = ExportReport(
            format="torchscript",
            size_bytes=Path(tmp).stat().st_size,
            passed=passed,
            summary=f"TorchScript: max abs diff {diff:.3g} vs eager (tolerance {tolerance:g})",
            max_abs_diff=diff,
            tolerance=tolerance,
            parity_rows=len(eval_x),
            latency_ms=latency,
            speedup={b: latency["pytorch"][b] / latency["torchscript"][b] for b in latency["torchscript"]},
            signature=_signature(int(eval_x.reshape(len(eval_x), -1).shape[1]), int(reference.shape[1])),
        )
        if not passed:
            raise ExportFailed(
                f"TorchScript output differs from eager by {diff:.3g} (> tolerance {tolerance:g})", report
            )
    progress(100.0, report.summary)
    return report
