"""Training tests: each check passes on a sound spec and fails on the defect it exists to catch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from shipyard_ml.data import load_sklearn_dataset
from shipyard_ml.recipe_types import Cancelled
from shipyard_ml.train import tabular_mlp
from shipyard_ml.training_checks import (
    TrainingTestsParams,
    baselines,
    gradients_reach_parameters,
    numerical_stability,
    overfit_one_batch,
    run_training_tests,
)


@pytest.fixture(scope="module")
def iris():
    return load_sklearn_dataset("iris")


FAST: dict = {}


def by_name(report):
    return {c.name: c for c in report.checks}


def test_sound_spec_passes_every_check(iris):
    progress = []
    report = run_training_tests(
        tabular_mlp, FAST, iris, TrainingTestsParams(), progress=lambda p, m: progress.append((p, m))
    )
    checks = by_name(report)
    assert report.passed, [c.summary for c in report.checks]
    assert set(checks) == {
        "reproducibility",
        "overfit_one_batch",
        "loss_decreases",
        "gradients_reach_parameters",
        "numerical_stability",
        "simpler_baseline",
    }
    repro = checks["reproducibility"].details
    assert repro["max_weight_diff"] == 0.0 and repro["run_metrics"][0] == repro["run_metrics"][1]
    assert "accuracy" in repro["seed_spread"]
    assert checks["reproducibility"].rubric == ["infra-1"]
    assert checks["numerical_stability"].rubric == ["monitor-5"]
    assert checks["simpler_baseline"].rubric == ["model-5"]
    assert set(report.baselines) == {"majority_class", "logistic_regression"}
    assert progress[-1][0] == 100.0 and all(0 <= p <= 100 for p, _ in progress)
    assert [p for p, _ in progress] == sorted(p for p, _ in progress)


def test_unseeded_spec_fails_reproducibility(iris):
    calls = []

    def unseeded(config, seed, data):
        calls.append(seed)
        return tabular_mlp(config, seed + len(calls) * 100, data)  # ignores the seed it was given

    report = run_training_tests(unseeded, FAST, iris)
    repro = by_name(report)["reproducibility"]
    assert not repro.passed and repro.details["max_weight_diff"] > 0
    assert not report.passed


class DeadBranch(nn.Module):
    def __init__(self):
        super().__init__()
        self.used = nn.Linear(4, 3)
        self.unused = nn.Linear(4, 3)

    def forward(self, x):
        return self.used(x)


def test_gradient_check_names_parameters_without_gradient(iris):
    result, _ = gradients_reach_parameters(DeadBranch(), iris.X_train[:16], iris.y_train[:16])
    assert not result.passed
    assert result.details["no_grad"] == ["unused.weight", "unused.bias"]


def test_overfit_fails_for_a_model_that_cannot_learn(iris):
    model = nn.Sequential(nn.Linear(4, 3))
    model[0].weight.requires_grad_(False)  # only the bias learns: one batch of three classes stays unfit
    ok = overfit_one_batch(
        nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 3)),
        iris.X_train[:16],
        iris.y_train[:16],
        steps=300,
        threshold=0.05,
        lr=1e-2,
    )
    bad = overfit_one_batch(model, iris.X_train[:16], iris.y_train[:16], steps=50, threshold=0.05, lr=1e-2)
    assert ok.passed and ok.details["reached_at_step"] is not None
    assert not bad.passed and bad.details["final_loss"] > 0.05


def test_numerical_stability_finds_nan_weights_and_outputs(iris):
    model, _ = tabular_mlp(FAST, 0, iris)
    assert numerical_stability(model, iris, True).passed
    with torch.no_grad():
        model.body[0].weight[0, 0] = float("nan")
    result = numerical_stability(model, iris, True)
    assert not result.passed
    assert result.details["non_finite_weights"] == ["body.0.weight"]
    assert result.details["non_finite_output_rows"] == len(iris.y_eval)


def test_baseline_check_fails_when_a_simpler_model_is_better(iris):
    check, results = baselines(iris, {"accuracy": 0.5})
    assert not check.passed and check.details["best_baseline"] == "logistic_regression"
    assert results["logistic_regression"]["accuracy"] > 0.9
    assert results["majority_class"]["accuracy"] == pytest.approx(
        np.bincount(iris.y_eval).max() / len(iris.y_eval), abs=0.05
    )
    assert baselines(iris, {"accuracy": 1.0})[0].passed


def test_training_tests_stop_when_asked(iris):
    with pytest.raises(Cancelled):
        run_training_tests(tabular_mlp, {"epochs": 100}, iris, should_stop=lambda: True)
