"""Evaluation per slice, ONNX and TorchScript export with parity and latency."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
import torch

from shipyard_ml.data import load_sklearn_dataset
from shipyard_ml.evaluate import evaluate
from shipyard_ml.export import ExportFailed, export_onnx, export_torchscript
from shipyard_ml.loading import (
    ModelSource,
    load_torch_module,
    onnx_predictor,
    predictor,
    save_state_dict,
    torch_predictor,
)
from shipyard_ml.metrics import predict_logits
from shipyard_ml.recipe_types import Cancelled
from shipyard_ml.train import digits_cnn, digits_mlp


@pytest.fixture(scope="module")
def digits():
    return load_sklearn_dataset("digits")


@pytest.fixture(scope="module")
def mlp(digits):
    return digits_mlp({"epochs": 8}, 0, digits)[0]


def test_evaluate_reports_overall_and_per_slice_metrics(digits, mlp):
    report = evaluate(torch_predictor(mlp), digits, min_slice_accuracy=0.5)
    pred = predict_logits(mlp, digits.X_eval).argmax(1)
    assert report.metrics["accuracy"] == pytest.approx(float((pred == digits.y_eval).mean()))
    assert set(report.slice_metrics) == {f"class={i}" for i in range(10)}
    mask = digits.y_eval == 3
    assert report.slice_metrics["class=3"]["accuracy"] == pytest.approx(float((pred[mask] == 3).mean()))
    assert report.slice_metrics["class=3"]["n"] == mask.sum()
    assert report.passed and report.failing_slices == []
    strict = evaluate(torch_predictor(mlp), digits, min_slice_accuracy=1.01)
    assert not strict.passed and len(strict.failing_slices) == 10


def test_evaluate_stops_when_asked(digits, mlp):
    with pytest.raises(Cancelled):
        evaluate(torch_predictor(mlp), digits, should_stop=lambda: True)


@pytest.mark.parametrize("recipe", [digits_mlp, digits_cnn])
def test_onnx_export_matches_pytorch_with_a_dynamic_batch(tmp_path, digits, recipe):
    model = recipe({"epochs": 2}, 0, digits)[0]
    out = tmp_path / "model.onnx"
    report = export_onnx(model, out, digits.X_eval, opset=15, latency_repeats=3)
    assert report.passed and report.opset == 15 and out.stat().st_size == report.size_bytes
    assert report.max_abs_diff <= 1e-4 and report.parity_rows == len(digits.X_eval)
    assert set(report.latency_ms) == {"pytorch", "onnx"} and set(report.latency_ms["onnx"]) == {"1", "64"}
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    assert session.get_inputs()[0].shape[0] == "batch"
    for batch in (1, 3, 64):
        logits = session.run(None, {"input": digits.X_eval[:batch]})[0]
        assert logits.shape == (batch, 10)
        np.testing.assert_allclose(logits, predict_logits(model, digits.X_eval[:batch]), atol=1e-4)
    assert [p.name for p in tmp_path.iterdir()] == ["model.onnx"]  # no temp files left


def test_onnx_export_above_tolerance_fails_and_leaves_nothing(tmp_path, digits, mlp):
    with pytest.raises(ExportFailed, match="tolerance") as info:
        export_onnx(mlp, tmp_path / "m.onnx", digits.X_eval, tolerance=-1.0, latency_repeats=1)
    assert info.value.report is not None and not info.value.report.passed
    assert list(tmp_path.iterdir()) == []


def test_torchscript_export_round_trips(tmp_path, digits, mlp):
    out = tmp_path / "m.pt"
    report = export_torchscript(mlp, out, digits.X_eval, latency_repeats=2)
    assert report.passed and report.max_abs_diff == 0.0
    loaded = load_torch_module(ModelSource(path=str(out), format="torchscript"))
    np.testing.assert_array_equal(predict_logits(loaded, digits.X_eval), predict_logits(mlp, digits.X_eval))


def test_state_dict_source_rebuilds_through_the_recipe(tmp_path, digits, mlp):
    path = save_state_dict(mlp, tmp_path / "w.pt")
    src = ModelSource(path=str(path), format="state_dict", recipe="digits_mlp", recipe_config={"hidden": [128, 64]})
    np.testing.assert_array_equal(predictor(src)(digits.X_eval), predict_logits(mlp, digits.X_eval))
    from shipyard_ml.loading import ModelLoadError

    with pytest.raises(ModelLoadError, match="built-in recipe"):
        load_torch_module(ModelSource(path=str(path), format="state_dict"))
    with pytest.raises(ModelLoadError, match="do not fit"):
        load_torch_module(
            ModelSource(path=str(path), format="state_dict", recipe="digits_mlp", recipe_config={"hidden": [8]})
        )
    torch.save({"not": "tensors"}, tmp_path / "bad.pt")
    with pytest.raises(ModelLoadError):
        load_torch_module(ModelSource(path=str(tmp_path / "bad.pt"), format="state_dict", recipe="digits_mlp"))
    export_onnx(mlp, tmp_path / "m.onnx", digits.X_eval, latency_repeats=1)
    onnx_src = ModelSource(path=str(tmp_path / "m.onnx"), format="onnx")
    np.testing.assert_allclose(
        predictor(onnx_src)(digits.X_eval), onnx_predictor(str(tmp_path / "m.onnx"))(digits.X_eval)
    )
