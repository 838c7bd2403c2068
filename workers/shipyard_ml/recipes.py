"""Training recipes: how a model is built and trained, as plain functions.

A recipe has the interface every training spec shares::

    recipe(config: dict, seed: int, data: TrainingData) -> tuple[torch.nn.Module, dict[str, float]]

It may also accept the keyword arguments ``progress`` (``(percent, message) -> None``),
``should_stop`` (``() -> bool``) and ``device`` (``"cpu"``/``"cuda"``); :func:`call_recipe`
passes them only when the signature takes them, so a team's spec can stay minimal.

Built-in recipes (``BUILTIN_RECIPES``) train the demo models: ``digits_mlp``, ``digits_cnn``
(a small CNN on the 1x8x8 digits images) and ``tabular_mlp`` (iris, wine, breast cancer).
Every built-in model takes flat float32 rows of raw features (``(batch, n_features)``) and
returns logits; input standardisation is a buffer inside the model, so serving needs no
separate preprocessing and ``build_architecture`` + ``load_state_dict`` rebuild it exactly.

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

import contextlib
import importlib
import inspect
import math
import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

Progress = Callable[[float, str], None]
ShouldStop = Callable[[], bool]
Recipe = Callable[..., tuple[nn.Module, dict[str, float]]]


class Cancelled(Exception):
    """Raised inside ML functions when ``should_stop()`` returns true."""


def _no_progress(percent: float, message: str) -> None:
    return None


def _never_stop() -> bool:
    return False


@dataclass
class TrainingData:
    X_train: np.ndarray  # float32, (n, *input_shape)
    y_train: np.ndarray  # int64, (n,)
    X_eval: np.ndarray
    y_eval: np.ndarray
    feature_names: list[str]
    class_names: list[str]
    input_shape: tuple[int, ...]
    name: str = ""
    slices: dict[str, np.ndarray] = field(default_factory=dict)  # slice name -> boolean mask over the eval rows

    def __post_init__(self) -> None:
        self.X_train = np.ascontiguousarray(self.X_train, dtype=np.float32)
        self.X_eval = np.ascontiguousarray(self.X_eval, dtype=np.float32)
        self.y_train = np.ascontiguousarray(self.y_train, dtype=np.int64)
        self.y_eval = np.ascontiguousarray(self.y_eval, dtype=np.int64)
        self.input_shape = tuple(int(d) for d in self.input_shape)

    @property
    def n_classes(self) -> int:
        return len(self.class_names)


# --------------------------------------------------------------------------- datasets

SKLEARN_DATASETS = ("digits", "iris", "breast_cancer", "wine")
SPLIT_SEED = 0
EVAL_FRACTION = 0.25


def load_sklearn_dataset(name: str) -> TrainingData:
    """One of scikit-learn's bundled datasets with a fixed, stratified 75/25 split (no download)."""
    from sklearn import datasets as skd
    from sklearn.model_selection import train_test_split

    loaders = {
        "digits": skd.load_digits,
        "iris": skd.load_iris,
        "breast_cancer": skd.load_breast_cancer,
        "wine": skd.load_wine,
    }
    if name not in loaders:
        raise ValueError(f"Unknown dataset '{name}'; expected one of {', '.join(SKLEARN_DATASETS)}.")
    bunch = loaders[name]()
    x_all = np.asarray(bunch.data, dtype=np.float32)
    y = np.asarray(bunch.target, dtype=np.int64)
    x_train, x_eval, y_train, y_eval = train_test_split(
        x_all, y, test_size=EVAL_FRACTION, random_state=SPLIT_SEED, stratify=y
    )
    feature_names = [str(f) for f in getattr(bunch, "feature_names", [f"x{i}" for i in range(x_all.shape[1])])]
    class_names = [str(c) for c in getattr(bunch, "target_names", sorted(set(y.tolist())))]
    data = TrainingData(
        X_train=x_train,
        y_train=y_train,
        X_eval=x_eval,
        y_eval=y_eval,
        feature_names=feature_names,
        class_names=class_names,
        input_shape=(x_all.shape[1],),
        name=name,
    )
    data.slices = {f"class={c}": data.y_eval == i for i, c in enumerate(class_names)}
    return data


