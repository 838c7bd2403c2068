"""Demo for explanations, replays and fairness on digits-classifier (idempotent).

Before the traffic is simulated, the digits training dataset marks its ``faint-centre`` slice
(``pixel_3_3 < 8``) as a sensitive grouping: a SYNTHETIC stand-in for a group of writers, derived
from the image itself (the digits data records nothing about the people who wrote them), so the
fairness monitor judges the labelled feedback by it. After the traffic, an explanation of a logged
prediction, a replay of logged requests on the version live before (trained two weeks earlier) and
a fairness job are queued; the workers that ``make up`` starts run them and record the infra-5 and model-7 evidence.
"""

from __future__ import annotations

from typing import Any

#: the synthetic sensitive grouping of the digits demo
DIGITS_SENSITIVE = ["faint-centre"]
#: the grouping is defined by the image, so the digits' base rates differ between its groups by
#: construction and demographic parity says nothing about the model: the demo judges accuracy and
#: equalized odds (the default thresholds) and reports demographic parity without a limit
DIGITS_THRESHOLDS = {"max_demographic_parity_difference": 1.0}


def _deployment(ctx: Any) -> Any:
    from shipyard.serving.models import Deployment

    project = ctx.projects.get("digits-classifier")
    if project is None:
        return None
    return (
        Deployment.objects.select_related("project", "model", "live_version__training_dataset__dataset")
        .filter(project=project, name="digits")
        .first()
    )


def prepare(ctx: Any) -> None:
    """Mark the synthetic sensitive grouping on the live version's training dataset."""
    from shipyard.core.errors import DomainError
    from shipyard.registry.datasets import dataset_version_sensitive_set

    d = _deployment(ctx)
    dv = d.live_version.training_dataset if d is not None else None
    if dv is None or dv.sensitive_features:
        return
    try:
        dataset_version_sensitive_set(version=dv, names=DIGITS_SENSITIVE)
    except DomainError as exc:
        ctx.stdout.write(f"fairness demo: skipped ({exc.message})")
        return
    _fairness_thresholds(d.project)
    ctx.stdout.write(f"fairness demo: {dv.dataset.name} v{dv.number} marks {DIGITS_SENSITIVE} as sensitive (synthetic)")


def _fairness_thresholds(project: Any) -> None:
    """The demo's fairness thresholds on every digits deployment (each has its own monitor)."""
    from shipyard.monitoring.models import MonitorConfig
    from shipyard.monitoring.reference import config_for
    from shipyard.serving.models import Deployment

    for deployment in Deployment.objects.filter(project=project):
        MonitorConfig.objects.filter(pk=config_for(deployment).pk).update(
            fairness_max_demographic_parity_difference=DIGITS_THRESHOLDS["max_demographic_parity_difference"]
        )


def seed(ctx: Any) -> None:
    """Queue an explanation, a replay and a fairness job for the digits deployment (once)."""
    from shipyard.jobs.models import Job, JobKind
    from shipyard.jobs.services import job_create
    from shipyard.serving import debugging
    from shipyard.serving.models import PredictionLog
    from shipyard.serving.selectors import version_route

    d = _deployment(ctx)
    if d is None:
        return
    _fairness_thresholds(d.project)
    if Job.objects.filter(project=d.project, kind=JobKind.EXPLAIN).exists():
        return
    version = d.live_version
    # the oldest logged requests: the simulated traffic drifts later on (off the training distribution)
    logs = list(PredictionLog.objects.filter(deployment_id=d.pk, version_id=version.pk, status="ok").order_by("id")[:5])
    if not logs:
        ctx.stdout.write("debugging demo: skipped (no logged predictions)")
        return
    debugging.explanation_start(
        deployment=d,
        version=version,
        route=version_route(version),
        inputs=debugging.row_of(logs[0]),
        request_id=logs[0].request_id,
        by=ctx.user,
    )
    # would the version live before this one have answered the same? (not the live one's own source
    # file, nor an ensemble of versions)
    other = (
        d.model.versions.filter(number__lt=version.number).exclude(pk=version.parent_id).exclude(format="ensemble")
        .order_by("-number").first() or version
    )  # fmt: skip
    debugging.replay_start(deployment=d, request_ids=[log.request_id for log in logs], version=other, by=ctx.user)
    job_create(project=d.project, kind=JobKind.FAIRNESS, model_version=version, params=DIGITS_THRESHOLDS, by=ctx.user)
    ctx.stdout.write(
        f"debugging demo: queued an explanation of {logs[0].request_id}, a replay of {len(logs)} requests on "
        f"v{other.number} and a fairness job on {d.project.slug}/{d.name}"
    )
