"""Explanations on the digits demo model: Integrated Gradients (Captum) on the PyTorch version and
KernelSHAP on its ONNX export. Prints the completeness error (|sum of attributions - (f(x) - f(baseline))|
relative to f(x) - f(baseline)) over the explained rows, and the time per explained row as a ratio to one
plain prediction of the same row measured in the same run.

    python -m bench explain [--rows 50]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench explain")
    parser.add_argument("--rows", type=int, default=50)
    args = parser.parse_args(argv)

    import torch

    from shipyard_ml.data import load_sklearn_dataset
    from shipyard_ml.explain import explain
    from shipyard_ml.export import export_onnx
    from shipyard_ml.inference import load, run_batch
    from shipyard_ml.loading import ModelSource, save_state_dict
    from shipyard_ml.train import digits_mlp

    torch.set_num_threads(1)
    data = load_sklearn_dataset("digits")
    names = [f"pixel_{i}" for i in range(64)]
    x = data.X_eval[: args.rows]
    config = {"hidden": [64], "epochs": 10}
    with tempfile.TemporaryDirectory() as tmp:
        model, _ = digits_mlp(config, 0, data)
        pt = save_state_dict(model, Path(tmp) / "digits.pt")
        onnx = Path(tmp) / "digits.onnx"
        export_onnx(model, onnx, data.X_eval, opset=17, tolerance=1e-4, latency_repeats=1)
        sources = {
            "state_dict": ModelSource(path=str(pt), format="state_dict", recipe="digits_mlp", recipe_config=config),
            "onnx": ModelSource(path=str(onnx), format="onnx"),
        }
        print(f"digits MLP, {len(x)} eval rows, 64 features, 1 thread")
        print(f"{'version':<11} {'explainer':<21} {'max err':>8} {'median err':>10} {'ms/row':>8} {'x predict':>10}")
        for fmt, src in sources.items():
            loaded = load(Path(src.path), fmt, recipe=src.recipe, recipe_config=src.recipe_config)
            started = time.perf_counter()
            for row in x:
                run_batch(loaded, [row.tolist()])
            predict_ms = (time.perf_counter() - started) * 1000 / len(x)
            started = time.perf_counter()
            report = explain(
                source=src, fmt=fmt, x=x, feature_names=names, class_names=data.class_names, background=data.X_train
            )
            ms = (time.perf_counter() - started) * 1000 / len(x)
            errors = np.array([r.completeness_error for r in report.rows])
            print(
                f"{fmt:<11} {report.method:<21} {errors.max():>8.2%} {np.median(errors):>10.2%} "
                f"{ms:>8.1f} {ms / predict_ms:>9.0f}x"
            )
            if report.method == "integrated_gradients":
                steps = report.params.get("n_steps", [])
                print(
                    f"{'':<11} IG steps used: " + ", ".join(f"{s}: {steps.count(s)} rows" for s in sorted(set(steps)))
                )
            print(f"{'':<11} completeness within 1 % on {int((errors <= 0.01).sum())} of {len(errors)} rows")
    return 0
