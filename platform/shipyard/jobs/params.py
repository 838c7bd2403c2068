"""Per-kind job parameters: known keys, types, ranges and defaults. Pure Python (the web process validates)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from shipyard.core.errors import DomainError
from shipyard.registry import validation

# name -> (type, default, check, help)
_Spec = dict[str, tuple[type | tuple[type, ...], Any, Any, str]]


def _between(lo: float, hi: float) -> Any:
    return lambda v: lo <= v <= hi, f"between {lo} and {hi}"


def _choice(*values: str) -> Any:
    return lambda v: v in values, f"one of {', '.join(values)}"


_ANY = (lambda v: True, "")
_COMMON: _Spec = {"latency_repeats": (int, 30, _between(1, 100000), "timed calls per latency figure")}
_GATE: _Spec = {"max_metric_drop": ((int, float), 0.01, _between(-1, 1), "largest accuracy drop (0.01 = 1 point)")}

SPECS: dict[str, _Spec] = {
    "training_tests": {
        "recipe": (
            str,
            "",
            _ANY,
            "built-in recipe, or an entry point an operator allowlisted; default: the version's recipe",
        ),
        "config": (dict, {}, _ANY, "recipe config overrides"),
        "seed": (int, 0, _between(0, 2**31 - 1), ""),
        "other_seed": (int, 1, _between(0, 2**31 - 1), ""),
        "weight_tolerance": ((int, float), 1e-6, _between(0, 1e6), ""),
        "metric_tolerance": ((int, float), 1e-6, _between(0, 1e6), ""),
        "overfit_steps": (int, 300, _between(1, 100000), ""),
        "overfit_threshold": ((int, float), 0.05, _between(0, 100), ""),
        "overfit_batch_size": (int, 32, _between(1, 100000), ""),
        "loss_steps": (int, 20, _between(1, 100000), ""),
        "lr": ((int, float), 1e-2, _between(1e-8, 10), ""),
        "baseline_margin": ((int, float), 0.0, _between(0, 1), ""),
    },
    "evaluate": {"min_slice_accuracy": ((int, float, type(None)), None, _ANY, "every slice must reach it")},
    "export_onnx": {
        **_COMMON,
        "opset": (int, 17, _between(9, 21), "ONNX opset"),
        "tolerance": ((int, float), 1e-4, _between(0, 1), "max abs diff vs PyTorch"),
        "output_model": (str, "", _ANY, "register under this model (default: the same model)"),
    },
    "export_torchscript": {
        **_COMMON,
        "tolerance": ((int, float), 1e-5, _between(0, 1), "max abs diff vs eager"),
        "output_model": (str, "", _ANY, ""),
    },
    "quantize": {
        **_COMMON,
        **_GATE,
        "mode": (str, "dynamic", _choice("dynamic", "static"), ""),
        "per_channel": (bool, False, _ANY, ""),
        "calibration_rows": (int, 256, _between(1, 100000), "static mode: rows of the dataset used to calibrate"),
        "opset": (int, 17, _between(10, 21), "opset of the fp32 export when the source is PyTorch"),
        "output_model": (str, "", _ANY, ""),
    },
    "prune": {
        **_COMMON,
        **_GATE,
        "target_sparsity": ((int, float), 0.5, _between(0.01, 0.99), ""),
        "fine_tune_epochs": (int, 0, _between(0, 1000), ""),
        "seed": (int, 0, _between(0, 2**31 - 1), ""),
        "output_model": (str, "", _ANY, ""),
    },
    "distill": {
        **_COMMON,
        "student_recipe": (str, "digits_mlp", _choice(*validation.BUILTIN_RECIPES), ""),
        "student_config": (dict, {"hidden": [32]}, _ANY, "student architecture/training config"),
        "temperature": ((int, float), 4.0, _between(0.01, 100), "T"),
        "alpha": ((int, float), 0.7, _between(0, 1), "weight of the soft-label term"),
        "seed": (int, 0, _between(0, 2**31 - 1), ""),
        "max_metric_drop": ((int, float), 1.0, _between(-1, 1), "largest accuracy drop vs the teacher"),
        "output_model": (str, "", _ANY, "default: <teacher model>-student"),
    },
}


def normalise(kind: str, params: Any) -> dict[str, Any]:
    """Params with defaults filled in; a DomainError naming ``params.<key>`` for anything wrong."""
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise DomainError("must be a JSON object", field="params")
    spec = SPECS[kind]
    unknown = sorted(set(params) - set(spec))
    if unknown:
        raise DomainError(
            f"unknown parameter for {kind}; known: {', '.join(sorted(spec))}", field=f"params.{unknown[0]}"
        )
    out: dict[str, Any] = {}
    for key, (types, default, (check, rule), _help) in spec.items():
        if key not in params:
            out[key] = default
            continue
        value = params[key]
        bad_bool = isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,))
        if bad_bool or not isinstance(value, types):
            names = [t.__name__ for t in (types if isinstance(types, tuple) else (types,))]
            raise DomainError(f"must be of type {' or '.join(names)}", field=f"params.{key}")
        if value is not None and not isinstance(value, (str, dict, bool)) and not check(value):
            raise DomainError(f"must be {rule}", field=f"params.{key}")
        if isinstance(value, str) and rule and not check(value):
            raise DomainError(f"must be {rule}", field=f"params.{key}")
        if isinstance(value, str) and len(value) > 200:
            raise DomainError("must be at most 200 characters", field=f"params.{key}")
        out[key] = value
    return out


def check_recipe(value: str, *, version_recipe: str, allowlist: Iterable[str]) -> str:
    """The recipe a ``training_tests`` job runs: a built-in one or an operator-allowlisted entry point.

    ``value`` is ``params.recipe`` (empty: the version's recipe). A request never chooses code to
    import: any other name is a DomainError naming ``params.recipe``.
    """
    recipe = value or version_recipe
    if not recipe:
        raise DomainError("the version has no training recipe; pass params.recipe", field="params.recipe")
    if not validation.recipe_allowed(recipe, allowlist):
        whose = "" if value else f"the version's recipe '{recipe}' "
        raise DomainError(
            f"{whose}must be a built-in recipe ({', '.join(validation.BUILTIN_RECIPES)}) "
            "or an entry point an operator allowlisted (SHIPYARD_RECIPE_ALLOWLIST)",
            field="params.recipe",
        )
    return recipe
