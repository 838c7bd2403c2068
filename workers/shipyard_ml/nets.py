"""The architectures of the built-in recipes, their defaults, and how to rebuild one from its name.

Every built-in model takes flat float32 rows of raw features (``(batch, n_features)``) and
returns logits; input standardisation is a buffer inside the model, so serving needs no
separate preprocessing and ``build_architecture`` + ``load_state_dict`` rebuild it exactly.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import nn


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


class DepthwiseSeparable(nn.Sequential):
    """A 3x3 depthwise convolution (one filter per channel) then a 1x1 pointwise one, each with batch
    norm and ReLU6: the MobileNet block, about 8-9x fewer multiply-adds than a full 3x3 convolution."""

    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__(
            nn.Conv2d(c_in, c_in, 3, stride=stride, padding=1, groups=c_in, bias=False),
            nn.BatchNorm2d(c_in),
            nn.ReLU6(),
            nn.Conv2d(c_in, c_out, 1, bias=False),
            nn.BatchNorm2d(c_out),
            nn.ReLU6(),
        )


class CompactCNN(nn.Module):
    """A MobileNet-style network (Howard et al., 2017) for small single-channel images given as flat
    rows: a 3x3 stem, depthwise-separable blocks, global average pooling and one linear layer."""

    def __init__(self, n_features: int, n_classes: int, channels: list[int], strides: list[int], side: int) -> None:
        super().__init__()
        if len(strides) != len(channels) - 1:
            raise ValueError("digits_compact needs one stride per block: len(strides) == len(channels) - 1.")
        self.side = side
        self.norm = Standardize(n_features)
        stem = [nn.Conv2d(1, channels[0], 3, padding=1, bias=False), nn.BatchNorm2d(channels[0]), nn.ReLU6()]
        blocks = [DepthwiseSeparable(channels[i], channels[i + 1], strides[i]) for i in range(len(strides))]
        self.features = nn.Sequential(*stem, *blocks, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(channels[-1], n_classes)

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
    "digits_compact": {
        "channels": [8, 16, 32, 64],
        "strides": [1, 2, 1],
        "epochs": 60,
        "lr": 1e-2,
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


#: the hyperparameters a ``tune`` job searches for each built-in recipe (declared beside the defaults)
SEARCH_SPACES: dict[str, dict[str, dict[str, Any]]] = {
    "digits_mlp": {
        "lr": {"type": "float", "low": 3e-4, "high": 3e-2, "log": True},
        "hidden": {"type": "categorical", "choices": [[32], [64], [128], [128, 64]]},
        "weight_decay": {"type": "float", "low": 1e-6, "high": 1e-2, "log": True},
        "batch_size": {"type": "categorical", "choices": [32, 64, 128]},
    },
    "digits_cnn": {
        "lr": {"type": "float", "low": 3e-4, "high": 3e-2, "log": True},
        "channels": {"type": "categorical", "choices": [[8, 16], [16, 32]]},
        "hidden": {"type": "categorical", "choices": [32, 64, 128]},
        "weight_decay": {"type": "float", "low": 1e-6, "high": 1e-2, "log": True},
    },
    "digits_compact": {
        "lr": {"type": "float", "low": 1e-3, "high": 3e-2, "log": True},
        "channels": {"type": "categorical", "choices": [[8, 16, 32, 64], [16, 32, 64, 64]]},
        "weight_decay": {"type": "float", "low": 1e-6, "high": 1e-2, "log": True},
        "batch_size": {"type": "categorical", "choices": [32, 64, 128]},
    },
    "tabular_mlp": {
        "lr": {"type": "float", "low": 1e-3, "high": 5e-2, "log": True},
        "hidden": {"type": "categorical", "choices": [[8], [16], [32, 16], [64, 32]]},
        "weight_decay": {"type": "float", "low": 1e-6, "high": 1e-2, "log": True},
        "dropout": {"type": "float", "low": 0.0, "high": 0.3},
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
        raise ValueError(f"{recipe_name} needs a square single-channel image; got {n_features} features.")
    channels = [int(c) for c in cfg["channels"]]
    if recipe_name == "digits_compact":
        return CompactCNN(n_features, n_classes, channels, [int(s) for s in cfg["strides"]], side)
    return SmallCNN(n_features, n_classes, channels, int(cfg["hidden"]), side)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def count_macs(model: nn.Module, n_features: int) -> int:
    """Multiply-accumulates of one forward pass at batch 1, from PyTorch's own FLOP counter
    (``torch.utils.flop_counter``: convolutions and matrix products, 2 FLOPs per MAC)."""
    from torch.utils.flop_counter import FlopCounterMode

    model = model.eval()
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(torch.zeros(1, n_features))
    return int(counter.get_total_flops()) // 2
