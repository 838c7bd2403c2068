"""LiteRT (TFLite) export: the model exported to ONNX (``export.py``), converted by onnx2tf in an isolated
converter environment, and checked through the LiteRT interpreter itself (parity, accuracy, batch-1
latency) against the PyTorch parent.

onnx2tf, TensorFlow and ai-edge-litert need numpy 1.x, protobuf 4 and onnx 1.19, which clash with the
platform's pins (torch, numpy 2, onnx/onnxruntime), so they live in their own virtualenv
(``var/venvs/litert``, built by ``make litert`` from ``workers/litert-requirements.txt``; ``LITERT_PYTHON``
names another interpreter) and ``workers/litert_tool.py`` runs there as a subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from torch import nn

from shipyard_ml.edge import gated_report
from shipyard_ml.export import ExportFailed, export_onnx, parity
from shipyard_ml.loading import atomic_path, eval_mode, latency_ms, onnx_predictor, torch_predictor
from shipyard_ml.recipe_types import Cancelled, Progress, ShouldStop, never_stop, no_progress
from shipyard_ml.reports import ExportReport

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "workers" / "litert_tool.py"
DEFAULT_ENV = ROOT / "var" / "venvs" / "litert"
#: fp16 weights keep 11 significant bits: logits of about 10 moved by up to 1.55e-2 on the compact digits CNN
FP16_TOLERANCE = 5e-2
#: the FlatBuffers file identifier of a TFLite model, at bytes 4..8
TFLITE_IDENTIFIER = b"TFL3"
CONVERT_TIMEOUT_S = 600
RUN_TIMEOUT_S = 300


def litert_python() -> Path:
    """The converter environment's interpreter: ``LITERT_PYTHON``, else ``var/venvs/litert/bin/python``."""
    return Path(os.environ.get("LITERT_PYTHON") or DEFAULT_ENV / "bin" / "python")


def _tool(args: list[str], timeout: int, what: str) -> dict[str, Any]:
    python = litert_python()
    if not python.exists():
        raise ExportFailed(
            f"the LiteRT converter environment is missing ({python}): build it with `make litert` "
            "(an isolated virtualenv from workers/litert-requirements.txt) or set LITERT_PYTHON",
            None,
        )
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": "-1", "PYTHONNOUSERSITE": "1"}
    env.pop("PYTHONPATH", None)
    try:
        proc = subprocess.run(
            [str(python), "-I", str(TOOL), *args], capture_output=True, text=True, timeout=timeout, env=env, check=False
        )
    except subprocess.TimeoutExpired:
        raise ExportFailed(f"{what} timed out after {timeout} s", None) from None
    lines = [line for line in proc.stdout.strip().splitlines() if line.startswith("{")]
    try:
        result: dict[str, Any] = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        tail = " | ".join(proc.stderr.strip().splitlines()[-3:])[-400:]
        raise ExportFailed(f"{what} failed (exit {proc.returncode}): {tail or 'no output'}", None) from None
    if not result.get("ok"):
        op = result.get("op") or ""
        where = f" at operator {op}" + (f" ({result['node']})" if result.get("node") else "") if op else ""
        raise ExportFailed(f"{what} failed{where}: {result.get('error', '')}", None)
    return result


def convert_tflite(onnx_path: Path, outdir: Path, precision: str, calibration: Path | None = None) -> dict[str, Any]:
    args = ["convert", str(onnx_path), str(outdir), "--precision", precision]
    if calibration is not None:
        args += ["--calibration", str(calibration)]
    return _tool(args, CONVERT_TIMEOUT_S, "LiteRT conversion (onnx2tf)")


def run_tflite(tflite: Path, x: np.ndarray, repeats: int) -> tuple[np.ndarray, dict[str, Any]]:
    """Every row through the LiteRT interpreter (batch 1) and its median batch-1 latency."""
    with tempfile.TemporaryDirectory(prefix="shipyard-litert-run-") as work:
        rows, out = Path(work) / "rows.npy", Path(work) / "out.npy"
        np.save(rows, np.ascontiguousarray(x, dtype=np.float32))
        info = _tool(["run", str(tflite), str(rows), str(out), "--repeats", str(repeats)], RUN_TIMEOUT_S, "LiteRT run")
        return np.load(out), info


