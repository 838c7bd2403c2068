"""Edge export: ExecuTorch programs (``.pte``) lowered with the XNNPACK delegate, their parity and
batch-1 latency measured through ExecuTorch's own runtime, beside ONNX Runtime on the same model.

A mobile app runs one example at a time, so the program is exported at batch 1 (a static shape, as
XNNPACK prefers) and parity runs it once per evaluation row. ``executorch`` is imported lazily: it is
an optional dependency of the ``ml`` group and only workers load it.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from shipyard_ml.export import ExportFailed, export_onnx, parity
from shipyard_ml.loading import atomic_path, eval_mode, latency_ms, onnx_predictor, torch_predictor
from shipyard_ml.recipe_types import Cancelled, Progress, ShouldStop, never_stop, no_progress
from shipyard_ml.reports import ExportReport

#: the flatbuffer file identifier of an ExecuTorch program, at bytes 4..8
PTE_IDENTIFIER = b"ET12"

_OP = re.compile(r"(aten\.[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)?|torch\.ops\.[A-Za-z0-9_.]+)")


def failed_op(exc: BaseException) -> str:
    """The operator a converter names in its error (``aten.<op>``), or "" when it names none."""
    match = _OP.search(str(exc))
    return match.group(1) if match else ""


def _lower(model: nn.Module, example: torch.Tensor) -> bytes:
    from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner
    from executorch.exir import to_edge_transform_and_lower

    program = torch.export.export(model, (example,))
    return bytes(to_edge_transform_and_lower(program, partitioner=[XnnpackPartitioner()]).to_executorch().buffer)


def quantize_int8(model: nn.Module, example: torch.Tensor, calibration_x: np.ndarray) -> nn.Module:
    """PT2E static int8: the XNNPACK quantizer (symmetric, per-channel weights) annotates the exported
    graph, ``calibration_x`` (one row at a time, batch 1 as exported) sets the activation ranges."""
    from executorch.backends.xnnpack.quantizer.xnnpack_quantizer import (
        XNNPACKQuantizer,
        get_symmetric_quantization_config,
    )
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

    quantizer = XNNPACKQuantizer().set_global(get_symmetric_quantization_config(is_per_channel=True))
    prepared = prepare_pt2e(torch.export.export(model, (example,)).module(), quantizer)
    with torch.no_grad():
        for row in np.ascontiguousarray(calibration_x, dtype=np.float32):
            prepared(torch.from_numpy(row[None].copy()))
    return convert_pt2e(prepared)


def executorch_predictor(path: str) -> Any:
    """Run a batch-1 ``.pte`` through ExecuTorch's runtime, one row at a time."""
    from executorch.runtime import Runtime

    method = Runtime.get().load_program(path).load_method("forward")

    def predict(x: np.ndarray) -> np.ndarray:
        rows = np.ascontiguousarray(x, dtype=np.float32)
        return np.concatenate([method.execute([torch.from_numpy(r[None].copy())])[0].numpy() for r in rows])

    return predict


def gated_report(
    *,
    fmt: str,
    label: str,
    engine: str,
    runtime: str,
    rows: int,
    diff: float,
    tolerance: float,
    int8: bool,
    accuracy: float | None,
    reference_accuracy: float | None,
    max_metric_drop: float,
    latency: dict[str, dict[str, float]],
    size: int,
    speed: str,
    signature: dict[str, Any],
    spec: dict[str, Any] | None = None,
) -> ExportReport:
    """The report of an edge export measured in its own ``runtime`` (``engine``), gated: fp32 on the max
    abs diff from PyTorch, int8 on accuracy against the fp32 parent; raises ``ExportFailed`` (with the
    report) when the gate fails."""
    if int8 and accuracy is not None and reference_accuracy is not None:
        drop = reference_accuracy - accuracy
        passed = drop <= max_metric_drop + 1e-12
        summary = (
            f"{label}: accuracy {reference_accuracy:.4f} -> {accuracy:.4f} ({-drop * 100:+.2f} points; gate: drop <= "
            f"{max_metric_drop * 100:.2f}); max abs diff {diff:.3g} vs fp32; {speed}"
        )
    else:
        passed = diff <= tolerance
        summary = f"{label}: max abs diff {diff:.3g} vs PyTorch (tolerance {tolerance:g}); {speed}"
    report = ExportReport(
        format=fmt,
        size_bytes=size,
        passed=passed,
        summary=summary,
        max_abs_diff=diff,
        tolerance=None if int8 else tolerance,
        parity=(
            f"{engine} runtime vs the fp32 parent over {rows} rows, gated on accuracy"
            if int8
            else f"{engine} runtime vs eager PyTorch over {rows} rows, gated on max abs diff"
        ),
        reference_accuracy=reference_accuracy,
        max_metric_drop=max_metric_drop if int8 else None,
        parity_rows=rows,
        latency_ms=latency,
        speedup={"1": latency["pytorch"]["1"] / latency[runtime]["1"]},
        signature=signature,
        accuracy=accuracy,
        spec=spec or {},
    )
    if not passed and int8:
        raise ExportFailed(f"int8 accuracy gate failed: {summary}", report)
    if not passed:
        raise ExportFailed(f"{engine} output differs from PyTorch by {diff:.3g} (> tolerance {tolerance:g})", report)
    return report


