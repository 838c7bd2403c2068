"""How releases hear from the jobs and serving apps (which sit below it and never import it): each
event that may move a push's rollout enqueues ``releases.advance`` for the pushes it concerns."""

from __future__ import annotations

import logging
from typing import Any

import redis
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


def _advance_later(push_ids: list[int]) -> None:
    """Enqueue ``releases.advance`` for each push. The change that triggered it has committed: a broker
    outage must not turn it into an error; the ``releases.follow`` sweep moves the pushes on later."""
    from shipyard.releases.tasks import advance

    for pk in push_ids:
        try:
            advance.delay(pk)
        except (OperationalError, redis.RedisError) as exc:
            logger.warning("push %s: cannot enqueue its next step (the sweep will): %s", pk, exc)
            return


def on_job_finished(*, sender: Any, job_id: int, status: str, **_: Any) -> None:
    from shipyard.releases.models import Push, PushStatus

    pending = Push.objects.filter(evaluate_job_id=job_id, status=PushStatus.EVALUATING)
    _advance_later(list(pending.values_list("pk", flat=True)))


def on_deployment_changed(*, sender: Any, deployment_id: int, kind: str, version_id: int | None, **_: Any) -> None:
    from shipyard.releases.models import Push, PushStatus

    pending = Push.objects.filter(deployment_id=deployment_id, status=PushStatus.CANARY)
    _advance_later(list(pending.values_list("pk", flat=True)))


def connect() -> None:
    from shipyard.jobs.signals import job_finished
    from shipyard.serving.signals import deployment_changed

    job_finished.connect(on_job_finished, dispatch_uid="releases.job_finished")
    deployment_changed.connect(on_deployment_changed, dispatch_uid="releases.deployment_changed")
