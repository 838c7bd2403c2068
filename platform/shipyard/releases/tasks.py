"""Push rollouts move forward on the events that concern them (a finished evaluation, a deployment
change) and, as a safety net, on a sweep every few seconds. Thin adapters over services; they run on
the `monitoring` queue (config/celery.py routes `releases.*`)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="releases.advance", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def advance(push_id: int) -> str:
    from shipyard.releases.services import push_advance

    push = push_advance(push_id=push_id)
    return push.status if push is not None else "missing"


@shared_task(name="releases.follow", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def follow() -> int:
    """Advance every push that has not reached its outcome (events missed while a worker was down)."""
    from shipyard.releases.services import push_advance, pushes_pending

    pending = pushes_pending()
    for pk in pending:
        push_advance(push_id=pk)
    return len(pending)
