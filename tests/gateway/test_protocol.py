"""The per-deployment request lists: fair takes, requeueing into each request's own list."""

from __future__ import annotations

from typing import Any

from shipyard.serving import protocol
from shipyard.serving.worker import ServingWorker


def _url(client: Any) -> str:
    kw = client.connection_pool.connection_kwargs
    return f"redis://{kw['host']}:{kw['port']}/{kw['db']}"


def _message(i: int, deployment: int) -> str:
    return protocol.Request(
        id=f"{deployment}-{i}",
        version_key="1:x",
        artifact_key="k",
        format="onnx",
        rows=[[1]],
        reply=protocol.reply_key("t"),
        deadline=9e9,
        max_batch=4,
        max_delay_ms=0,
        queue=protocol.queue_key(deployment),
    ).dumps()


def test_a_worker_takes_from_each_deployment_in_turn(redis_client: Any) -> None:
    worker = ServingWorker(redis_url=_url(redis_client))
    for deployment in (1, 2):
        redis_client.sadd(protocol.QUEUES, protocol.queue_key(deployment))
    redis_client.lpush(protocol.queue_key(1), *[_message(i, 1) for i in range(20)])
    redis_client.lpush(protocol.queue_key(2), *[_message(i, 2) for i in range(2)])
    worker.refresh_queues()
    taken = []
    for _ in range(4):
        items = worker.collect()
        taken.append({protocol.Request.loads(m).id.split("-")[0] for m in items})
        redis_client.delete(worker.processing)
    # deployment 2's requests go in the second batch, not after deployment 1's backlog
    assert taken[:2] == [{"1"}, {"2"}] or taken[:2] == [{"2"}, {"1"}], taken
    assert all(len(t) == 1 for t in taken)


def test_a_dead_workers_requests_go_back_to_their_own_lists(redis_client: Any) -> None:
    dead = "dead-worker"
    a, b, legacy = _message(0, 7), _message(0, 8), _message(0, 9).replace(f'"q":"{protocol.queue_key(9)}"', '"q":"x"')
    redis_client.lpush(protocol.processing_key(dead), a, b, legacy)
    redis_client.sadd(protocol.WORKERS, dead)
    live = ServingWorker(redis_url=_url(redis_client))
    live.heartbeat()
    assert live.reap() == 3
    assert redis_client.lrange(protocol.queue_key(7), 0, -1) == [a.encode()]
    assert redis_client.lrange(protocol.queue_key(8), 0, -1) == [b.encode()]
    # a message naming no request list of ours goes to the shared list
    assert redis_client.lrange(protocol.QUEUE, 0, -1) == [legacy.encode()]
    assert redis_client.llen(protocol.DOORBELL) == 3
    assert not redis_client.exists(protocol.processing_key(dead))
