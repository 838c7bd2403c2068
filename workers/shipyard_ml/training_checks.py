"""Training tests for a training spec (rubric infra-1, infra-2, model-5, monitor-5).

``run_training_tests(recipe, config, data, params)`` runs, in order:

* reproducibility (infra-1): train twice with the same seed and data; compare metrics and every
  weight (max absolute difference; pass within tolerance); once more with another seed to report
  the spread a seed change causes;
* overfit one batch (infra-2): from a re-initialised copy, the loss on one batch falls below a
  threshold within N steps;
* loss decreases (infra-2): the training-set loss after N optimiser steps is below the loss before;
* gradients reach every parameter (infra-2): one backward pass gives every trainable parameter a
  finite, non-zero gradient;
* numerical stability (monitor-5): no NaN/Inf in weights, gradients or outputs on the eval set;
* baselines (model-5): logistic regression and the majority class, reported beside the model; the
  check passes when neither beats the model's eval accuracy by more than ``baseline_margin``.

Each check honours ``should_stop()`` between steps and reports through ``progress``.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import torch
from torch import nn

from shipyard_ml.job_params import TrainingChecksParams as TrainingTestsParams
from shipyard_ml.metrics import classification_metrics, predict_logits
from shipyard_ml.recipe_types import Cancelled, Progress, Recipe, ShouldStop, TrainingData, never_stop, no_progress
from shipyard_ml.recipes import call_recipe
from shipyard_ml.reports import CheckResult, TrainingTestsReport
from shipyard_ml.train import deterministic


def _f(x: float) -> float | None:
    """JSON-safe float (NaN/Inf -> None)."""
    x = float(x)
    return x if math.isfinite(x) else None


# --------------------------------------------------------------------------- individual checks


def compare_weights(a: nn.Module, b: nn.Module) -> tuple[float, list[str]]:
    """Max absolute difference over all tensors of two state dicts, and the keys that do not match in shape/name."""
    sa, sb = a.state_dict(), b.state_dict()
    mismatched = sorted(set(sa) ^ set(sb))
    worst = 0.0
    for key in set(sa) & set(sb):
        ta, tb = sa[key].detach().float().cpu(), sb[key].detach().float().cpu()
        if ta.shape != tb.shape:
            mismatched.append(key)
            continue
        if ta.numel():
            worst = max(worst, float((ta - tb).abs().max().item()))
    return worst, mismatched


def compare_metrics(a: dict[str, float], b: dict[str, float]) -> dict[str, float]:
    return {k: abs(float(a[k]) - float(b[k])) for k in sorted(set(a) & set(b))}


def reinitialised(model: nn.Module, seed: int) -> nn.Module:
    """A copy of ``model`` with every layer that has ``reset_parameters`` re-initialised (buffers kept)."""
    fresh = copy.deepcopy(model)
    with deterministic(seed):
        for module in fresh.modules():
            reset = getattr(module, "reset_parameters", None)
            if callable(reset):
                reset()
    return fresh


def overfit_one_batch(
    model: nn.Module,
    x: np.ndarray,
    y: np.ndarray,
    *,
    steps: int,
    threshold: float,
    lr: float,
    seed: int = 0,
    device: str = "cpu",
    should_stop: ShouldStop = never_stop,
) -> CheckResult:
    with deterministic(seed):
        model = model.to(device).train()
        xt, yt = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        losses: list[float] = []
        reached: int | None = None
        for step in range(steps):
            if should_stop():
                raise Cancelled(f"overfit check stopped at step {step}")
            loss = nn.functional.cross_entropy(model(xt), yt)
            losses.append(float(loss.item()))
            if losses[-1] < threshold:
                reached = step
                break
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    model.eval().to("cpu")
    passed = reached is not None
    summary = (
        f"loss on one batch of {len(y)} fell below {threshold} at step {reached}"
        if passed
        else f"loss on one batch of {len(y)} stayed at {min(losses):.4g} (threshold {threshold}) after {steps} steps"
    )
    return CheckResult(
        "overfit_one_batch",
        passed,
        summary,
        ["infra-2"],
        {
            "batch_size": len(y),
            "steps": steps,
            "threshold": threshold,
            "reached_at_step": reached,
            "final_loss": _f(losses[-1]),
            "curve": [_f(v) for v in losses[:: max(1, len(losses) // 50)]],
        },
    )


def loss_decreases(
    model: nn.Module,
    data: TrainingData,
    *,
    steps: int,
    lr: float,
    batch_size: int = 32,
    seed: int = 0,
    device: str = "cpu",
    should_stop: ShouldStop = never_stop,
) -> CheckResult:
    def full_loss() -> float:
        return classification_metrics(predict_logits(model, data.X_train, device), data.y_train)["loss"]

    with deterministic(seed) as gen:
        model = model.to(device)
        before = full_loss()
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        xt, yt = torch.from_numpy(data.X_train).to(device), torch.from_numpy(data.y_train).to(device)
        curve = []
        order = torch.randperm(len(xt), generator=gen).to(device)
        for step in range(steps):
            if should_stop():
                raise Cancelled(f"loss check stopped at step {step}")
            model.train()
            start = (step * batch_size) % max(len(xt) - batch_size + 1, 1)
            idx = order[start : start + batch_size]
            loss = nn.functional.cross_entropy(model(xt[idx]), yt[idx])
            curve.append(_f(loss.item()))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        after = full_loss()
    model.eval().to("cpu")
    passed = math.isfinite(after) and after < before
    return CheckResult(
        "loss_decreases",
        passed,
        f"training loss {before:.4g} -> {after:.4g} over the first {steps} steps",
        ["infra-2"],
        {"steps": steps, "loss_before": _f(before), "loss_after": _f(after), "curve": curve},
    )


def gradients_reach_parameters(
    model: nn.Module, x: np.ndarray, y: np.ndarray, *, device: str = "cpu"
) -> tuple[CheckResult, dict[str, bool]]:
    """One backward pass; also returns whether every gradient is finite (for the stability check)."""
    model = model.to(device).train()
    model.zero_grad(set_to_none=True)
    loss = nn.functional.cross_entropy(model(torch.from_numpy(x).to(device)), torch.from_numpy(y).to(device))
    loss.backward()
    missing, zero, non_finite = [], [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        if p.grad is None:
            missing.append(name)
        elif not bool(torch.isfinite(p.grad).all()):
            non_finite.append(name)
        elif float(p.grad.abs().max()) == 0.0:
            zero.append(name)
    model.zero_grad(set_to_none=True)
    model.eval().to("cpu")
    n = sum(1 for p in model.parameters() if p.requires_grad)
    passed = not (missing or zero or non_finite)
    summary = (
        f"all {n} parameter tensors receive a non-zero gradient"
        if passed
        else f"{len(missing) + len(zero) + len(non_finite)} of {n} parameter tensors get no usable gradient"
    )
    return (
        CheckResult(
            "gradients_reach_parameters",
            passed,
            summary,
            ["infra-2"],
            {"parameters": n, "no_grad": missing, "zero_grad": zero, "non_finite_grad": non_finite},
        ),
        {"grads_finite": not non_finite},
    )


def numerical_stability(
    model: nn.Module, data: TrainingData, grads_finite: bool, *, device: str = "cpu"
) -> CheckResult:
    bad_weights = [
        k for k, v in model.state_dict().items() if v.is_floating_point() and not bool(torch.isfinite(v).all())
    ]
    logits = predict_logits(model, data.X_eval, device)
    bad_outputs = int((~np.isfinite(logits)).any(axis=1).sum()) if logits.size else 0
    passed = not bad_weights and grads_finite and bad_outputs == 0
    return CheckResult(
        "numerical_stability",
        passed,
        "no NaN/Inf in weights, gradients or eval outputs"
        if passed
        else f"NaN/Inf found: {len(bad_weights)} weight tensors, gradients {'ok' if grads_finite else 'bad'}, {bad_outputs} eval rows",
        ["monitor-5"],
        {
            "non_finite_weights": bad_weights,
            "gradients_finite": grads_finite,
            "non_finite_output_rows": bad_outputs,
            "eval_rows": len(data.y_eval),
        },
    )


def baselines(
    data: TrainingData, model_metrics: dict[str, float], *, margin: float = 0.0
) -> tuple[CheckResult, dict[str, dict[str, float]]]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x_train = data.X_train.reshape(len(data.X_train), -1)
    x_eval = data.X_eval.reshape(len(data.X_eval), -1)
    k = data.n_classes
    majority = int(np.bincount(data.y_train, minlength=k).argmax())
    maj_logits = np.full((len(data.y_eval), k), -10.0, dtype=np.float32)
    maj_logits[:, majority] = 10.0
    results: dict[str, dict[str, float]] = {"majority_class": classification_metrics(maj_logits, data.y_eval)}
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    clf.fit(x_train, data.y_train)
    proba = np.full((len(x_eval), k), 1e-7, dtype=np.float64)
    proba[:, clf.classes_] = np.clip(clf.predict_proba(x_eval), 1e-7, 1.0)
    results["logistic_regression"] = classification_metrics(np.log(proba).astype(np.float32), data.y_eval)
    for r in results.values():
        r.pop("n", None)
    model_acc = float(model_metrics.get("accuracy", float("nan")))
    best_name = max(results, key=lambda n: results[n]["accuracy"])
    best = results[best_name]["accuracy"]
    passed = math.isfinite(model_acc) and best <= model_acc + margin
    return (
        CheckResult(
            "simpler_baseline",
            passed,
            f"model accuracy {model_acc:.4f} vs {best_name} {best:.4f}"
            + ("" if passed else " (the simpler model is better)"),
            ["model-5"],
            {"model_accuracy": _f(model_acc), "best_baseline": best_name, "margin": margin, "baselines": results},
        ),
        results,
    )


# --------------------------------------------------------------------------- the suite


def run_training_tests(
    recipe: Recipe,
    config: dict[str, Any],
    data: TrainingData,
    params: TrainingTestsParams | None = None,
    *,
    device: str = "cpu",
    progress: Progress = no_progress,
    should_stop: ShouldStop = never_stop,
) -> TrainingTestsReport:
    p = params or TrainingTestsParams()
    checks: list[CheckResult] = []

    def stage(lo: float, hi: float, label: str) -> Progress:
        return lambda pct, msg: progress(lo + (hi - lo) * pct / 100.0, f"{label}: {msg}")

    progress(0.0, "reproducibility: first run")
    model_a, metrics_a = call_recipe(
        recipe, config, p.seed, data, progress=stage(0, 25, "run 1"), should_stop=should_stop, device=device
    )
    model_b, metrics_b = call_recipe(
        recipe, config, p.seed, data, progress=stage(25, 50, "run 2"), should_stop=should_stop, device=device
    )
    max_w, mismatched = compare_weights(model_a, model_b)
    metric_diff = compare_metrics(metrics_a, metrics_b)
    max_m = max(metric_diff.values(), default=0.0)
    _model_c, metrics_c = call_recipe(
        recipe, config, p.other_seed, data, progress=stage(50, 70, "other seed"), should_stop=should_stop, device=device
    )
    spread = compare_metrics(metrics_a, metrics_c)
    repro_ok = not mismatched and max_w <= p.weight_tolerance and max_m <= p.metric_tolerance
    checks.append(
        CheckResult(
            "reproducibility",
            repro_ok,
            f"same seed: max weight diff {max_w:.3g}, max metric diff {max_m:.3g} (tolerance {p.weight_tolerance:g}/{p.metric_tolerance:g}); "
            f"seed {p.other_seed} moves accuracy by {spread.get('accuracy', float('nan')):.4f}",
            ["infra-1"],
            {
                "seed": p.seed,
                "max_weight_diff": max_w,
                "mismatched_tensors": mismatched,
                "metric_diffs": metric_diff,
                "weight_tolerance": p.weight_tolerance,
                "metric_tolerance": p.metric_tolerance,
                "run_metrics": [metrics_a, metrics_b],
                "other_seed": p.other_seed,
                "other_seed_metrics": metrics_c,
                "seed_spread": spread,
            },
        )
    )
    if should_stop():
        raise Cancelled("stopped after reproducibility")

    progress(72.0, "overfit one batch")
    n = min(p.overfit_batch_size, len(data.y_train))
    xb, yb = data.X_train[:n], data.y_train[:n]
    checks.append(
        overfit_one_batch(
            reinitialised(model_a, p.seed),
            xb,
            yb,
            steps=p.overfit_steps,
            threshold=p.overfit_threshold,
            lr=p.lr,
            seed=p.seed,
            device=device,
            should_stop=should_stop,
        )
    )
    progress(80.0, "loss decreases")
    checks.append(
        loss_decreases(
            reinitialised(model_a, p.seed),
            data,
            steps=p.loss_steps,
            lr=p.lr,
            seed=p.seed,
            device=device,
            should_stop=should_stop,
        )
    )
    if should_stop():
        raise Cancelled("stopped before the gradient check")
    progress(86.0, "gradients and numerical stability")
    grad_check, flags = gradients_reach_parameters(reinitialised(model_a, p.seed), xb, yb, device=device)
    _, trained_flags = gradients_reach_parameters(copy.deepcopy(model_a), xb, yb, device=device)
    checks.append(grad_check)
    checks.append(
        numerical_stability(model_a, data, flags["grads_finite"] and trained_flags["grads_finite"], device=device)
    )
    if should_stop():
        raise Cancelled("stopped before the baselines")
    progress(92.0, "baselines")
    baseline_check, baseline_results = baselines(data, metrics_a, margin=p.baseline_margin)
    checks.append(baseline_check)
    progress(100.0, "training tests done")
    return TrainingTestsReport(
        passed=all(c.passed for c in checks),
        checks=checks,
        metrics=metrics_a,
        baselines=baseline_results,
        params=p.model_dump(include=set(TrainingTestsParams.model_fields)),
    )