def export_executorch(
    model: nn.Module,
    out_path: str | Path,
    eval_x: np.ndarray,
    *,
    eval_y: np.ndarray | None = None,
    tolerance: float = 1e-4,
    latency_repeats: int = 30,
    quantization: str = "none",
    calibration_x: np.ndarray | None = None,
    max_metric_drop: float = 0.01,
    progress: Progress = no_progress,
    should_stop: ShouldStop = never_stop,
) -> ExportReport:
    """Lower ``model`` to an ExecuTorch program with the XNNPACK delegate and check it in ExecuTorch's
    runtime: max abs difference from eager PyTorch over ``eval_x`` and batch-1 latency (PyTorch,
    ExecuTorch, and ONNX Runtime on an ONNX export of the same model, for the ratio).

    ``quantization="int8"``: PT2E static int8 calibrated on ``calibration_x`` (default: the first
    evaluation rows); gated like the ``quantize`` job, on accuracy against the fp32 parent over
    ``eval_x`` (drop <= ``max_metric_drop``), the max abs diff reported but not gated."""
    model = eval_mode(model)
    eval_x = np.ascontiguousarray(eval_x, dtype=np.float32)
    example = torch.from_numpy(eval_x[:1].copy())
    int8 = quantization == "int8"
    if int8 and (eval_y is None or not len(eval_y)):
        raise ExportFailed("int8 export needs labelled evaluation rows for its accuracy gate", None)
    progress(5.0, f"lowering to ExecuTorch with the XNNPACK delegate{' (int8, PT2E)' if int8 else ''}")
    try:
        lowered = quantize_int8(model, example, eval_x if calibration_x is None else calibration_x) if int8 else model
        buffer = _lower(lowered, example)
    except Exception as exc:  # a converter error: the job fails naming the operator when the converter does
        op = failed_op(exc)
        where = f" at operator {op}" if op else ""
        first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        raise ExportFailed(f"ExecuTorch lowering failed{where}: {first}", None) from exc
    if should_stop():
        raise Cancelled("stopped after lowering")
    with atomic_path(out_path) as tmp:
        Path(tmp).write_bytes(buffer)
        progress(30.0, "parity check in ExecuTorch's runtime")
        et_predict = executorch_predictor(str(tmp))
        torch_predict = torch_predictor(model, "cpu")
        reference = torch_predict(eval_x)
        outputs = et_predict(eval_x)
        diff = parity(reference, outputs)
        accuracy = float((outputs.argmax(1) == eval_y).mean()) if eval_y is not None and len(eval_y) else None
        progress(60.0, f"parity: max abs diff {diff:.3g} over {len(eval_x)} rows")
        with tempfile.TemporaryDirectory(prefix="shipyard-edge-") as work:
            engines = {"pytorch": torch_predict, "executorch": et_predict}
            try:  # for the ratio only: a torch.export program has no ONNX export here (TorchScript-based exporter)
                export_onnx(model, Path(work) / "model.onnx", eval_x[:64], latency_repeats=1)
                engines["onnxruntime"] = onnx_predictor(str(Path(work) / "model.onnx"))
            except Exception as exc:  # the comparison is optional; the progress log says it is missing
                progress(62.0, f"no ONNX Runtime comparison: {str(exc).strip()[:120] or type(exc).__name__}")
            latency = {name: {"1": latency_ms(p, eval_x, 1, repeats=latency_repeats)} for name, p in engines.items()}
        progress(95.0, f"batch-1 latency: executorch {latency['executorch']['1']:.3f} ms")
        ort = latency.get("onnxruntime", {}).get("1")
        ratio = f"{ort / latency['executorch']['1']:.2f}x ONNX Runtime's speed" if ort else "ONNX Runtime not compared"
        speed = f"batch-1 {latency['executorch']['1']:.3f} ms = {ratio}"
        reference_accuracy = float((reference.argmax(1) == eval_y).mean()) if int8 else None
        report = gated_report(
            fmt="executorch",
            label="ExecuTorch int8 (XNNPACK, PT2E)" if int8 else "ExecuTorch (XNNPACK)",
            engine="ExecuTorch",
            rows=len(eval_x),
            diff=diff,
            tolerance=tolerance,
            int8=int8,
            accuracy=accuracy,
            reference_accuracy=reference_accuracy,
            max_metric_drop=max_metric_drop,
            latency=latency,
            runtime="executorch",
            size=Path(tmp).stat().st_size,
            speed=speed,
            signature={
                "inputs": [{"name": "input", "dtype": "float32", "shape": [1, int(eval_x.shape[1])]}],
                "outputs": [{"name": "logits", "dtype": "float32", "shape": [1, int(reference.shape[1])]}],
            },
        )
    progress(100.0, report.summary)
    return report
