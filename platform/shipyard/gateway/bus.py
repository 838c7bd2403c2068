"""The gateway's side of the worker protocol: one Redis pool per process, pipelined pushes and
one reply list read by a few background tasks.

Every request of one event-loop tick goes out in one pipeline (its deployment's request list
and a doorbell ring each). Workers push every reply of this process onto its one reply list
(``protocol.reply_list``); the reader tasks pop them and resolve the waiting callers' futures by
message id, so a waiting request holds no connection of its own.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from typing import Any

import redis
import redis.asyncio as aioredis
from redis.backoff import NoBackoff
from redis.retry import Retry

from shipyard.serving import protocol

logger = logging.getLogger("shipyard.gateway")

#: most replies taken from the reply list in one round trip
REPLIES_PER_POP = 512
HEARTBEAT_S = 1.0
#: reader tasks blocked on the reply list at once: while one waits for its batch, another's
#: BRPOP is already parked in Redis for the next reply
READERS = 3


class Unavailable(Exception):
    """Redis could not be reached to push a request."""


class Bus:
    def __init__(self, redis_url: str) -> None:
        self.id = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.reply_list = protocol.reply_list(self.id)
        common: dict[str, Any] = {
            "socket_connect_timeout": 0.5,
            "retry": Retry(NoBackoff(), 1),
            "retry_on_error": [redis.ConnectionError],
        }
        self.redis: Any = aioredis.Redis.from_url(redis_url, socket_timeout=5, max_connections=256, **common)
        # each reader blocks up to a second at a time on a connection of its own
        self._reader_redis: Any = aioredis.Redis.from_url(
            redis_url, socket_timeout=5, max_connections=READERS + 1, **common
        )
        self._pending: list[tuple[str, str, asyncio.Future[None]]] = []
        self._waiting: dict[str, asyncio.Future[protocol.Reply]] = {}
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def in_flight(self) -> int:
        return len(self._waiting)

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._pusher(), name="gateway-pusher"),
            *(asyncio.create_task(self._reader(), name=f"gateway-reader-{i}") for i in range(READERS)),
            asyncio.create_task(self._heartbeat(), name="gateway-heartbeat"),
        ]

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        try:
            await self.redis.delete(protocol.GATEWAY_PREFIX + self.id)
        except redis.RedisError:
            pass
        await self.redis.aclose()
        await self._reader_redis.aclose()

    async def call(self, message: protocol.Request, *, timeout_s: float) -> protocol.Reply | None:
        """Push ``message`` and wait for its reply; None when no worker answered within
        ``timeout_s``; :class:`Unavailable` when Redis is down."""
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[protocol.Reply] = loop.create_future()
        pushed: asyncio.Future[None] = loop.create_future()
        self._waiting[message.id] = answer
        self._pending.append((message.queue, message.dumps(), pushed))
        self._wake.set()
        try:
            async with asyncio.timeout(timeout_s):
                await pushed
                return await answer
        except TimeoutError:
            return None
        finally:
            self._waiting.pop(message.id, None)

    async def _pusher(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            batch, self._pending = self._pending, []
            if not batch:
                continue
            pipe = self.redis.pipeline(transaction=False)
            for queue, payload, _ in batch:
                pipe.lpush(queue, payload)
            pipe.lpush(protocol.DOORBELL, *(queue for queue, _, _ in batch[: protocol.DOORBELL_MAX]))
            pipe.ltrim(protocol.DOORBELL, 0, protocol.DOORBELL_MAX - 1)
            try:
                await pipe.execute()
            except (redis.RedisError, OSError) as exc:
                for _, _, pushed in batch:
                    if not pushed.done():
                        pushed.set_exception(Unavailable(str(exc)))
                continue
            for _, _, pushed in batch:
                if not pushed.done():
                    pushed.set_result(None)

    def _resolve(self, raw: bytes) -> None:
        try:
            reply = protocol.Reply.loads(raw)
        except (ValueError, KeyError, TypeError) as exc:
            logger.warning("dropping a malformed reply (%s)", exc.__class__.__name__)
            return
        waiting = self._waiting.get(reply.id)
        if waiting is not None and not waiting.done():
            waiting.set_result(reply)

    async def _reader(self) -> None:
        r = self._reader_redis
        while True:
            try:
                got = await r.brpop([self.reply_list], timeout=1)
                if got is None:
                    continue
                self._resolve(got[1])
                more = await r.rpop(self.reply_list, REPLIES_PER_POP)
                for raw in more or ():
                    self._resolve(raw)
            except (redis.RedisError, OSError) as exc:
                logger.warning("cannot read replies (%s); retrying", exc.__class__.__name__)
                await asyncio.sleep(0.2)

    async def _heartbeat(self) -> None:
        while True:
            try:
                await self.redis.set(protocol.GATEWAY_PREFIX + self.id, str(os.getpid()), ex=3)
            except (redis.RedisError, OSError):
                pass
            await asyncio.sleep(HEARTBEAT_S)

    async def ping(self) -> bool:
        try:
            return bool(await self.redis.ping())
        except (redis.RedisError, OSError):
            return False
