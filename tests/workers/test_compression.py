"""int8 quantization (dynamic, static), magnitude pruning and distillation."""

from __future__ import annotations

import numpy as np
import onnx
import pytest

from shipyard_ml.compression import GateFailed, prune_magnitude, quantize_onnx, sparsity
from shipyard_ml.data import load_sklearn_dataset
from shipyard_ml.distill import distill
from shipyard_ml.export import export_onnx
from shipyard_ml.loading import ModelSource, load_torch_module, torch_predictor
from shipyard_ml.nets import count_parameters
from shipyard_ml.recipe_types import Cancelled
from shipyard_ml.train import digits_mlp


@pytest.fixture(scope="module")
def digits():
    return load_sklearn_dataset("digits")


@pytest.fixture(scope="module")
def wide(digits):
    return digits_mlp({"hidden": [256, 256], "epochs": 10}, 0, digits)[0]


@pytest.fixture(scope="module")
def fp32(tmp_path_factory, digits, wide):
    path = tmp_path_factory.mktemp("fp32") / "m.onnx"
    export_onnx(wide, path, digits.X_eval, latency_repeats=1)
    return path


@pytest.mark.parametrize("mode", ["dynamic", "static"])
def test_quantization_shrinks_the_model_and_reports_before_after(tmp_path, digits, fp32, mode):
    out = tmp_path / "q.onnx"
    report = quantize_onnx(fp32, out, digits, mode=mode, latency_repeats=3, max_metric_drop=0.02)
    assert report.passed and out.exists()
    assert report.ratios["size"] > 3.0
    assert report.after.size_bytes == out.stat().st_size
    assert set(report.ratios) >= {"size", "latency_1", "latency_64"}
    assert abs(report.metric_delta) <= 0.02
    assert set(report.slice_deltas) == {f"class={i}" for i in range(10)}
    ops = {n.op_type for n in onnx.load(str(out)).graph.node}
    assert ops & (
        {"MatMulInteger", "DynamicQuantizeLinear"} if mode == "dynamic" else {"QLinearMatMul", "QuantizeLinear"}
    )
    assert report.extra["calibration_rows"] == (0 if mode == "dynamic" else 256)


def test_quantization_gate_fails_and_leaves_nothing(tmp_path, digits, fp32):
    with pytest.raises(GateFailed) as info:
        quantize_onnx(fp32, tmp_path / "q.onnx", digits, max_metric_drop=-1.0, latency_repeats=1)
    assert not info.value.report.passed
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="dynamic"):
        quantize_onnx(fp32, tmp_path / "q.onnx", digits, mode="float16")


def test_pruning_reaches_target_sparsity_and_saves_a_loadable_state_dict(tmp_path, digits, wide):
    out = tmp_path / "p.pt"
    pruned, report = prune_magnitude(
        wide, digits, out, target_sparsity=0.7, fine_tune_epochs=2, latency_repeats=2, max_metric_drop=0.05
    )
    assert sparsity(pruned) == pytest.approx(0.7, abs=0.01)
    assert report.after.extra["sparsity"] == pytest.approx(0.7, abs=0.01) and report.before.extra["sparsity"] < 0.01
    assert report.ratios["size"] > 1.5  # zeros compress
    assert sparsity(wide) < 0.01  # the source model is untouched
    loaded = load_torch_module(
        ModelSource(path=str(out), format="state_dict", recipe="digits_mlp", recipe_config={"hidden": [256, 256]})
    )
    assert sparsity(loaded) == pytest.approx(0.7, abs=0.01)
    with pytest.raises(ValueError, match="target_sparsity"):
        prune_magnitude(wide, digits, out, target_sparsity=1.5)


def test_pruning_gate(tmp_path, digits, wide):
    with pytest.raises(GateFailed):
        prune_magnitude(wide, digits, tmp_path / "p.pt", target_sparsity=0.99, max_metric_drop=0.01, latency_repeats=1)
    assert list(tmp_path.iterdir()) == []


def test_distillation_reports_ratios_and_the_hard_label_student(digits, wide):
    student, report = distill(
        torch_predictor(wide),
        count_parameters(wide),
        digits,
        student_config={"hidden": [32], "epochs": 8},
        temperature=3.0,
        alpha=0.5,
        latency_repeats=2,
    )
    assert report.student["params"] == count_parameters(student) < count_parameters(wide) / 4
    assert report.ratios["params"] == pytest.approx(count_parameters(student) / count_parameters(wide))
    assert report.ratios["accuracy"] == pytest.approx(
        report.student["metrics"]["accuracy"] / report.teacher["metrics"]["accuracy"]
    )
    assert report.hard_label_student["params"] == report.student["params"]
    assert report.student["metrics"]["accuracy"] > 0.85
    assert report.student["metrics"] != report.hard_label_student["metrics"]
    assert np.isfinite(report.ratios["vs_hard_labels_points"])
    with pytest.raises(ValueError, match="temperature"):
        distill(torch_predictor(wide), None, digits, temperature=0)
    with pytest.raises(Cancelled):
        distill(torch_predictor(wide), None, digits, should_stop=lambda: True)
