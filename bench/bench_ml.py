"""ML jobs on the digits demo models: ONNX Runtime vs PyTorch eager, int8 vs fp32 ONNX, distillation.

Teachers: a wide MLP (64-1024-1024-10, 1.1 M parameters: big enough that int8 matters) and the
digits CNN with wider channels. Latency is the median of timed calls at batch 1 and 64 with
2 intra-op threads for both engines. Distillation compares, over three seeds, the distilled
student with the same architecture and initialisation trained on hard labels alone.

Targets (docs/benchmarks.md): int8 >= 3.5x smaller and >= 2x faster at batch 64 with <= 1 point
of accuracy lost; student <= 1/4 of the teacher's parameters, >= 97% of its accuracy, and better
than the hard-label student. Prints figures and ratios; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench ml")
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="fewer epochs and repeats (smoke run)")
    args = parser.parse_args(argv)

    import numpy as np
    import torch

    from shipyard_ml.compression import quantize_onnx
    from shipyard_ml.data import load_sklearn_dataset
    from shipyard_ml.distill import distill
    from shipyard_ml.export import export_onnx
    from shipyard_ml.loading import latency_ms, onnx_predictor, torch_predictor
    from shipyard_ml.nets import count_parameters
    from shipyard_ml.train import digits_cnn, digits_mlp

    repeats = 20 if args.quick else args.repeats
    epochs = 5 if args.quick else 30
    torch.set_num_threads(2)
    data = load_sklearn_dataset("digits")
    x = data.X_eval
    print(f"digits: {len(data.y_train)} train / {len(data.y_eval)} eval rows; torch {torch.__version__}, 2 threads")

    t0 = time.perf_counter()
    teacher, tm = digits_mlp({"hidden": [1024, 1024], "epochs": epochs, "dropout": 0.2}, 0, data)
    print(
        f"wide MLP teacher: {count_parameters(teacher):,} params, accuracy {tm['accuracy']:.4f} (trained in {time.perf_counter() - t0:.1f}s)"
    )
    torch.set_num_threads(2)

    with tempfile.TemporaryDirectory(prefix="bench-ml-") as tmp:
        fp32 = Path(tmp) / "fp32.onnx"
        report = export_onnx(teacher, fp32, x, latency_repeats=repeats)
        eager, ort_fp32 = torch_predictor(teacher), onnx_predictor(str(fp32), threads=2)
        print(f"\nONNX export: parity max abs diff {report.max_abs_diff:.2e}")
        print(f"{'batch':>6} {'pytorch eager ms':>17} {'onnxruntime ms':>15} {'speedup':>8}")
        for b in (1, 64):
            pt, ox = latency_ms(eager, x, b, repeats=repeats), latency_ms(ort_fp32, x, b, repeats=repeats)
            print(f"{b:>6} {pt:>17.3f} {ox:>15.3f} {pt / ox:>7.2f}x")

        print("\nint8 vs fp32 ONNX (wide MLP)")
        for mode in ("dynamic", "static"):
            q = quantize_onnx(
                fp32,
                Path(tmp) / f"int8-{mode}.onnx",
                data,
                mode=mode,
                latency_repeats=repeats,
                threads=2,
                max_metric_drop=1.0,
            )
            size, speed = q.ratios["size"], q.ratios["latency_64"]
            drop = -q.metric_delta * 100
            print(
                f"  {mode:8s} size {q.before.size_bytes / 1e6:.2f} MB -> {q.after.size_bytes / 1e6:.2f} MB = {size:.2f}x smaller "
                f"[target >= 3.5x: {'met' if size >= 3.5 else 'MISSED'}]; batch-64 {q.before.latency_ms['64']:.3f} -> {q.after.latency_ms['64']:.3f} ms "
                f"= {speed:.2f}x faster [target >= 2x: {'met' if speed >= 2 else 'MISSED'}]; batch-1 {q.ratios['latency_1']:.2f}x; "
                f"accuracy {q.before.metrics['accuracy']:.4f} -> {q.after.metrics['accuracy']:.4f} ({-drop:+.2f} points) "
                f"[target <= 1 point lost: {'met' if drop <= 1.0 else 'MISSED'}]"
            )

    cnn, cm = digits_cnn({"channels": [32, 64], "hidden": 256, "epochs": 4 if args.quick else 20}, 0, data)
    torch.set_num_threads(2)
    print(f"\ncnn teacher: {count_parameters(cnn):,} params, accuracy {cm['accuracy']:.4f}")
    print("\ndistillation (mean over seeds 0,1,2; student = digits_mlp)")
    cases = [
        ("wide MLP", teacher, [16], 4.0, 0.9),
        ("wide MLP", teacher, [8], 4.0, 0.9),
        ("cnn", cnn, [16], 4.0, 0.9),
        ("cnn", cnn, [8], 4.0, 0.9),
    ]
    for name, t_model, hidden, temp, alpha in cases:
        s_acc, h_acc, ratio_p, t_acc = [], [], 0.0, 0.0
        for seed in (0, 1, 2):
            _, r = distill(
                torch_predictor(t_model),
                count_parameters(t_model),
                data,
                student_config={"hidden": hidden, "epochs": 20 if args.quick else 150},
                temperature=temp,
                alpha=alpha,
                seed=seed,
                latency_repeats=5,
            )
            s_acc.append(r.student["metrics"]["accuracy"])
            h_acc.append(r.hard_label_student["metrics"]["accuracy"])
            ratio_p, t_acc = r.ratios["params"], r.teacher["metrics"]["accuracy"]
        s, h = statistics.mean(s_acc), statistics.mean(h_acc)
        keep = s / t_acc
        print(
            f"  {name:8s} -> mlp{hidden}: params {ratio_p:.4f}x teacher [target <= 0.25: {'met' if ratio_p <= 0.25 else 'MISSED'}]; "
            f"student {s:.4f} = {keep * 100:.1f}% of teacher {t_acc:.4f} [target >= 97%: {'met' if keep >= 0.97 else 'MISSED'}]; "
            f"hard-label student {h:.4f} ({(s - h) * 100:+.2f} points) [target better: {'met' if s > h else 'MISSED'}]; "
            f"per seed distilled {[round(v, 4) for v in s_acc]} hard {[round(v, 4) for v in h_acc]}"
        )
    del np
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
