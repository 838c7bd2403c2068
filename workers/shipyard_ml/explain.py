"""Per-feature attributions for the predicted class of each row, and replays of logged requests.

Two explainers, both from maintained libraries:

- **Integrated Gradients** (Captum) for PyTorch versions. The attributions of a row sum to
  ``f(x) - f(baseline)`` for the predicted class's output (completeness); the check reports the
  relative error of that sum and raises the number of integration steps until it is within the
  tolerance (1 %) or the step budget is spent.
- **KernelSHAP** (SHAP's ``KernelExplainer``) for ONNX versions, and as the fallback for a PyTorch
  module without usable gradients. The background is a k-means summary of the training dataset;
  the attributions of a row sum to ``f(x) - E[f(background)]`` (SHAP's efficiency property), which
  is reported the same way.

Pure: no Django. torch, captum and shap are imported lazily.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np

from shipyard_ml.evidence_reports import ExplanationReport, RowExplanation

Method = Literal["auto", "integrated_gradients", "kernel_shap"]
#: integration steps tried in turn until the completeness check holds
IG_STEPS = (64, 256, 1024)


class ExplainError(ValueError):
    """The version cannot be explained with what was asked (the message says why)."""


def image_shape(feature_names: list[str]) -> list[int] | None:
    """[s, s] when the features look like the pixels of a square grayscale image, else None."""
    n = len(feature_names)
    side = math.isqrt(n)
    if n < 16 or side * side != n:
        return None
    if all(name.lower().startswith(("pixel", "px", "p_")) for name in feature_names) or all(
        name.isdigit() for name in feature_names
    ):
        return [side, side]
    return None


def _baseline(kind: str, background: np.ndarray | None, width: int) -> np.ndarray:
    if kind == "zeros" or background is None or len(background) == 0:
        return np.zeros((1, width), dtype=np.float32)
    return background.mean(axis=0, keepdims=True).astype(np.float32)


def _relative(err: float, delta: float) -> float:
    return abs(err) / max(abs(delta), 1e-6)


def _label(class_names: list[str], k: int) -> str:
    return class_names[k] if 0 <= k < len(class_names) else str(k)


def integrated_gradients(
    module: Any,
    x: np.ndarray,
    *,
    background: np.ndarray | None,
    baseline: str,
    tolerance: float,
    class_names: list[str],
) -> tuple[list[RowExplanation], dict[str, Any]]:
    """Captum IG on the predicted class's logit, with the completeness check. Raises ExplainError when
    the module has no usable gradients."""
    import torch
    from captum.attr import IntegratedGradients

    width = x.shape[1]
    base = torch.from_numpy(_baseline(baseline, background, width))
    inputs = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
    module.eval()
    try:
        with torch.no_grad():
            out_x = module(inputs).float()
            out_b = module(base).float()
    except Exception as exc:
        raise ExplainError(f"the module cannot run on the inputs: {exc}") from exc
    if out_x.ndim != 2 or out_x.shape[1] < 2:
        raise ExplainError("Integrated Gradients explains classifiers (one output per class)")
    target = out_x.argmax(dim=1)
    ig = IntegratedGradients(module)
    rows: list[RowExplanation] = []
    steps_used: list[int] = []
    for i in range(len(x)):
        k = int(target[i])
        attr = None
        err = math.inf
        for steps in IG_STEPS:
            try:
                a, delta = ig.attribute(
                    inputs[i : i + 1],
                    baselines=base,
                    target=k,
                    n_steps=steps,
                    method="gausslegendre",
                    return_convergence_delta=True,
                )
            except RuntimeError as exc:
                raise ExplainError(f"the module has no usable gradients for Integrated Gradients: {exc}") from exc
            attr = a.detach().double().numpy().reshape(-1)
            diff = float(out_x[i, k] - out_b[0, k])
            err = _relative(float(delta.reshape(-1)[0]), diff)
            if err <= tolerance:
                break
        assert attr is not None
        steps_used.append(steps)
        rows.append(
            RowExplanation(
                predicted_class=k,
                predicted_label=_label(class_names, k),
                output=float(out_x[i, k]),
                baseline_output=float(out_b[0, k]),
                attributions=[float(v) for v in attr],
                attribution_sum=float(attr.sum()),
                completeness_error=float(err),
            )
        )
    return rows, {"n_steps": steps_used}


def _probabilities(predict: Any) -> Any:
    from shipyard_ml.inference import postprocess

    def f(batch: np.ndarray) -> np.ndarray:
        result = postprocess(predict(np.ascontiguousarray(batch, dtype=np.float32)))
        if result.probabilities is None:
            raise ExplainError("KernelSHAP explains classifiers: the model returned no class scores")
        return np.asarray(result.probabilities, dtype=np.float64)

    return f


def kernel_shap(
    predict: Any,
    x: np.ndarray,
    *,
    background: np.ndarray,
    tolerance: float,
    class_names: list[str],
    background_size: int,
    nsamples: int,
    seed: int,
) -> tuple[list[RowExplanation], dict[str, Any]]:
    """SHAP's KernelExplainer on the predicted class's probability, the training data (k-means) as background."""
    import shap

    f = _probabilities(predict)
    k = min(background_size, len(background))
    summary = shap.kmeans(background, k).data if k < len(background) else background
    np.random.seed(seed)  # KernelExplainer samples coalitions with numpy's global generator
    explainer = shap.KernelExplainer(f, summary, silent=True)
    expected = np.asarray(explainer.expected_value, dtype=np.float64).reshape(-1)
    probs = f(x)
    rows: list[RowExplanation] = []
    for i in range(len(x)):
        c = int(probs[i].argmax())
        values = explainer.shap_values(x[i : i + 1], nsamples=nsamples, silent=True)
        arr = np.asarray(values, dtype=np.float64)
        # shap >= 0.45: (rows, features, classes); older: a list per class of (rows, features)
        attr = arr[0, :, c] if arr.ndim == 3 and arr.shape[0] == 1 else np.asarray(values[c]).reshape(-1)
        diff = float(probs[i, c] - expected[c])
        rows.append(
            RowExplanation(
                predicted_class=c,
                predicted_label=_label(class_names, c),
                output=float(probs[i, c]),
                baseline_output=float(expected[c]),
                attributions=[float(v) for v in attr],
                attribution_sum=float(attr.sum()),
                completeness_error=_relative(float(attr.sum()) - diff, diff),
            )
        )
    return rows, {"background_rows": len(summary), "nsamples": nsamples}


def explain(
    *,
    source: Any,
    fmt: str,
    x: np.ndarray,
    feature_names: list[str],
    class_names: list[str],
    background: np.ndarray | None,
    method: Method = "auto",
    baseline: str = "mean",
    tolerance: float = 0.01,
    background_size: int = 20,
    nsamples: int = 512,
    seed: int = 0,
) -> ExplanationReport:
    """Explain each row of ``x`` for the class the version predicts.

    ``source`` is a ``loading.ModelSource``. ``method="auto"``: Integrated Gradients for PyTorch
    versions, KernelSHAP for ONNX; a PyTorch module whose gradients fail falls back to KernelSHAP
    (the reason is reported). KernelSHAP needs ``background`` (the training data): without it an
    ExplainError says so.
    """
    from shipyard_ml.inference import load

    x = np.ascontiguousarray(np.asarray(x, dtype=np.float32).reshape(len(x), -1))
    if len(feature_names) != x.shape[1]:
        feature_names = [f"x{i}" for i in range(x.shape[1])]
    is_torch = fmt != "onnx"
    if method == "integrated_gradients" and not is_torch:
        raise ExplainError("Integrated Gradients needs a PyTorch version; this version is ONNX (use kernel_shap)")
    fallback = ""
    rows: list[RowExplanation] | None = None
    used = "kernel_shap"
    extra: dict[str, Any] = {}
    loaded = load(source.path, fmt, recipe=source.recipe, recipe_config=source.recipe_config)
    if is_torch and method in ("auto", "integrated_gradients"):
        try:
            rows, extra = integrated_gradients(
                loaded.runner,
                x,
                background=background,
                baseline=baseline,
                tolerance=tolerance,
                class_names=class_names,
            )
            used = "integrated_gradients"
        except ExplainError as exc:
            if method == "integrated_gradients":
                raise
            fallback = f"Integrated Gradients could not run ({exc}); used the model-agnostic KernelSHAP"
    if rows is None:
        if background is None or len(background) == 0:
            raise ExplainError(
                "KernelSHAP needs the training dataset as background; the version records no training dataset"
            )
        rows, extra = kernel_shap(
            loaded.run,
            x,
            background=np.asarray(background, dtype=np.float32),
            tolerance=tolerance,
            class_names=class_names,
            background_size=background_size,
            nsamples=nsamples,
            seed=seed,
        )
    worst = max((r.completeness_error for r in rows), default=0.0)
    passed = worst <= tolerance
    total = (
        "attributions sum to f(x) - f(baseline)" if used == "integrated_gradients" else "SHAP values sum to f(x) - E[f]"
    )
    summary = (
        f"{used.replace('_', ' ')} on {len(rows)} row(s): {total} within {worst:.2%} "
        f"({'passes' if passed else 'exceeds'} the {tolerance:.0%} completeness tolerance)"
    )
    return ExplanationReport(
        method=used,
        fallback_reason=fallback,
        feature_names=list(feature_names),
        class_names=list(class_names),
        rows=rows,
        baseline=(baseline if background is not None else "zeros")
        if used == "integrated_gradients"
        else "training data (k-means)",
        output_kind="logit" if used == "integrated_gradients" else "probability",
        completeness_tolerance=tolerance,
        max_completeness_error=float(worst),
        completeness_passed=passed,
        summary=summary,
        image_shape=image_shape(list(feature_names)),
        params=extra,
    )


def replay(source: Any, fmt: str, rows: list[list[Any]]) -> Any:
    """Run ``rows`` on a version exactly as a serving worker does (``inference.load`` + ``run_batch``)."""
    from shipyard_ml.inference import load, run_batch

    model = load(source.path, fmt, recipe=source.recipe, recipe_config=source.recipe_config)
    return run_batch(model, rows)
