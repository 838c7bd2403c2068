"""Compression: int8 quantization with ONNX Runtime (dynamic, static) and magnitude pruning.

Every function returns a :class:`CompressionReport`: size, latency at batch 1 and 64 and metrics
on the eval rows and per slice, before and after, their ratios/deltas, and a gate that fails when
the gated metric (accuracy by default) drops by more than ``max_metric_drop``.
"""

from __future__ import annotations

import copy
import gzip
import io
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from shipyard_ml.evaluate import evaluate
from shipyard_ml.loading import Predictor, atomic_path, latency_ms, onnx_predictor, save_state_dict, torch_predictor
from shipyard_ml.nets import count_parameters
from shipyard_ml.recipe_types import Cancelled, Progress, ShouldStop, TrainingData, never_stop, no_progress
from shipyard_ml.reports import CompressionReport, ModelFigures
from shipyard_ml.train import train_classifier

LATENCY_BATCHES = (1, 64)


class GateFailed(RuntimeError):
    def __init__(self, message: str, report: CompressionReport) -> None:
        super().__init__(message)
        self.report = report


def figures(
    predict: Predictor,
    data: TrainingData,
    size_bytes: int,
    *,
    repeats: int,
    params: int | None = None,
    should_stop: ShouldStop = never_stop,
) -> ModelFigures:
    ev = evaluate(predict, data, should_stop=should_stop)
    lat = {}
    for b in LATENCY_BATCHES:
        if should_stop():
            raise Cancelled("stopped while measuring latency")
        lat[str(b)] = latency_ms(predict, data.X_eval, b, repeats=repeats)
    return ModelFigures(
        size_bytes=int(size_bytes), latency_ms=lat, metrics=ev.metrics, slice_metrics=ev.slice_metrics, params=params
    )


def compare(
    kind: str,
    before: ModelFigures,
    after: ModelFigures,
    *,
    metric: str = "accuracy",
    max_metric_drop: float = 0.01,
    extra: dict[str, Any] | None = None,
) -> CompressionReport:
    delta = float(after.metrics[metric]) - float(before.metrics[metric])
    slice_deltas = {
        name: float(after.slice_metrics[name][metric]) - float(m[metric])
        for name, m in before.slice_metrics.items()
        if metric in m and metric in after.slice_metrics.get(name, {})
    }
    ratios = {"size": before.size_bytes / max(after.size_bytes, 1)}
    for b in before.latency_ms:
        ratios[f"latency_{b}"] = before.latency_ms[b] / max(after.latency_ms[b], 1e-9)
    if before.params and after.params:
        ratios["params"] = before.params / after.params
    passed = math.isfinite(delta) and -delta <= max_metric_drop + 1e-12
    summary = (
        f"{kind}: size {ratios['size']:.2f}x smaller, batch-64 latency {ratios.get('latency_64', float('nan')):.2f}x, "
        f"{metric} {before.metrics[metric]:.4f} -> {after.metrics[metric]:.4f} ({delta * 100:+.2f} points; gate: drop <= {max_metric_drop * 100:.2f})"
    )
    return CompressionReport(
        kind, passed, summary, before, after, ratios, metric, delta, slice_deltas, max_metric_drop, extra or {}
    )


# --------------------------------------------------------------------------- quantization


class _Calibration:
    """onnxruntime CalibrationDataReader over rows of a dataset."""

    def __init__(self, input_name: str, x: np.ndarray, batch: int = 32) -> None:
        self._batches = iter(
            [{input_name: np.ascontiguousarray(x[i : i + batch], dtype=np.float32)} for i in range(0, len(x), batch)]
        )

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self._batches, None)

    def rewind(self) -> None:  # pragma: no cover - onnxruntime may call it
        pass


def quantize_onnx(
    fp32_path: str | Path,
    out_path: str | Path,
    data: TrainingData,
    *,
    mode: str = "dynamic",
    calibration_x: np.ndarray | None = None,
    calibration_rows: int = 256,
    per_channel: bool = False,
    max_metric_drop: float = 0.01,
    latency_repeats: int = 30,
    threads: int | None = None,
    device: str = "cpu",
    progress: Progress = no_progress,
    should_stop: ShouldStop = never_stop,
) -> CompressionReport:
    """int8 quantization of an fp32 ONNX model. ``dynamic``: int8 weights, activations quantized at run time.
    ``static``: int8 weights and activations with ranges calibrated on ``calibration_x`` (or the training rows)."""
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_dynamic, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    if mode not in ("dynamic", "static"):
        raise ValueError(f"Unknown quantization mode '{mode}'; expected 'dynamic' or 'static'.")
    fp32_path = str(fp32_path)
    progress(5.0, "measuring the fp32 model")
    before = figures(
        onnx_predictor(fp32_path, device, threads),
        data,
        os.path.getsize(fp32_path),
        repeats=latency_repeats,
        should_stop=should_stop,
    )
    if should_stop():
        raise Cancelled("stopped before quantizing")
    progress(35.0, f"quantizing ({mode})")
    with tempfile.TemporaryDirectory(prefix="shipyard-quant-") as work, atomic_path(out_path) as tmp:
        pre = str(Path(work) / "pre.onnx")
        try:
            quant_pre_process(fp32_path, pre, skip_symbolic_shape=True)
        except Exception:  # pre-processing is an optimisation; quantize the original when it cannot run
            pre = fp32_path
        if mode == "dynamic":
            quantize_dynamic(pre, str(tmp), weight_type=QuantType.QInt8, per_channel=per_channel)
        else:
            import onnxruntime as ort

            cal = calibration_x if calibration_x is not None else data.X_train
            cal = np.asarray(cal, dtype=np.float32)[:calibration_rows]
            name = ort.InferenceSession(pre, providers=["CPUExecutionProvider"]).get_inputs()[0].name
            quantize_static(
                pre,
                str(tmp),
                _Calibration(name, cal),
                quant_format=QuantFormat.QOperator,
                activation_type=QuantType.QUInt8,
                weight_type=QuantType.QInt8,
                per_channel=per_channel,
                calibrate_method=CalibrationMethod.MinMax,
            )
        if should_stop():
            raise Cancelled("stopped after quantizing")
        progress(60.0, "measuring the int8 model")
        after = figures(
            onnx_predictor(str(tmp), device, threads),
            data,
            Path(tmp).stat().st_size,
            repeats=latency_repeats,
            should_stop=should_stop,
        )
        report = compare(
            f"quantize_{mode}",
            before,
            after,
            max_metric_drop=max_metric_drop,
            extra={
                "mode": mode,
                "per_channel": per_channel,
                "calibration_rows": 0 if mode == "dynamic" else int(min(calibration_rows, len(cal))),
            },
        )
        if not report.passed:
            raise GateFailed(f"gate failed: {report.summary}", report)
    progress(100.0, report.summary)
    return report


