"""Demo jobs for digits-classifier: the jobs that measure rubric tests, queued for the workers.

The registry's demo seed has trained and registered the digits models; this step queues a
``feature_importance`` job (data-2, data-3) on digits-cnn and a ``tune`` job (model-3) on
digits-mlp. The workers that ``shipyard_run`` starts run them, so their evidence arrives a minute
or so after start-up, measured like any other job's. Idempotent: a kind already queued or run for
the demo model is not queued again.

The configuration is the team's declaration, shown in the report and the evidence: the left and
right border columns of the 8x8 images (zero in at least 90 % of the training images) are exempt
from data-2, and every other pixel must be worth at least 0.01 accuracy points per KiB it stores
(1e-7 per byte of its measured Parquet column) for data-3.
"""

from __future__ import annotations

from typing import Any

from shipyard.jobs.models import Job, JobKind

PROJECT = "digits-classifier"
#: the left and right border columns of the 8x8 digits: zero in at least 90 % of the training images
BORDER_PIXELS = [f"pixel_{row}_{col}" for row in range(8) for col in (0, 7)]

DEMO_JOBS: list[tuple[str, str, dict[str, Any]]] = [
    (
        JobKind.FEATURE_IMPORTANCE,
        "digits-cnn",
        {"n_repeats": 30, "exempt": BORDER_PIXELS, "cost_key": "storage_bytes", "min_importance_per_cost": 1e-7},
    ),
    (JobKind.TUNE, "digits-mlp", {"n_trials": 8, "top_k": 5}),
]


def seed(ctx: Any) -> None:
    from shipyard.jobs.services import job_create
    from shipyard.registry.models import ModelVersion

    project = ctx.projects.get(PROJECT)
    if project is None or ctx.options.get("skip_heavy"):
        return
    queued = []
    for kind, model_name, params in DEMO_JOBS:
        version = (
            ModelVersion.objects.filter(model__project=project, model__name=model_name, format="state_dict")
            .order_by("number")
            .first()
        )
        if version is None or Job.objects.filter(project=project, kind=kind, model_version=version).exists():
            continue
        job = job_create(project=project, kind=kind, model_version=version, params=params, by=ctx.user)
        queued.append(f"{kind} on {model_name} v{version.number} (job {job.pk})")
    if queued:
        ctx.stdout.write("jobs: queued " + "; ".join(queued))