# --------------------------------------------------------------------------- architectures


class Standardize(nn.Module):
    """(x - mean) / std with mean and std stored as buffers (so they travel in the state_dict)."""

    mean: torch.Tensor
    std: torch.Tensor

    def __init__(self, n_features: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(n_features))
        self.register_buffer("std", torch.ones(n_features))

    def fit(self, x: np.ndarray) -> None:
        flat = torch.from_numpy(np.asarray(x, dtype=np.float32).reshape(len(x), -1))
        self.mean.copy_(flat.mean(0))
        std = flat.std(0)
        # a feature constant in training (a border pixel) keeps its scale instead of exploding
        self.std.copy_(torch.where(std < 1e-2, torch.ones_like(std), std))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std


class MLP(nn.Module):
    def __init__(self, n_features: int, n_classes: int, hidden: list[int], dropout: float = 0.0) -> None:
        super().__init__()
        self.norm = Standardize(n_features)
        layers: list[nn.Module] = []
        width = n_features
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU()]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = h
        layers.append(nn.Linear(width, n_classes))
        self.body = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(self.norm(x.reshape(x.shape[0], -1)))


class SmallCNN(nn.Module):
    """Two 3x3 convolutions and a dense head on a single-channel square image given as flat rows."""

    def __init__(self, n_features: int, n_classes: int, channels: list[int], hidden: int, side: int) -> None:
        super().__init__()
        self.side = side
        self.norm = Standardize(n_features)
        c1, c2 = channels
        self.features = nn.Sequential(
            nn.Conv2d(1, c1, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(c1, c2, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.head = nn.Sequential(
            nn.Flatten(), nn.Linear(c2 * (side // 2) ** 2, hidden), nn.ReLU(), nn.Linear(hidden, n_classes)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.norm(x.reshape(x.shape[0], -1))
        return self.head(self.features(x.reshape(x.shape[0], 1, self.side, self.side)))


DEFAULTS: dict[str, dict[str, Any]] = {
    "digits_mlp": {
        "hidden": [128, 64],
        "dropout": 0.0,
        "epochs": 30,
        "lr": 2e-3,
        "batch_size": 64,
        "weight_decay": 1e-4,
    },
    "digits_cnn": {
        "channels": [16, 32],
        "hidden": 64,
        "epochs": 12,
        "lr": 2e-3,
        "batch_size": 64,
        "weight_decay": 1e-4,
    },
    "tabular_mlp": {
        "hidden": [32, 16],
        "dropout": 0.0,
        "epochs": 60,
        "lr": 5e-3,
        "batch_size": 32,
        "weight_decay": 1e-4,
    },
}


def recipe_config(recipe_name: str, config: dict[str, Any] | None) -> dict[str, Any]:
    """The recipe's defaults overlaid with ``config``."""
    if recipe_name not in DEFAULTS:
        raise ValueError(f"Unknown built-in recipe '{recipe_name}'; expected one of {', '.join(DEFAULTS)}.")
    return {**DEFAULTS[recipe_name], **(config or {})}


def build_architecture(
    recipe_name: str, config: dict[str, Any] | None, input_shape: tuple[int, ...], n_classes: int
) -> nn.Module:
    """An untrained module of a built-in recipe's architecture (load a state_dict into it)."""
    cfg = recipe_config(recipe_name, config)
    n_features = math.prod(int(d) for d in input_shape)
    if recipe_name in ("digits_mlp", "tabular_mlp"):
        return MLP(n_features, n_classes, [int(h) for h in cfg["hidden"]], float(cfg.get("dropout", 0.0)))
    side = math.isqrt(n_features)
    if side * side != n_features:
        raise ValueError(f"digits_cnn needs a square single-channel image; got {n_features} features.")
    return SmallCNN(n_features, n_classes, [int(c) for c in cfg["channels"]], int(cfg["hidden"]), side)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# --------------------------------------------------------------------------- determinism + training


@contextlib.contextmanager
def deterministic(seed: int, threads: int = 1) -> Iterator[torch.Generator]:
    """Seed torch and numpy and turn on deterministic algorithms for the block; yields a seeded generator."""
    previous = torch.are_deterministic_algorithms_enabled()
    previous_threads = torch.get_num_threads()
    torch.manual_seed(seed)
    np.random.seed(seed % (2**32))
    torch.use_deterministic_algorithms(True, warn_only=True)
    # One intra-op thread: the same reduction order on every machine, and small models train far
    # faster than with OpenMP threads spinning against other processes on a shared 2-core box.
    torch.set_num_threads(threads)
    try:
        yield torch.Generator().manual_seed(seed)
    finally:
        torch.use_deterministic_algorithms(previous)
        torch.set_num_threads(previous_threads)


def predict_logits(model: nn.Module, x: np.ndarray, device: str = "cpu", batch_size: int = 1024) -> np.ndarray:
    model.eval()
    outs = []
    with torch.no_grad():
        for i in range(0, len(x), batch_size):
            xb = torch.from_numpy(np.ascontiguousarray(x[i : i + batch_size], dtype=np.float32)).to(device)
            outs.append(model(xb).float().cpu().numpy())
    if not outs:
        return np.zeros((0, 0), dtype=np.float32)
    return np.concatenate(outs)


def classification_metrics(logits: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """accuracy, cross-entropy loss and macro F1 from logits.

    Macro F1 averages over the classes present in ``y``: on a slice that holds two classes, a
    stray prediction of a third class costs recall of the true class, but the absent class does
    not enter the average with F1 = 0 (which would make a 94 %-accurate slice read as F1 0.3).
    """
    if len(y) == 0:
        return {"accuracy": float("nan"), "loss": float("nan"), "macro_f1": float("nan"), "n": 0.0}
    t = torch.from_numpy(np.asarray(logits, dtype=np.float32))
    yt = torch.from_numpy(np.asarray(y, dtype=np.int64))
    loss = float(nn.functional.cross_entropy(t, yt).item())
    pred = logits.argmax(1)
    f1s = []
    for c in np.unique(y):
        tp = float(((pred == c) & (y == c)).sum())
        fp = float(((pred == c) & (y != c)).sum())
        fn = float(((pred != c) & (y == c)).sum())
        f1s.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return {"accuracy": float((pred == y).mean()), "loss": loss, "macro_f1": float(np.mean(f1s)), "n": float(len(y))}


def train_classifier(
    model: nn.Module,
    data: TrainingData,
    config: dict[str, Any],
    seed: int,
    *,
    device: str = "cpu",
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
    soft_targets: np.ndarray | None = None,
) -> dict[str, float]:
    """Adam + cross-entropy mini-batch training in place; returns train/eval metrics.

    With ``soft_targets`` (teacher logits for every training row) the loss is the
    distillation loss ``alpha*T^2*KL(softmax(t/T) || softmax(s/T)) + (1-alpha)*CE``
    with ``config["temperature"]`` and ``config["alpha"]``.
    """
    progress = progress or _no_progress
    should_stop = should_stop or _never_stop
    epochs = int(config.get("epochs", 20))
    batch_size = int(config.get("batch_size", 64))
    temperature = float(config.get("temperature", 4.0))
    alpha = float(config.get("alpha", 0.7))
    with deterministic(seed, int(config.get("threads", 1))) as gen:
        model.to(device)
        opt = torch.optim.Adam(
            model.parameters(), lr=float(config.get("lr", 1e-3)), weight_decay=float(config.get("weight_decay", 0.0))
        )
        xt = torch.from_numpy(data.X_train).to(device)
        y = torch.from_numpy(data.y_train).to(device)
        soft = (
            torch.from_numpy(np.asarray(soft_targets, dtype=np.float32)).to(device)
            if soft_targets is not None
            else None
        )
        n = len(xt)
        for epoch in range(epochs):
            if should_stop():
                raise Cancelled(f"stopped at epoch {epoch}")
            model.train()
            order = torch.randperm(n, generator=gen).to(device)
            for i in range(0, n, batch_size):
                idx = order[i : i + batch_size]
                logits = model(xt[idx])
                loss = nn.functional.cross_entropy(logits, y[idx])
                if soft is not None:
                    kl = nn.functional.kl_div(
                        nn.functional.log_softmax(logits / temperature, dim=1),
                        nn.functional.log_softmax(soft[idx] / temperature, dim=1),
                        reduction="batchmean",
                        log_target=True,
                    )
                    loss = alpha * temperature**2 * kl + (1 - alpha) * loss
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
            progress(100.0 * (epoch + 1) / max(epochs, 1), f"epoch {epoch + 1}/{epochs} loss {float(loss.item()):.4f}")
        model.eval()
        train = classification_metrics(predict_logits(model, data.X_train, device), data.y_train)
        ev = classification_metrics(predict_logits(model, data.X_eval, device), data.y_eval)
    model.to("cpu")
    return {
        "accuracy": ev["accuracy"],
        "loss": ev["loss"],
        "macro_f1": ev["macro_f1"],
        "train_accuracy": train["accuracy"],
        "train_loss": train["loss"],
    }


def _builtin(recipe_name: str) -> Recipe:
    def recipe(
        config: dict[str, Any],
        seed: int,
        data: TrainingData,
        *,
        progress: Progress | None = None,
        should_stop: ShouldStop | None = None,
        device: str = "cpu",
    ) -> tuple[nn.Module, dict[str, float]]:
        cfg = recipe_config(recipe_name, config)
        with deterministic(seed):
            model = build_architecture(recipe_name, cfg, data.input_shape, data.n_classes)
        norm = getattr(model, "norm", None)
        if isinstance(norm, Standardize):
            norm.fit(data.X_train)
        metrics = train_classifier(model, data, cfg, seed, device=device, progress=progress, should_stop=should_stop)
        return model, metrics

    recipe.__name__ = recipe_name
    recipe.__qualname__ = recipe_name
    recipe.__doc__ = f"Built-in recipe {recipe_name}: defaults {DEFAULTS[recipe_name]}."
    return recipe


digits_mlp = _builtin("digits_mlp")
digits_cnn = _builtin("digits_cnn")
tabular_mlp = _builtin("tabular_mlp")

BUILTIN_RECIPES: dict[str, Recipe] = {"digits_mlp": digits_mlp, "digits_cnn": digits_cnn, "tabular_mlp": tabular_mlp}

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
) -> tuple[nn.Module, dict[str, float]]:
    """Call a recipe, passing progress/should_stop/device only where its signature takes them."""
    try:
        params = inspect.signature(recipe).parameters
    except (TypeError, ValueError):
        params = {}  # type: ignore[assignment]
    var_kw = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    extra: dict[str, Any] = {}
    for key, value in (("progress", progress), ("should_stop", should_stop), ("device", device)):
        if value is not None and (var_kw or key in params):
            extra[key] = value
    if should_stop is not None and should_stop():
        raise Cancelled("stopped before training")
    model, metrics = recipe(dict(config), int(seed), data, **extra)
    if not isinstance(model, nn.Module):
        raise TypeError(f"Recipe returned {type(model).__name__}, expected a torch.nn.Module.")
    return model, {str(k): float(v) for k, v in dict(metrics).items()}