# --------------------------------------------------------------------------- pruning


def _prunable(model: nn.Module) -> list[tuple[nn.Module, str]]:
    return [(m, "weight") for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d))]


def sparsity(model: nn.Module) -> float:
    total = zeros = 0
    for module, name in _prunable(model):
        w = getattr(module, name)
        total += w.numel()
        zeros += int((w == 0).sum())
    return zeros / max(total, 1)


def _gzip_size(model: nn.Module) -> int:
    buf = io.BytesIO()
    torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()}, buf)
    return len(gzip.compress(buf.getvalue(), compresslevel=6))


def prune_magnitude(
    model: nn.Module,
    data: TrainingData,
    out_path: str | Path,
    *,
    target_sparsity: float = 0.5,
    fine_tune_epochs: int = 0,
    fine_tune_config: dict[str, Any] | None = None,
    seed: int = 0,
    max_metric_drop: float = 0.01,
    latency_repeats: int = 30,
    device: str = "cpu",
    progress: Progress = no_progress,
    should_stop: ShouldStop = never_stop,
) -> tuple[nn.Module, CompressionReport]:
    """Global L1 magnitude pruning of every Linear/Conv weight to ``target_sparsity``; optional fine-tuning
    with the masks held; masks then baked in. Sizes are gzip-compressed state_dict bytes (zeros compress;
    dense kernels do not get faster from unstructured sparsity, and the report says so in its latency ratio)."""
    from torch.nn.utils import prune

    if not 0.0 < target_sparsity < 1.0:
        raise ValueError("target_sparsity must be between 0 and 1 (exclusive).")
    model = model.to("cpu").eval()
    progress(5.0, "measuring the dense model")
    before = figures(
        torch_predictor(model, device),
        data,
        _gzip_size(model),
        repeats=latency_repeats,
        params=count_parameters(model),
        should_stop=should_stop,
    )
    before.extra["sparsity"] = sparsity(model)
    pruned = copy.deepcopy(model).to("cpu")
    params = _prunable(pruned)
    prune.global_unstructured(params, pruning_method=prune.L1Unstructured, amount=float(target_sparsity))
    progress(35.0, f"pruned to {sparsity(pruned):.3f} sparsity")
    if fine_tune_epochs > 0:
        cfg = {"epochs": int(fine_tune_epochs), "lr": 5e-4, "batch_size": 64, **(fine_tune_config or {})}
        cfg["epochs"] = int(fine_tune_epochs)
        train_classifier(
            pruned,
            data,
            cfg,
            seed,
            device=device,
            should_stop=should_stop,
            progress=lambda p, m: progress(35.0 + 0.3 * p, f"fine-tuning: {m}"),
        )
    for module, name in params:
        prune.remove(module, name)
    pruned.eval()
    if should_stop():
        raise Cancelled("stopped after pruning")
    progress(70.0, "measuring the pruned model")
    after = figures(
        torch_predictor(pruned, device),
        data,
        _gzip_size(pruned),
        repeats=latency_repeats,
        params=count_parameters(pruned),
        should_stop=should_stop,
    )
    after.extra["sparsity"] = sparsity(pruned)
    after.extra["nonzero_params"] = int(sum(int((getattr(m, n) != 0).sum()) for m, n in _prunable(pruned)))
    report = compare(
        "prune",
        before,
        after,
        max_metric_drop=max_metric_drop,
        extra={
            "target_sparsity": target_sparsity,
            "achieved_sparsity": after.extra["sparsity"],
            "fine_tune_epochs": fine_tune_epochs,
            "size_measure": "gzip(state_dict)",
        },
    )
    if not report.passed:
        raise GateFailed(f"gate failed: {report.summary}", report)
    save_state_dict(pruned, out_path)
    progress(100.0, report.summary)
    return pruned, report
