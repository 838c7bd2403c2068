"""Hyperparameter tuning (rubric model-3): an Optuna study over a recipe's declared search space.

Each trial trains the recipe with the suggested values merged over the base config and scores
its accuracy on the evaluation rows; with pruning on, the accuracy after every epoch goes to
Optuna's median pruner, which stops trials that fall behind. The version the study starts from
is trained once more the same way (same seed, same data) as the reference: its rank among the
completed trials is the model-3 verdict (within ``top_k`` passes). No Django.
"""

from __future__ import annotations

import inspect
import json
import math
import time
from typing import Any

from torch import nn

from shipyard_ml.evidence_reports import TuneReport, TuneTrial
from shipyard_ml.metrics import predict_logits
from shipyard_ml.recipe_types import Progress, Recipe, ShouldStop, TrainingData, never_stop, no_progress
from shipyard_ml.recipes import call_recipe

#: the largest number of categorical choices one declared parameter may have
MAX_CHOICES = 100


class SearchSpaceError(ValueError):
    """The recipe declares no search space, or the one it declares is not usable."""


def declared_space(recipe: Recipe, recipe_name: str) -> dict[str, dict[str, Any]]:
    """The recipe's ``search_space`` attribute, checked; SearchSpaceError naming what is wrong."""
    space = getattr(recipe, "search_space", None)
    if space is None:
        raise SearchSpaceError(
            f"recipe '{recipe_name}' declares no search space: set a search_space attribute on the recipe "
            "function ({name: {type: float|int|categorical, ...}}); tuning has nothing to search"
        )
    if not isinstance(space, dict) or not space:
        raise SearchSpaceError(f"recipe '{recipe_name}': search_space must be a non-empty dict of parameters")
    for name, spec in space.items():
        kind = spec.get("type") if isinstance(spec, dict) else None
        if kind in ("float", "int"):
            low, high = spec.get("low"), spec.get("high")
            if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (low, high)) or low > high:
                raise SearchSpaceError(f"search_space.{name}: needs numbers low <= high")
            if spec.get("log") and low <= 0:
                raise SearchSpaceError(f"search_space.{name}: a log scale needs low > 0")
        elif kind == "categorical":
            choices = spec.get("choices")
            if not isinstance(choices, list) or not 1 <= len(choices) <= MAX_CHOICES:
                raise SearchSpaceError(f"search_space.{name}: needs 1 to {MAX_CHOICES} choices")
        else:
            raise SearchSpaceError(f"search_space.{name}: type must be float, int or categorical")
    return dict(space)


def _suggest(trial: Any, space: dict[str, dict[str, Any]]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, spec in space.items():
        if spec["type"] == "float":
            values[name] = trial.suggest_float(name, spec["low"], spec["high"], log=bool(spec.get("log")))
        elif spec["type"] == "int":
            values[name] = trial.suggest_int(name, int(spec["low"]), int(spec["high"]), log=bool(spec.get("log")))
        else:
            # Optuna's categories are scalars: a list choice ([64, 32]) travels as its JSON text
            picked = trial.suggest_categorical(name, [json.dumps(c) for c in spec["choices"]])
            values[name] = json.loads(picked)
    return values


def _accuracy(model: nn.Module, data: TrainingData, device: str) -> float:
    logits = predict_logits(model, data.X_eval, device)
    return float((logits.argmax(1) == data.y_eval).mean()) if len(data.y_eval) else math.nan


def _takes_epoch_end(recipe: Recipe) -> bool:
    try:
        params = inspect.signature(recipe).parameters
    except (TypeError, ValueError):
        return False
    return "epoch_end" in params or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())