def export_tflite(
    model: nn.Module,
    out_path: str | Path,
    eval_x: np.ndarray,
    *,
    eval_y: np.ndarray | None = None,
    precision: str = "fp32",
    tolerance: float | None = None,
    latency_repeats: int = 30,
    calibration_x: np.ndarray | None = None,
    max_metric_drop: float = 0.01,
    progress: Progress = no_progress,
    should_stop: ShouldStop = never_stop,
) -> ExportReport:
    """ONNX export, onnx2tf conversion at batch 1 (fp32, fp16 weights, or int8 calibrated on
    ``calibration_x``), then parity through the LiteRT interpreter over ``eval_x``: fp32 and fp16 gated
    on the max abs diff from PyTorch (``tolerance``: 1e-4, fp16 ``FP16_TOLERANCE``), int8 on accuracy
    against the fp32 parent (drop <= ``max_metric_drop``), like the ``quantize`` job."""
    model = eval_mode(model)
    eval_x = np.ascontiguousarray(eval_x, dtype=np.float32)
    int8 = precision == "int8"
    if tolerance is None:
        tolerance = FP16_TOLERANCE if precision == "fp16" else 1e-4
    if int8 and (eval_y is None or not len(eval_y)):
        raise ExportFailed("int8 export needs labelled evaluation rows for its accuracy gate", None)
    with tempfile.TemporaryDirectory(prefix="shipyard-litert-") as work_dir:
        work = Path(work_dir)
        progress(5.0, "exporting to ONNX")
        try:
            export_onnx(model, work / "model.onnx", eval_x[:64], latency_repeats=1)
        except ExportFailed:
            raise
        except Exception as exc:
            first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
            raise ExportFailed(f"ONNX export (the LiteRT converter's input) failed: {first}", None) from exc
        if should_stop():
            raise Cancelled("stopped after the ONNX export")
        calibration = None
        if int8:
            calibration = work / "calibration.npy"
            np.save(calibration, np.ascontiguousarray(eval_x if calibration_x is None else calibration_x, np.float32))
        progress(15.0, f"converting to LiteRT ({precision}) with onnx2tf in the isolated converter environment")
        converted = convert_tflite(work / "model.onnx", work / "out", precision, calibration)
        if should_stop():
            raise Cancelled("stopped after conversion")
        progress(60.0, "parity check through the LiteRT interpreter")
        with atomic_path(out_path) as tmp:
            Path(tmp).write_bytes(Path(converted["tflite"]).read_bytes())
            outputs, info = run_tflite(Path(tmp), eval_x, latency_repeats)
            torch_predict = torch_predictor(model, "cpu")
            reference = torch_predict(eval_x)
            diff = parity(reference, outputs)
            labelled = eval_y is not None and len(eval_y)
            accuracy = float((outputs.argmax(1) == eval_y).mean()) if labelled else None
            reference_accuracy = float((reference.argmax(1) == eval_y).mean()) if labelled else None
            progress(80.0, f"parity: max abs diff {diff:.3g} over {len(eval_x)} rows")
            latency = {
                "pytorch": {"1": latency_ms(torch_predict, eval_x, 1, repeats=latency_repeats)},
                "onnxruntime": {
                    "1": latency_ms(onnx_predictor(str(work / "model.onnx")), eval_x, 1, repeats=latency_repeats)
                },
                "litert": {"1": float(info["latency_ms_batch1"])},
            }
            lit = latency["litert"]["1"]
            report = gated_report(
                fmt="tflite",
                label=f"LiteRT {precision} (onnx2tf)",
                engine="LiteRT",
                runtime="litert",
                rows=len(eval_x),
                diff=diff,
                tolerance=tolerance,
                int8=int8,
                accuracy=accuracy,
                reference_accuracy=reference_accuracy,
                max_metric_drop=max_metric_drop,
                latency=latency,
                size=Path(tmp).stat().st_size,
                speed=f"batch-1 {lit:.3f} ms = {latency['onnxruntime']['1'] / lit:.2f}x ONNX Runtime's speed",
                signature={
                    "inputs": [{"name": "input", "dtype": "float32", "shape": info["input"]["shape"]}],
                    "outputs": [{"name": "logits", "dtype": "float32", "shape": info["output"]["shape"]}],
                },
                spec={
                    "precision": precision,
                    "op_types": converted["ops"],
                    "converter": "onnx2tf",
                    "io_dtype": info["input"]["dtype"],
                },
            )
    progress(100.0, report.summary)
    return report
