"""scikit-learn's bundled datasets as :class:`TrainingData`, split the same way every time."""

from __future__ import annotations

import numpy as np

from shipyard_ml.recipe_types import TrainingData

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
