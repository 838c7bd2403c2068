"""LiteRT (TFLite) converter and runner, run as a subprocess with the isolated converter environment's
Python (``var/venvs/litert``, built by ``make litert`` from ``workers/litert-requirements.txt``).

onnx2tf, TensorFlow and ai-edge-litert pin numpy 1.x, protobuf 4 and an older onnx, which clash with the
platform's own pins, so this script imports only the standard library and that environment's packages
(never ``shipyard_ml`` or torch). Each command prints one JSON object on its last stdout line.

    convert <model.onnx> <outdir> [--precision fp32|fp16|int8] [--calibration rows.npy]
    run <model.tflite> <rows.npy> <out.npy> [--repeats N]

``convert`` fixes the batch size to 1 (a device runs one example at a time) and writes ``model.tflite``
to ``outdir``: fp32 and fp16 weights from onnx2tf's own outputs, int8 from its integer quantization
(int8 weights and activations, float input and output) calibrated on ``--calibration``. ``run`` feeds
every row through the LiteRT interpreter one at a time, saves the outputs, and times batch 1.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

#: onnx2tf's output file for each precision
OUTPUTS = {"fp32": "float32", "fp16": "float16", "int8": "integer_quant"}


def _emit(payload: dict[str, Any]) -> None:
    sys.stdout.write("\n" + json.dumps(payload) + "\n")
    sys.stdout.flush()


def _op_type(onnx_path: str, node_name: str | None) -> str:
    """The ONNX operator type of the node onnx2tf names in its error ("" when it names none)."""
    if not node_name:
        return ""
    try:
        import onnx

        model = onnx.load(onnx_path)
    except Exception:
        return ""
    wanted = node_name.lstrip("/").replace("wa/", "")
    for node in model.graph.node:
        if node.name.lstrip("/") == wanted or node.name == node_name:
            return str(node.op_type)
    return ""


def _ops(tflite_path: Path) -> dict[str, int]:
    from ai_edge_litert.interpreter import Interpreter

    counts: dict[str, int] = {}
    for op in Interpreter(model_path=str(tflite_path))._get_ops_details():
        counts[op["op_name"]] = counts.get(op["op_name"], 0) + 1
    return dict(sorted(counts.items()))


def _prepare(onnx_path: str, work: Path) -> tuple[str, str]:
    """Fix the batch to 1 and simplify (static shapes), and write onnx2tf's parameter replacement for
    each Reshape that turns a flat row into an NCHW image: onnx2tf keeps such a tensor in NCHW order
    while the convolutions after it read NHWC, so its output is transposed to NHWC (the parity check
    through the interpreter confirms the result). Returns the simplified model and replacement file."""
    import onnx
    from onnxsim import simplify

    model = onnx.load(onnx_path)
    first = model.graph.input[0]
    dims = [d.dim_value or 1 for d in first.type.tensor_type.shape.dim]
    model, _ = simplify(model, overwrite_input_shapes={first.name: [1, *dims[1:]]})
    model = onnx.shape_inference.infer_shapes(model)
    ranks = {v.name: len(v.type.tensor_type.shape.dim) for v in [*model.graph.value_info, *model.graph.input]}
    operations = [
        {
            "op_name": node.name,
            "param_target": "outputs",
            "param_name": node.output[0],
            "post_process_transpose_perm": [0, 2, 3, 1],
        }
        for node in model.graph.node
        if node.op_type == "Reshape" and ranks.get(node.input[0], 4) < 4 and ranks.get(node.output[0]) == 4
    ]
    work.mkdir(parents=True, exist_ok=True)
    simplified = work / "model.onnx"
    onnx.save(model, str(simplified))
    replacement = work / "replace.json"
    replacement.write_text(json.dumps({"format_version": 1, "operations": operations}))
    return str(simplified), str(replacement)


def convert(onnx_path: str, outdir: str, precision: str, calibration: str | None) -> int:
    import numpy as np
    import onnx
    import onnx2tf

    work = Path(outdir) / "onnx2tf"
    int8 = precision == "int8"
    kwargs: dict[str, Any] = {}
    if int8:
        if not calibration:
            _emit({"ok": False, "error": "int8 conversion needs --calibration rows"})
            return 2
        input_name = onnx.load(onnx_path).graph.input[0].name
        rows = np.load(calibration).astype(np.float32)
        kwargs = {
            "output_integer_quantized_tflite": True,
            "quant_type": "per-channel",
            "custom_input_op_name_np_data_path": [
                [input_name, calibration, np.zeros(rows.shape[1:], np.float32), np.ones(rows.shape[1:], np.float32)]
            ],
        }
    log = io.StringIO()
    started = time.perf_counter()
    try:
        with contextlib.redirect_stdout(log):
            simplified, replacement = _prepare(onnx_path, work / "prepared")
            onnx2tf.convert(
                input_onnx_file_path=simplified,
                param_replacement_file=replacement,
                output_folder_path=str(work),
                batch_size=1,
                copy_onnx_input_output_names_to_tflite=True,
                non_verbose=True,
                **kwargs,
            )
    except BaseException as exc:  # onnx2tf also exits through sys.exit on some errors
        node = getattr(exc, "onnx_op_name", None)
        message = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        if isinstance(exc, ModuleNotFoundError) and (exc.name or "").startswith("onnx2tf.ops."):
            message = "onnx2tf has no conversion for this ONNX operator"
        tail = log.getvalue().strip().splitlines()[-5:]
        _emit({"ok": False, "error": message, "op": _op_type(onnx_path, node), "node": node or "", "log": tail})
        return 1
    found = sorted(work.glob(f"*_{OUTPUTS[precision]}.tflite"))
    if not found:
        _emit({"ok": False, "error": f"onnx2tf wrote no *_{OUTPUTS[precision]}.tflite", "op": "", "node": ""})
        return 1
    target = Path(outdir) / "model.tflite"
    shutil.copyfile(found[0], target)
    shutil.rmtree(work, ignore_errors=True)
    _emit(
        {
            "ok": True,
            "tflite": str(target),
            "size_bytes": target.stat().st_size,
            "ops": _ops(target),
            "seconds": round(time.perf_counter() - started, 2),
        }
    )
    return 0


def run(tflite_path: str, rows_path: str, out_path: str, repeats: int) -> int:
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=tflite_path, num_threads=1)
    interpreter.allocate_tensors()
    (inp,) = interpreter.get_input_details()
    (out,) = interpreter.get_output_details()
    rows = np.load(rows_path).astype(np.float32)

    def quantize(row: Any) -> Any:  # an int8 model's integer input: real = scale * (q - zero_point)
        scale, zero = inp["quantization"]
        if np.issubdtype(inp["dtype"], np.integer) and scale:
            info = np.iinfo(inp["dtype"])
            row = np.clip(np.round(row / scale + zero), info.min, info.max)
        return row.astype(inp["dtype"]).reshape(inp["shape"])

    def dequantize(value: Any) -> Any:
        scale, zero = out["quantization"]
        if np.issubdtype(out["dtype"], np.integer) and scale:
            return (value.astype(np.float32) - zero) * scale
        return value.astype(np.float32)

    results = []
    for row in rows:
        interpreter.set_tensor(inp["index"], quantize(row))
        interpreter.invoke()
        results.append(dequantize(interpreter.get_tensor(out["index"])).reshape(1, -1))
    np.save(out_path, np.concatenate(results).astype(np.float32))
    one = quantize(rows[0])
    times = []
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        interpreter.set_tensor(inp["index"], one)
        interpreter.invoke()
        interpreter.get_tensor(out["index"])
        times.append((time.perf_counter() - start) * 1000.0)
    _emit(
        {
            "ok": True,
            "rows": len(rows),
            "latency_ms_batch1": statistics.median(times),
            "input": {
                "name": inp["name"],
                "dtype": str(inp["dtype"].__name__),
                "shape": [int(d) for d in inp["shape"]],
            },
            "output": {
                "name": out["name"],
                "dtype": str(out["dtype"].__name__),
                "shape": [int(d) for d in out["shape"]],
            },
        }
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")
    parser = argparse.ArgumentParser(prog="litert_tool")
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("convert")
    c.add_argument("onnx")
    c.add_argument("outdir")
    c.add_argument("--precision", choices=sorted(OUTPUTS), default="fp32")
    c.add_argument("--calibration")
    r = sub.add_parser("run")
    r.add_argument("tflite")
    r.add_argument("rows")
    r.add_argument("out")
    r.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args(argv)
    if args.command == "convert":
        return convert(args.onnx, args.outdir, args.precision, args.calibration)
    return run(args.tflite, args.rows, args.out, args.repeats)


if __name__ == "__main__":
    sys.exit(main())
