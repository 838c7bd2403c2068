"""How releases hear from the jobs and serving apps (which sit below it and never import it): each
event that may move a push's rollout enqueues ``releases.advance`` for the pushes it concerns."""

from __future__ import annotations

from typing import Any


def on_job_finished(*, sender: Any, job_id: int, status: str, **_: Any) -> None:
    from shipyard.releases.models import Push, PushStatus
    from shipyard.releases.tasks import advance

    for pk in Push.objects.filter(evaluate_job_id=job_id, status=PushStatus.EVALUATING).values_list("pk", flat=True):
        advance.delay(pk)


def on_deployment_changed(*, sender: Any, deployment_id: int, kind: str, version_id: int | None, **_: Any) -> None:
    from shipyard.releases.models import Push, PushStatus
    from shipyard.releases.tasks import advance

    pending = Push.objects.filter(deployment_id=deployment_id, status=PushStatus.CANARY)
    for pk in pending.values_list("pk", flat=True):
        advance.delay(pk)


def connect() -> None:
    from shipyard.jobs.signals import job_finished
    from shipyard.serving.signals import deployment_changed

    job_finished.connect(on_job_finished, dispatch_uid="releases.job_finished")
    deployment_changed.connect(on_deployment_changed, dispatch_uid="releases.deployment_changed")