def tune(
    recipe: Recipe,
    recipe_name: str,
    base_config: dict[str, Any],
    data: TrainingData,
    *,
    n_trials: int,
    seed: int,
    pruning: bool,
    top_k: int,
    device: str = "cpu",
    progress: Progress = no_progress,
    should_stop: ShouldStop = never_stop,
) -> tuple[nn.Module | None, TuneReport]:
    """Run the study; returns the best trial's trained model (none when no trial completed) and the report."""
    import optuna

    space = declared_space(recipe, recipe_name)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    can_prune = pruning and _takes_epoch_end(recipe)
    pruner: Any = (
        optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1) if can_prune else optuna.pruners.NopPruner()
    )
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed), pruner=pruner)
    total = n_trials + 1
    best: dict[str, Any] = {"value": -math.inf, "model": None}
    curves: dict[int, list[float]] = {}
    durations: dict[int, float] = {}
    configs: dict[int, dict[str, Any]] = {}

    progress(0.0, "training the starting version's configuration as the reference")
    started = time.monotonic()
    ref_model, _ = call_recipe(recipe, dict(base_config), seed, data, device=device, should_stop=should_stop)
    reference = _accuracy(ref_model, data, device)
    reference_s = time.monotonic() - started
    progress(100.0 / total, f"reference configuration: accuracy {reference:.4f}")

    def objective(trial: Any) -> float:
        values = _suggest(trial, space)
        config = {**base_config, **values}
        configs[trial.number] = config
        curve: list[float] = curves.setdefault(trial.number, [])

        def epoch_end(epoch: int, model: nn.Module) -> None:
            acc = _accuracy(model, data, device)
            curve.append(round(acc, 6))
            trial.report(acc, epoch)
            if trial.should_prune():
                raise optuna.TrialPruned(f"pruned after epoch {epoch + 1} at accuracy {acc:.4f}")

        t0 = time.monotonic()
        try:
            model, _ = call_recipe(
                recipe,
                config,
                seed,
                data,
                device=device,
                should_stop=should_stop,
                epoch_end=epoch_end if can_prune else None,
            )
        finally:
            durations[trial.number] = time.monotonic() - t0
        value = _accuracy(model, data, device)
        if value > best["value"]:
            best.update(value=value, model=model)
        return value

    def after_trial(study: Any, trial: Any) -> None:
        done = trial.number + 2
        best_text = f"best {study.best_value:.4f}" if best["model"] is not None else "no completed trial yet"
        state = trial.state.name.lower()
        value = f" accuracy {trial.value:.4f}" if trial.value is not None else ""
        progress(100.0 * done / total, f"trial {trial.number + 1}/{n_trials} {state}{value}; {best_text}")

    study.optimize(objective, n_trials=n_trials, callbacks=[after_trial], gc_after_trial=False)

    trials = [
        TuneTrial(
            number=t.number,
            state=t.state.name.lower(),
            value=None if t.value is None else round(float(t.value), 6),
            params={k: json.loads(v) if space[k]["type"] == "categorical" else v for k, v in t.params.items()},
            config=configs.get(t.number, {}),
            intermediate=curves.get(t.number, []),
            duration_s=round(durations.get(t.number, 0.0), 3),
        )
        for t in study.trials
    ]
    completed = [t for t in trials if t.state == "complete" and t.value is not None]
    ranked = sorted(completed, key=lambda t: -float(t.value or 0.0))
    rank = 1 + sum(1 for t in completed if float(t.value or 0.0) > reference)
    passed = bool(completed) and rank <= top_k
    best_trial = ranked[0] if ranked else None
    summary = (
        f"{len(completed)} of {n_trials} trials completed ({sum(t.state == 'pruned' for t in trials)} pruned); "
        + (f"best accuracy {best_trial.value:.4f} (trial {best_trial.number}); " if best_trial else "")
        + f"the starting configuration ({reference:.4f}) ranks {rank} of {len(completed) + 1}, "
        + ("within" if passed else "outside")
        + f" the top {top_k}"
    )
    report = TuneReport(
        passed=passed,
        summary=summary,
        metric="accuracy",
        direction="maximize",
        recipe=recipe_name,
        search_space=space,
        n_trials=n_trials,
        completed=len(completed),
        pruned=sum(t.state == "pruned" for t in trials),
        pruning=can_prune,
        pruning_note="" if can_prune or not pruning else "the recipe takes no epoch_end callback: no pruning",
        trials=trials,
        best_trial=None if best_trial is None else best_trial.number,
        best_value=None if best_trial is None else best_trial.value,
        best_config={} if best_trial is None else best_trial.config,
        reference_value=round(reference, 6),
        reference_config=dict(base_config),
        reference_duration_s=round(reference_s, 3),
        reference_rank=rank,
        top_k=top_k,
        eval_rows=len(data.y_eval),
    )
    return (best["model"] if best_trial is not None else None), report
