"""Each Celery queue has its own exchange: a message reaches exactly the queue it was sent to."""

from __future__ import annotations

from typing import Any

from shipyard.config.celery import app


def _queue_for(task_name: str, **options: Any) -> str:
    route = app.amqp.router.route(options, task_name, args=(), kwargs={})
    return str(route["queue"].name)


def test_queues_have_distinct_exchanges_and_routing_keys() -> None:
    from django.conf import settings

    queues = {q.name: q for q in app.conf.task_queues}
    assert tuple(queues) == settings.CELERY_QUEUES == ("cpu", "gpu", "monitoring")
    assert len({q.exchange.name for q in queues.values()}) == 3
    assert all(q.routing_key == name for name, q in queues.items())


def test_routes() -> None:
    assert _queue_for("jobs.run") == "cpu"
    assert _queue_for("jobs.run", queue="gpu") == "gpu"
    assert _queue_for("monitoring.run_all") == "monitoring"
    assert _queue_for("serving.drain") == "monitoring"
    assert _queue_for("ci.process_delivery") == "cpu"
    assert _queue_for("releases.advance") == "monitoring"
    assert _queue_for("releases.follow") == "monitoring"


def test_each_exchange_binds_only_its_own_queue(redis_client: Any) -> None:
    """The bug this guards against: every queue bound to one exchange, each message copied to all."""
    from shipyard.core.tasks import smoke

    with app.connection_for_write() as conn:
        for name in ("cpu", "gpu", "monitoring"):
            smoke.apply_async(args=["routing"], queue=name, connection=conn)
    for name in ("cpu", "gpu", "monitoring"):
        bindings = redis_client.smembers(f"_kombu.binding.shipyard.{name}")
        queues = {member.decode().split("\x06\x16")[-1] for member in bindings}
        assert queues == {name}, (name, bindings)
