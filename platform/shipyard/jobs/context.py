"""What every job kind's handler shares: the progress context, the verdict types, the inputs a job
reads (its model version, its data) and the registration of the versions it produces."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shipyard.jobs import services
from shipyard.jobs.models import Job
from shipyard_ml.reports import VersionRef

PROGRESS_EVERY_S = 0.5
DIGITS_RECIPES = ("digits_mlp", "digits_cnn", "digits_compact")


class JobFailed(Exception):
    """The job ran and its verdict is a failure (a gate, a failed check); result holds the report."""

    def __init__(self, message: str, result: dict[str, Any]) -> None:
        super().__init__(message)
        self.result = result


@dataclass
class Outcome:
    result: dict[str, Any]
    passed: bool
    message: str
    evidence: list[tuple[str, bool, str]] = field(default_factory=list)
    #: what the evidence shows beside its title (the measured data behind the verdict)
    evidence_detail: dict[str, Any] = field(default_factory=dict)


class Context:
    """progress/should_stop callbacks for shipyard_ml functions, throttled to a DB write every 0.5 s."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self._last_write = 0.0
        self._last_check = time.monotonic()
        self._cancel = False

    def progress(self, percent: float, message: str) -> None:
        now = time.monotonic()
        if now - self._last_write < PROGRESS_EVERY_S and percent < 100.0:
            return
        self._last_write = self._last_check = now
        self._cancel = services.job_progress(job_id=self.job_id, percent=percent, message=message) or self._cancel

    def should_stop(self) -> bool:
        now = time.monotonic()
        if not self._cancel and now - self._last_check >= PROGRESS_EVERY_S:
            self._last_check = now
            self._cancel = services.cancel_requested(job_id=self.job_id)
        return self._cancel

    def stage(self, lo: float, hi: float, label: str = "") -> Callable[[float, str], None]:
        return lambda p, m: self.progress(lo + (hi - lo) * p / 100.0, f"{label}{m}")

    def log(self, line: str) -> None:
        services.job_log(job_id=self.job_id, line=line)


# --------------------------------------------------------------------------- inputs


def model_source(job: Job) -> Any:
    from shipyard.registry.selectors import artifact_path
    from shipyard_ml.loading import ModelSource

    mv = job.model_version
    return ModelSource(
        path=str(artifact_path(mv)), format=mv.format, recipe=mv.recipe, recipe_config=dict(mv.recipe_config or {})
    )


def training_data(job: Job, *, split: bool) -> Any:
    """The job's dataset version, else the version's training dataset, else the bundled dataset its recipe trains on."""
    from shipyard.registry.selectors import dataset_path
    from shipyard_ml.data import load_sklearn_dataset
    from shipyard_ml.loading import training_data_from_parquet

    dv = job.dataset_version or job.model_version.training_dataset
    if dv is not None:
        return training_data_from_parquet(
            str(dataset_path(dv)),
            dv.label_column,
            list(dv.slices or []),
            split=split,
            name=f"{dv.dataset.name}:v{dv.number}",
        )
    mv = job.model_version
    bundled = (mv.tags or {}).get("sklearn_dataset") or (mv.params or {}).get("sklearn_dataset")
    if not bundled and mv.recipe in DIGITS_RECIPES:
        bundled = "digits"
    if not bundled:
        raise ValueError("this job needs data: pass dataset_version (the version records no training dataset)")
    return load_sklearn_dataset(str(bundled))


def register(job: Job, ctx: Context, path: Path, *, output: str, fmt: str, model_name: str = "", **fields: Any) -> Any:
    from shipyard.registry.versions import model_version_create

    mv = job.model_version
    version = model_version_create(
        project=job.project,
        model_name=model_name or mv.model.name,
        artifact_file_or_path=path,
        format=fmt,
        parent=mv,
        produced_by_job_id=job.pk,
        idempotency_key=f"job:{job.pk}:{output}",
        # a derived version (export, compression) serves the same features as its parent
        training_dataset=mv.training_dataset,
        git_commit=mv.git_commit,
        by=job.created_by,
        **fields,
    )
    services.job_add_produced(job_id=job.pk, version_id=version.pk)
    ctx.log(f"registered {version.model.name} v{version.number} ({fmt}, {version.artifact_size} bytes)")
    return version


def version_ref(v: Any) -> VersionRef:
    return VersionRef(id=v.pk, model=v.model.name, number=v.number, format=v.format, size_bytes=v.artifact_size)
