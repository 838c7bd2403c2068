"""The gateway's bus and its lean Redis connection (``gateway.bus``, ``gateway.resp``) against the
real test Redis: pipelined commands, error replies, a lost or stalled connection, the URL's
database and password, and a whole call (push, a worker's reply, the deadline, Redis down)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import hiredis
import pytest
import redis

from shipyard.gateway.bus import Bus, Unavailable
from shipyard.gateway.resp import RedisReplyError, connect
from shipyard.serving import protocol
from tests.serving.conftest import free_port

T = TypeVar("T")


def run(make: Callable[[], Awaitable[T]]) -> T:
    # a thread of its own: a browser test may leave an event loop running in the main thread
    async def main() -> T:
        return await make()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, main()).result()


def with_db(url: str, db: int) -> str:
    return url.rsplit("/", 1)[0] + f"/{db}"


def test_a_pipeline_answers_in_order_with_error_replies_in_place(settings: Any, redis_client: Any) -> None:
    redis_client.set("bus-test:string", "x")

    async def scenario() -> list[Any]:
        link = await connect(settings.REDIS_URL, timeout_s=1)
        try:
            return await link.execute(
                [
                    ("LPUSH", "bus-test:list", b"a", "b"),
                    ("LPUSH", "bus-test:string", "nope"),  # WRONGTYPE
                    ("LRANGE", "bus-test:list", 0, -1),
                    ("GET", "bus-test:missing"),
                ]
            )
        finally:
            link.close()

    pushed, wrong, listed, missing = run(scenario)
    assert pushed == 2
    assert isinstance(wrong, hiredis.ReplyError) and "WRONGTYPE" in str(wrong)
    assert listed == [b"b", b"a"]
    assert missing is None


def test_the_urls_database_and_password_are_used(settings: Any, redis_client: Any) -> None:
    current = int(settings.REDIS_URL.rsplit("/", 1)[1] or 0)
    other = 11 if current != 11 else 12
    elsewhere = redis.Redis.from_url(with_db(settings.REDIS_URL, other))
    elsewhere.delete("bus-test:db")

    async def write_there() -> None:
        link = await connect(with_db(settings.REDIS_URL, other), timeout_s=1)
        await link.execute([("SET", "bus-test:db", "here")])
        link.close()

    try:
        run(write_there)
        assert elsewhere.get("bus-test:db") == b"here"
        assert redis_client.get("bus-test:db") is None
    finally:
        elsewhere.delete("bus-test:db")
    # a password is sent (this Redis has none configured, so it says so)
    host = settings.REDIS_URL.split("://", 1)[1]
    with pytest.raises(RedisReplyError):
        run(lambda: connect(f"redis://:secret@{host}", timeout_s=1))


def test_a_lost_connection_fails_what_waits_and_a_stalled_one_is_found(settings: Any, redis_client: Any) -> None:
    async def scenario() -> tuple[bool, bool, str]:
        link = await connect(settings.REDIS_URL, timeout_s=1)
        (client_id,) = await link.execute([("CLIENT", "ID")])
        waiting = link.execute([("BLPOP", "bus-test:never", 5)])
        await asyncio.sleep(0.2)
        stalled = link.stalled(0.1), link.stalled(30)
        await asyncio.to_thread(redis_client.client_kill_filter, _id=client_id)
        try:
            await asyncio.wait_for(waiting, 2)
        except ConnectionError as exc:
            error = str(exc)
        else:
            error = ""
        assert link.closed
        with pytest.raises(ConnectionError):
            link.execute([("PING",)])
        return *stalled, error

    stalled_short, stalled_long, error = run(scenario)
    assert stalled_short and not stalled_long
    assert "lost" in error


def message(queue: str, reply: str, n: int = 0) -> protocol.Request:
    return protocol.Request(
        id=f"bus-test-{n}",
        version_key="1:abc",
        artifact_key="a",
        format="onnx",
        rows=[[1.0, 2.0]],
        reply=reply,
        deadline=time.time() + 5,
        queue=queue,
    )


def test_a_call_is_pushed_and_answered_by_a_worker(settings: Any, redis_client: Any) -> None:
    queue = protocol.queue_key(987654)

    def fake_worker(stop: threading.Event) -> None:
        while not stop.is_set():
            got = redis_client.brpop([queue], timeout=0.2)
            if got is not None:
                req = protocol.Request.loads(got[1])
                redis_client.lpush(req.reply, protocol.ok_reply([7], None, None, "w", req.id))

    async def scenario() -> tuple[list[Any], float, int]:
        bus = Bus(settings.REDIS_URL)
        bus.start()
        stop = threading.Event()
        worker = threading.Thread(target=fake_worker, args=(stop,))
        worker.start()
        try:
            replies = await asyncio.gather(
                *(bus.call(message(queue, bus.reply_list, n), timeout_s=5) for n in range(20))
            )
            outputs = [r.outputs if r is not None else None for r in replies]
            # no worker: None at the deadline, and nothing left waiting
            stop.set()
            await asyncio.to_thread(worker.join)
            started = time.monotonic()
            late = await bus.call(message(queue, bus.reply_list, 99), timeout_s=0.3)
            assert late is None
            return outputs, time.monotonic() - started, bus.in_flight
        finally:
            stop.set()
            await bus.close()

    outputs, waited, in_flight = run(scenario)
    assert outputs == [[7]] * 20
    assert 0.25 < waited < 2
    assert in_flight == 0
    assert redis_client.lrange(protocol.DOORBELL, 0, -1)  # the workers' doorbell rang


def test_a_push_to_a_redis_that_is_down_fails_fast(settings: Any) -> None:
    async def scenario() -> float:
        bus = Bus(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
        bus.start()
        started = time.monotonic()
        try:
            with pytest.raises(Unavailable):
                await bus.call(message(protocol.queue_key(1), bus.reply_list), timeout_s=10)
            return time.monotonic() - started
        finally:
            await bus.close()

    assert run(scenario) < 2
