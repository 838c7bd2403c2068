"""Handler of the ``fairness`` job kind: fairlearn's MetricFrame over a dataset's sensitive groups, on
the version's predictions (rubric model-7, "the model is tested for considerations of inclusion")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from shipyard.jobs.context import Context, JobFailed, Outcome, model_source
from shipyard.jobs.models import Job
from shipyard_ml.job_params import FairnessParams
from shipyard_ml.reports import FairnessJobReport, NoReport, job_report


def _fail(job: Job, message: str) -> JobFailed:
    return JobFailed(message, NoReport(kind=job.kind).to_dict())


def split_groupings(dv: Any, names: list[str], columns: list[str]) -> tuple[list[str], list[dict[str, str]]]:
    """The sensitive names as (columns, slices) of dataset version ``dv``; a ValueError naming an unknown one."""
    slices = {s["name"]: s for s in (dv.slices or [])}
    cols, slcs = [], []
    for name in names:
        if name in columns:
            cols.append(name)
        elif name in slices:
            slcs.append({"name": name, "filter": slices[name]["filter"]})
        else:
            raise ValueError(f"'{name}' is neither a column nor a slice of {dv.dataset.name} v{dv.number}")
    return cols, slcs


def _input_features(mv: Any, frame: Any, label: str, sensitive: list[str]) -> list[str]:
    """The model's input columns: its signature's names, else its training dataset's features, else the
    numeric columns that are neither the label nor a sensitive feature."""
    import pandas as pd

    names = [str(n) for n in (mv.signature or {}).get("features") or []]
    if not names and mv.training_dataset_id:
        td = mv.training_dataset
        names = [f["name"] for f in (td.schema or {}).get("features", []) if f.get("name") != td.label_column]
    if names and all(n in frame.columns for n in names):
        return names
    return [c for c in frame.columns if c != label and c not in sensitive and pd.api.types.is_numeric_dtype(frame[c])]


def run_fairness(job: Job, ctx: Context, device: str, work: Path) -> Outcome:
    import pandas as pd

    from shipyard.registry.selectors import dataset_path
    from shipyard_ml.fairness import fairness_report, groups_of
    from shipyard_ml.inference import InferenceError, load, run_batch
    from shipyard_ml.loading import encode_labels

    p = FairnessParams.model_validate(job.params)
    mv = job.model_version
    dv = job.dataset_version or mv.training_dataset
    if dv is None:
        raise _fail(
            job,
            "a fairness report needs evaluation data: pass dataset_version (the version records no training dataset)",
        )
    if not dv.label_column:
        raise _fail(job, f"dataset {dv.dataset.name} v{dv.number} has no label column")
    names = list(p.sensitive_features or dv.sensitive_features or [])
    if not names:
        raise _fail(
            job,
            f"no sensitive features: mark them on dataset {dv.dataset.name} v{dv.number} (sensitive_features) "
            "or pass params.sensitive_features",
        )
    frame = pd.read_parquet(dataset_path(dv))
    try:
        columns, slices = split_groupings(dv, names, list(frame.columns))
    except ValueError as exc:
        raise _fail(job, str(exc)) from None
    y, class_names = encode_labels(frame[dv.label_column].to_numpy())
    if job.dataset_version is None:
        # the version's own training data: judge it on the held-out quarter every job uses for evaluation
        from sklearn.model_selection import train_test_split

        counts = np.bincount(y)
        stratify = y if counts[counts > 0].min() >= 2 else None
        _, idx = train_test_split(np.arange(len(frame)), test_size=0.25, random_state=0, stratify=stratify)
        frame, y = frame.iloc[np.sort(idx)].reset_index(drop=True), y[np.sort(idx)]
    features = _input_features(mv, frame, dv.label_column, columns)
    ctx.progress(20.0, f"predicting {len(frame)} rows")
    src = model_source(job)
    try:
        model = load(Path(src.path), src.format, recipe=src.recipe, recipe_config=src.recipe_config)
        predicted = np.asarray(run_batch(model, frame[features].to_numpy(dtype=np.float32).tolist()).outputs)
    except InferenceError as exc:
        raise _fail(job, f"the version cannot run on {dv.dataset.name} v{dv.number}: {exc}") from None
    ctx.progress(70.0, "fairlearn MetricFrame over the sensitive groups")
    report = fairness_report(
        y,
        predicted.reshape(-1),
        groups_of(frame, columns=columns, slices=slices),
        class_names=class_names,
        max_accuracy_difference=p.max_accuracy_difference,
        max_demographic_parity_difference=p.max_demographic_parity_difference,
        max_equalized_odds_difference=p.max_equalized_odds_difference,
    )
    result = job_report(FairnessJobReport, report, dataset=f"{dv.dataset.name}:v{dv.number}")
    return Outcome(
        result.to_dict(), report.passed, report.summary, [("model-7", report.passed, f"fairness: {report.summary}")]
    )
