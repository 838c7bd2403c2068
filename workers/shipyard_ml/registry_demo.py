"""Train the demo models on scikit-learn's bundled datasets (no download) and write their files.

``python -m shipyard_ml.registry_demo OUT_DIR [--skip-models]`` writes, per dataset, a CSV (feature
columns with identifier-safe names + ``label``) and, per model, a state_dict (and an ONNX export of
each MLP), then prints a JSON manifest the registry's demo seeding reads. Training uses the
built-in recipes of :mod:`shipyard_ml.train`; each takes a few seconds on two cores.

The digits MLP also has a history (rubric model-4, the impact of staleness): earlier versions the
team trained 6, 4 and 2 weeks ago, when it had collected 40, 60 and 80 % of today's training rows
(the digits data has no time axis, so the demo declares one: the rows in a fixed random order
arrive over time). ``digits_recent`` is the labelled data collected since: the held-out evaluation
rows, which no version trained on.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import warnings
from pathlib import Path
from typing import Any

DATASETS: dict[str, dict[str, Any]] = {
    "digits": {
        "project": "digits-classifier",
        "description": "8x8 grey-scale handwritten digits (scikit-learn's load_digits); 64 pixel intensities 0-16.",
        "slices": [
            {"name": "faint-centre", "filter": "pixel_3_3 < 8"},
            {"name": "bold-centre", "filter": "pixel_3_3 >= 8"},
            {"name": "zeros-and-eights", "filter": "label in [0, 8]"},
        ],
    },
    "iris": {
        "project": "iris-species",
        "description": "Fisher's iris measurements (load_iris).",
        "slices": [
            {"name": "short-petals", "filter": "petal_length_cm < 2.5"},
            {"name": "long-petals", "filter": "petal_length_cm >= 2.5"},
        ],
    },
    "breast_cancer": {
        "project": "cancer-screening",
        "description": "Wisconsin diagnostic breast cancer features (load_breast_cancer).",
        "slices": [
            {"name": "large-radius", "filter": "mean_radius >= 15"},
            {"name": "small-radius", "filter": "mean_radius < 15"},
        ],
    },
    "wine": {
        "project": "wine-quality",
        "description": "Chemical analysis of Italian wines from three cultivars (load_wine).",
        "slices": [
            {"name": "high-alcohol", "filter": "alcohol >= 13"},
            {"name": "low-alcohol", "filter": "alcohol < 13"},
        ],
    },
}

MODELS: list[dict[str, Any]] = [
    {"name": "digits-mlp", "dataset": "digits", "recipe": "digits_mlp", "config": {"epochs": 15}, "onnx": True},
    {"name": "digits-cnn", "dataset": "digits", "recipe": "digits_cnn", "config": {"epochs": 6}, "onnx": False},
    {"name": "iris-mlp", "dataset": "iris", "recipe": "tabular_mlp", "config": {"epochs": 60}, "onnx": True},
]


#: the digits MLP's earlier versions: (days since training, share of today's training rows it had)
DIGITS_HISTORY: list[tuple[int, float]] = [(42, 0.4), (28, 0.6), (14, 0.8)]
RECENT = {
    "project": "digits-classifier",
    "description": "Digits labelled since the last retraining: the held-out evaluation rows no version trained on.",
    "slices": [],
}


def safe_name(name: str) -> str:
    return re.sub(r"_+", "_", re.sub(r"[^A-Za-z0-9]+", "_", name)).strip("_").lower()


def write_dataset(name: str, out: Path) -> dict[str, Any]:
    import pandas as pd
    from sklearn import datasets as skd

    bunch = {
        "digits": skd.load_digits,
        "iris": skd.load_iris,
        "breast_cancer": skd.load_breast_cancer,
        "wine": skd.load_wine,
    }[name]()
    columns = [safe_name(str(f)) for f in bunch.feature_names]
    frame = pd.DataFrame(bunch.data, columns=columns)
    frame["label"] = bunch.target
    path = out / f"{name}.csv"
    frame.to_csv(path, index=False)
    return {"path": str(path), "features": columns, **DATASETS[name]}


def write_recent(out: Path) -> dict[str, Any]:
    """The digits evaluation split as its own dataset: newer labelled data for the staleness study."""
    import pandas as pd

    from shipyard_ml.data import load_sklearn_dataset

    data = load_sklearn_dataset("digits")
    columns = [safe_name(f) for f in data.feature_names]
    frame = pd.DataFrame(data.X_eval, columns=columns)
    frame["label"] = data.y_eval
    path = out / "digits_recent.csv"
    frame.to_csv(path, index=False)
    return {"path": str(path), "features": columns, **RECENT}


def _slice_metrics(model: Any, data: Any, features: list[str], slices: list[dict[str, str]]) -> dict[str, Any]:
    import pandas as pd

    from shipyard_ml.metrics import classification_metrics, predict_logits
    from shipyard_ml.slices import slice_mask

    frame = pd.DataFrame(data.X_eval, columns=features)
    frame["label"] = data.y_eval
    out: dict[str, Any] = {}
    for item in slices:
        mask = slice_mask(frame, item["filter"]).to_numpy()
        if mask.sum() == 0:
            continue
        logits = predict_logits(model, data.X_eval[mask])
        metrics = classification_metrics(logits, data.y_eval[mask])
        out[item["name"]] = {"accuracy": round(float(metrics["accuracy"]), 4), "rows": int(mask.sum())}
    return out


def train_model(
    spec: dict[str, Any], dataset: dict[str, Any], out: Path, *, share: float = 1.0, suffix: str = ""
) -> dict[str, Any]:
    """Train ``spec`` (on the first ``share`` of the training rows in a fixed random order)."""
    import dataclasses

    import numpy as np
    import torch

    from shipyard_ml.data import load_sklearn_dataset
    from shipyard_ml.nets import recipe_config
    from shipyard_ml.recipes import call_recipe, resolve_recipe

    torch.set_num_threads(2)
    data = load_sklearn_dataset(spec["dataset"])
    if share < 1.0:
        order = np.random.default_rng(0).permutation(len(data.y_train))[: round(share * len(data.y_train))]
        data = dataclasses.replace(data, X_train=data.X_train[order], y_train=data.y_train[order])
    recipe = resolve_recipe(spec["recipe"])
    model, metrics = call_recipe(recipe, spec["config"], 0, data)
    model.eval()
    state_path = out / f"{spec['name']}{suffix}.pt"
    torch.save(model.state_dict(), state_path)
    n_features = len(dataset["features"])
    result: dict[str, Any] = {
        **spec,
        "state_dict": str(state_path),
        "metrics": {k: round(float(v), 4) for k, v in metrics.items()},
        "slice_metrics": _slice_metrics(model, data, dataset["features"], dataset["slices"]),
        "signature": {
            "inputs": [{"name": "input", "dtype": "float32", "shape": [None, n_features]}],
            "outputs": [{"name": "logits", "dtype": "float32", "shape": [None, data.n_classes]}],
            "features": dataset["features"],
        },
        "params": {"recipe": spec["recipe"], "seed": 0, **recipe_config(spec["recipe"], spec["config"])},
        "environment": {
            "python": sys.version.split()[0],
            "packages": {"torch": torch.__version__.split("+")[0]},
        },
        "onnx_path": "",
        "train_rows": len(data.y_train),
    }
    if spec.get("onnx") and share == 1.0:
        onnx_path = out / f"{spec['name']}.onnx"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                torch.onnx.export(
                    model,
                    (torch.zeros(1, n_features),),
                    str(onnx_path),
                    input_names=["input"],
                    output_names=["logits"],
                    dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                    dynamo=False,
                )
            result["onnx_path"] = str(onnx_path)
        except Exception as exc:  # export is a bonus; the state_dict version stands on its own
            result["onnx_error"] = str(exc)[:300]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shipyard_ml.registry_demo")
    parser.add_argument("out", type=Path)
    parser.add_argument("--skip-models", action="store_true")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    datasets = {name: write_dataset(name, args.out) for name in DATASETS}
    datasets["digits_recent"] = write_recent(args.out)
    models = [] if args.skip_models else [train_model(m, datasets[m["dataset"]], args.out) for m in MODELS]
    history = []
    if not args.skip_models:
        mlp = next(m for m in MODELS if m["name"] == "digits-mlp")
        for days, share in DIGITS_HISTORY:
            trained = train_model(mlp, datasets["digits"], args.out, share=share, suffix=f"-{days}d")
            history.append({**trained, "days_ago": days, "share": share})
    sys.stdout.write(json.dumps({"ok": True, "datasets": datasets, "models": models, "history": history}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
