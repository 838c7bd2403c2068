"""The recipe registry: which training code a job may run, and how it is called.

A recipe is a plain function (see :mod:`shipyard_ml.recipe_types` for its signature). The
built-in recipes (``BUILTIN_RECIPES``: ``digits_mlp``, ``digits_cnn``, ``digits_compact``, ``tabular_mlp``) are
defined in :mod:`shipyard_ml.train` on the architectures of :mod:`shipyard_ml.nets`.

Team training code is an entry point ``"package.module:function"``. Trust boundary: resolving
an entry point imports and runs that code with the worker's privileges, so only operators
choose which entry points may run, never a request. :func:`resolve_recipe` accepts a
built-in recipe name or an entry point listed *exactly* in the allowlist it is given (the worker
passes the operator's ``SHIPYARD_RECIPE_ALLOWLIST``; the default is empty: built-ins only);
anything else is refused before any import, so a request can never name a module of the
standard library or of an installed package (``logging.config:fileConfig``, ``os:system``). The
web process refuses the same names at job creation; this check is the second line. Shipyard
never installs or downloads code; run untrusted teams on their own worker pool.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Collection
from typing import Any

from torch import nn

from shipyard_ml import train
from shipyard_ml.recipe_types import Cancelled, EpochEnd, Progress, Recipe, ShouldStop, TrainingData

BUILTIN_RECIPES: dict[str, Recipe] = {
    "digits_mlp": train.digits_mlp,
    "digits_cnn": train.digits_cnn,
    "digits_compact": train.digits_compact,
    "tabular_mlp": train.tabular_mlp,
}

_ENTRY_POINT = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*:[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$")


class RecipeNotAllowed(ValueError):
    """The recipe is neither built in nor an entry point on the operator's allowlist."""


def load_entry_point(spec: str) -> Recipe:
    """Import ``"package.module:function"`` from the installed packages.

    Low level: it imports whatever it is given. Callers holding a name from a request use
    :func:`resolve_recipe`, which checks the allowlist first (see the module docstring on trust).
    """
    if not isinstance(spec, str) or not _ENTRY_POINT.match(spec):
        raise ValueError(f"Entry point '{spec}' must look like 'package.module:function'.")
    module_name, attr = spec.split(":", 1)
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"Entry point module '{module_name}' is not installed on this worker: {exc}") from exc
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ValueError(f"Entry point '{spec}': '{module_name}' has no attribute '{attr}'.")
        obj = getattr(obj, part)
    if not callable(obj):
        raise ValueError(f"Entry point '{spec}' is not callable.")
    return obj  # type: ignore[no-any-return]


def resolve_recipe(name_or_entry_point: str, *, allowlist: Collection[str] = ()) -> Recipe:
    """A built-in recipe by name, else an entry point listed exactly in ``allowlist``.

    Anything else raises :class:`RecipeNotAllowed` without importing anything.
    """
    if name_or_entry_point in BUILTIN_RECIPES:
        return BUILTIN_RECIPES[name_or_entry_point]
    if not isinstance(name_or_entry_point, str) or name_or_entry_point not in set(allowlist):
        raise RecipeNotAllowed(
            f"Recipe '{name_or_entry_point}' is not a built-in recipe ({', '.join(BUILTIN_RECIPES)}) "
            "nor an entry point on the operator's allowlist."
        )
    return load_entry_point(name_or_entry_point)


def call_recipe(
    recipe: Recipe,
    config: dict[str, Any],
    seed: int,
    data: TrainingData,
    *,
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
    device: str = "cpu",
    epoch_end: EpochEnd | None = None,
) -> tuple[nn.Module, dict[str, float]]:
    """Call a recipe, passing progress/should_stop/device/epoch_end only where its signature takes them."""
    try:
        params = inspect.signature(recipe).parameters
    except (TypeError, ValueError):
        params = {}  # type: ignore[assignment]
    var_kw = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    extra: dict[str, Any] = {}
    for key, value in (
        ("progress", progress),
        ("should_stop", should_stop),
        ("device", device),
        ("epoch_end", epoch_end),
    ):
        if value is not None and (var_kw or key in params):
            extra[key] = value
    if should_stop is not None and should_stop():
        raise Cancelled("stopped before training")
    model, metrics = recipe(dict(config), int(seed), data, **extra)
    if not isinstance(model, nn.Module):
        raise TypeError(f"Recipe returned {type(model).__name__}, expected a torch.nn.Module.")
    return model, {str(k): float(v) for k, v in dict(metrics).items()}
