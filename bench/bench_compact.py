"""Compact architecture: the standard digits CNN vs the MobileNet-style depthwise-separable
``digits_compact``, fp32 and int8 (static, QDQ) on ONNX Runtime.

For each model: parameters, multiply-adds per example (PyTorch's FLOP counter), ONNX file size,
batch-1 and batch-64 latency on ONNX Runtime (median of timed calls, 2 intra-op threads) and
accuracy on the digits evaluation split, then each figure as a ratio to the standard CNN measured
in the same run; then the compact model's batch-1 latency per runtime (PyTorch, ExecuTorch with
XNNPACK fp32 and int8, LiteRT fp32, fp16 and int8 through its interpreter in the isolated converter
environment, ONNX Runtime fp32 and int8) as a ratio to ONNX Runtime, and the Core ML
package's size (Core ML cannot run on Linux). ``--edge-only`` prints only that last table. Prints
figures and ratios; asserts nothing.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench compact")
    parser.add_argument("--repeats", type=int, default=300)
    parser.add_argument("--quick", action="store_true", help="fewer epochs and repeats (smoke run)")
    parser.add_argument("--edge-only", action="store_true", help="only the per-runtime edge table (no standard CNN)")
    args = parser.parse_args(argv)

    import torch

    from shipyard_ml.data import load_sklearn_dataset
    from shipyard_ml.train import digits_cnn, digits_compact

    repeats = 20 if args.quick else args.repeats
    torch.set_num_threads(2)
    data = load_sklearn_dataset("digits")
    print(f"digits: {len(data.y_train)} train / {len(data.y_eval)} eval rows; onnxruntime, 2 threads")
    compact, _ = digits_compact({"epochs": 5} if args.quick else {}, 0, data)
    if not args.edge_only:
        _architectures(data, compact, digits_cnn({"epochs": 3} if args.quick else {}, 0, data)[0], repeats)
    torch.set_num_threads(2)
    _edge(data, compact, repeats)
    return 0


def _architectures(data: Any, compact: Any, standard: Any, repeats: int) -> None:
    """The standard CNN against the compact one (fp32 and int8) on ONNX Runtime."""
    from shipyard_ml.compression import quantize_onnx
    from shipyard_ml.evaluate import evaluate
    from shipyard_ml.export import export_onnx
    from shipyard_ml.loading import latency_ms, onnx_predictor
    from shipyard_ml.nets import count_macs, count_parameters

    x = data.X_eval

    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-compact-") as tmp:
        paths = {}
        for name, model in (("standard CNN fp32", standard), ("compact fp32", compact)):
            paths[name] = Path(tmp) / f"{name.split()[0]}.onnx"
            export_onnx(model, paths[name], x, latency_repeats=2)
        paths["compact int8"] = Path(tmp) / "compact-int8.onnx"
        quantize_onnx(
            paths["compact fp32"],
            paths["compact int8"],
            data,
            mode="static",
            latency_repeats=2,
            threads=2,
            max_metric_drop=1.0,
        )
        counts = {
            "standard CNN fp32": (count_parameters(standard), count_macs(standard, x.shape[1])),
            "compact fp32": (count_parameters(compact), count_macs(compact, x.shape[1])),
            "compact int8": (count_parameters(compact), count_macs(compact, x.shape[1])),
        }
        for name, path in paths.items():
            predict = onnx_predictor(str(path), threads=2)
            accuracy = evaluate(predict, data).metrics["accuracy"]
            b1, b64 = (latency_ms(predict, x, b, repeats=repeats) for b in (1, 64))
            params, macs = counts[name]
            rows.append((name, params, macs, path.stat().st_size, b1, b64, accuracy))

    base = rows[0]
    print(f"\n{'model':<18} {'params':>8} {'MACs':>9} {'ONNX KB':>8} {'b1 ms':>8} {'b64 ms':>8} {'accuracy':>9}")
    for name, params, macs, size, b1, b64, acc in rows:
        print(f"{name:<18} {params:>8,} {macs:>9,} {size / 1024:>8.1f} {b1:>8.4f} {b64:>8.4f} {acc:>9.4f}")
    print("\nratios to the standard CNN (fewer/smaller/faster > 1; accuracy as a difference in points)")
    for name, params, macs, size, b1, b64, acc in rows[1:]:
        print(
            f"{name:<18} params {base[1] / params:.1f}x fewer, MACs {base[2] / macs:.1f}x fewer, file {base[3] / size:.1f}x smaller, "
            f"batch-1 {base[4] / b1:.2f}x faster, batch-64 {base[5] / b64:.2f}x faster, accuracy {(acc - base[6]) * 100:+.2f} points"
        )
    print("(int8 keeps the parameter count; its weights take 1 byte instead of 4)")


def _edge(data: Any, compact: Any, repeats: int) -> None:
    """The compact model per runtime at batch 1: ExecuTorch fp32 and int8 (PT2E), LiteRT fp32, fp16 and
    int8, ONNX Runtime fp32 and int8 (static), PyTorch; Core ML converted and its spec checked (it cannot run on Linux)."""
    from shipyard_ml.compression import quantize_onnx
    from shipyard_ml.coreml import export_coreml
    from shipyard_ml.edge import export_executorch
    from shipyard_ml.evaluate import evaluate
    from shipyard_ml.export import export_onnx
    from shipyard_ml.litert import export_tflite
    from shipyard_ml.loading import latency_ms, onnx_predictor

    x = data.X_eval
    print("\nthe compact model per runtime at batch 1 (ratio = ONNX Runtime latency / runtime latency)")
    with tempfile.TemporaryDirectory(prefix="bench-compact-et-") as tmp:
        et = export_executorch(compact, Path(tmp) / "compact.pte", x, eval_y=data.y_eval, latency_repeats=repeats)
        q8 = export_executorch(
            compact,
            Path(tmp) / "compact-int8.pte",
            x,
            eval_y=data.y_eval,
            latency_repeats=repeats,
            quantization="int8",
            calibration_x=data.X_train[:256],
            max_metric_drop=1.0,
        )
        export_onnx(compact, Path(tmp) / "compact.onnx", x, latency_repeats=2)
        quantize_onnx(
            Path(tmp) / "compact.onnx",
            Path(tmp) / "compact-int8.onnx",
            data,
            mode="static",
            latency_repeats=2,
            threads=2,
            max_metric_drop=1.0,
        )
        ort8 = onnx_predictor(str(Path(tmp) / "compact-int8.onnx"), threads=2)
        ort8_ms = latency_ms(ort8, x, 1, repeats=repeats)
        ort8_acc = evaluate(ort8, data).metrics["accuracy"]
        ort8_size = (Path(tmp) / "compact-int8.onnx").stat().st_size
        ort32_size = (Path(tmp) / "compact.onnx").stat().st_size
        cm = export_coreml(compact, Path(tmp) / "compact.mlpackage.zip", x, precision="fp16")
        lite = {  # the LiteRT interpreter runs in the isolated converter environment, one thread
            precision: export_tflite(
                compact,
                Path(tmp) / f"compact-{precision}.tflite",
                x,
                eval_y=data.y_eval,
                precision=precision,
                latency_repeats=repeats,
                calibration_x=data.X_train[:256],
                max_metric_drop=1.0,
            )
            for precision in ("fp32", "fp16", "int8")
        }
    ort_ms = et.latency_ms["onnxruntime"]["1"]
    rows = [
        ("ExecuTorch fp32 (.pte)", et.latency_ms["executorch"]["1"], et.size_bytes, et.accuracy),
        ("ExecuTorch int8 (.pte)", q8.latency_ms["executorch"]["1"], q8.size_bytes, q8.accuracy),
        *[(f"LiteRT {k} (.tflite)", r.latency_ms["litert"]["1"], r.size_bytes, r.accuracy) for k, r in lite.items()],
        ("ONNX Runtime fp32", ort_ms, ort32_size, q8.reference_accuracy),
        ("ONNX Runtime int8 static", ort8_ms, ort8_size, ort8_acc),
        ("PyTorch eager", et.latency_ms["pytorch"]["1"], None, q8.reference_accuracy),
    ]
    print(f"  {'runtime':<26} {'b1 ms':>8} {'ratio':>6} {'KB':>7} {'accuracy':>9}")
    for name, ms, size, acc in rows:
        kb = f"{size / 1024:.1f}" if size else "-"
        print(f"  {name:<26} {ms:>8.4f} {ort_ms / ms:>5.2f}x {kb:>7} {acc:>9.4f}")
    print(f"  ExecuTorch fp32 parity: max abs diff {et.max_abs_diff:.2g} over {et.parity_rows} rows")
    print(f"  ExecuTorch int8: {q8.summary}")
    print(f"  Core ML fp16 (.mlpackage.zip): {cm.size_bytes / 1024:.1f} KB; ops {cm.spec['op_types']}; {cm.parity}")
    for k, r in lite.items():
        print(f"  LiteRT {k}: {r.summary}")


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
