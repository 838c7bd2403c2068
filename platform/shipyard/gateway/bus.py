"""The gateway's side of the worker protocol: pipelined pushes and one reply list read by a few
background tasks, on lean connections of their own (``resp.Link``).

Every request of one event-loop tick goes out in one pipeline (its deployment's request list
and a doorbell ring each), written without waiting for the previous pipeline's replies; a failed
push fails its callers with :class:`Unavailable`. Workers push every reply of this process onto
its one reply list (``protocol.reply_list``); the reader tasks pop them and resolve the waiting
callers' futures by message id, so a waiting request holds no connection of its own. The rest of
the gateway (routes, tokens, counters, health) uses redis-py's pool, ``Bus.redis``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from functools import partial
from typing import Any

import hiredis
import redis
import redis.asyncio as aioredis
from redis.backoff import NoBackoff
from redis.retry import Retry

from shipyard.gateway.resp import Link, RedisReplyError, connect
from shipyard.serving import protocol

logger = logging.getLogger("shipyard.gateway")

#: most replies taken from the reply list in one round trip
REPLIES_PER_POP = 512
HEARTBEAT_S = 1.0
#: reader tasks blocked on the reply list at once: while one waits for its batch, another's
#: BRPOP is already parked in Redis for the next reply
READERS = 3
CONNECT_TIMEOUT_S = 0.5
#: a connection whose oldest command has had no reply for this long is dropped (a reader's BRPOP
#: waits up to 1 s by design)
STALLED_S = 5.0

Answer = asyncio.Future[protocol.Reply | None]


class Unavailable(Exception):
    """Redis could not be reached to push a request."""


def _expire(answer: Answer) -> None:
    if not answer.done():
        answer.set_result(None)


def _fail(answers: list[Answer], message: str) -> None:
    for answer in answers:
        if not answer.done():
            answer.set_exception(Unavailable(message))


class Bus:
    def __init__(self, redis_url: str) -> None:
        self.id = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.reply_list = protocol.reply_list(self.id)
        self.url = redis_url
        self.redis: Any = aioredis.Redis.from_url(
            redis_url,
            socket_timeout=5,
            max_connections=256,
            socket_connect_timeout=CONNECT_TIMEOUT_S,
            retry=Retry(NoBackoff(), 1),
            retry_on_error=[redis.ConnectionError],
        )
        self._pending: list[tuple[str, str, Answer]] = []
        self._waiting: dict[str, Answer] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        #: the pusher's and the readers' connections, watched by the heartbeat
        self._links: dict[str, Link] = {}

    @property
    def in_flight(self) -> int:
        return len(self._waiting)

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._tasks = [
            asyncio.create_task(self._pusher(), name="gateway-pusher"),
            *(asyncio.create_task(self._reader(f"reader-{i}"), name=f"gateway-reader-{i}") for i in range(READERS)),
            asyncio.create_task(self._heartbeat(), name="gateway-heartbeat"),
        ]

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for link in self._links.values():
            link.close()
        try:
            await self.redis.delete(protocol.GATEWAY_PREFIX + self.id)
        except redis.RedisError:
            pass
        await self.redis.aclose()

    async def call(self, message: protocol.Request, *, timeout_s: float) -> protocol.Reply | None:
        """Push ``message`` and wait for its reply; None when no worker answered within
        ``timeout_s``; :class:`Unavailable` when Redis is down.

        One future per call: the pusher fails it when the push fails, a reader resolves it with
        the reply, and a timer of the loop's resolves it with None at the deadline. (No
        ``asyncio.timeout``: on Python 3.11 every ``get_running_loop`` it makes is a ``getpid``
        system call, three per call.)"""
        loop = self._loop
        if loop is None:
            raise RuntimeError("the bus is not started")
        answer: Answer = loop.create_future()
        self._waiting[message.id] = answer
        self._pending.append((message.queue, message.dumps(), answer))
        self._wake.set()
        timer = loop.call_at(loop.time() + timeout_s, _expire, answer)
        try:
            return await answer
        finally:
            timer.cancel()
            self._waiting.pop(message.id, None)

    async def _link(self, name: str) -> Link:
        link = self._links.get(name)
        if link is None or link.closed:
            link = self._links[name] = await connect(self.url, timeout_s=CONNECT_TIMEOUT_S)
        return link

    async def _pusher(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            batch, self._pending = self._pending, []
            if not batch:
                continue
            answers = [answer for _, _, answer in batch]
            commands: list[tuple[Any, ...]] = [("LPUSH", queue, payload) for queue, payload, _ in batch]
            commands.append(("LPUSH", protocol.DOORBELL, *(queue for queue, _, _ in batch[: protocol.DOORBELL_MAX])))
            commands.append(("LTRIM", protocol.DOORBELL, 0, protocol.DOORBELL_MAX - 1))
            try:
                link = await self._link("pusher")
                # not awaited: the next tick's requests go out while Redis answers this one's
                link.execute(commands).add_done_callback(partial(_pushed, answers))
            except (OSError, RedisReplyError) as exc:
                _fail(answers, str(exc))

    def _resolve(self, raw: bytes) -> None:
        try:
            reply = protocol.Reply.loads(raw)
        except (ValueError, KeyError, TypeError) as exc:
            logger.warning("dropping a malformed reply (%s)", exc.__class__.__name__)
            return
        waiting = self._waiting.get(reply.id)
        if waiting is not None and not waiting.done():
            waiting.set_result(reply)

    async def _reader(self, name: str) -> None:
        while True:
            try:
                link = await self._link(name)
                (got,) = await link.execute([("BRPOP", self.reply_list, 1)])
                if got is None:
                    continue
                _raise_error(got)
                self._resolve(got[1])
                (more,) = await link.execute([("RPOP", self.reply_list, REPLIES_PER_POP)])
                _raise_error(more)
                for raw in more or ():
                    self._resolve(raw)
            except (OSError, RedisReplyError) as exc:
                logger.warning("cannot read replies (%s); retrying", exc.__class__.__name__)
                await asyncio.sleep(0.2)

    async def _heartbeat(self) -> None:
        while True:
            for link in self._links.values():
                if link.stalled(STALLED_S):
                    logger.warning("dropping a Redis connection with no reply for %.0f s", STALLED_S)
                    link.abort()
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


def _raise_error(reply: Any) -> None:
    if isinstance(reply, hiredis.ReplyError):
        raise RedisReplyError(str(reply))


def _pushed(answers: list[Answer], done: asyncio.Future[list[Any]]) -> None:
    """A push pipeline's replies: its callers fail when it failed, else wait for their answers."""
    if done.cancelled():
        _fail(answers, "the push was cancelled")
        return
    error = done.exception()
    if error is None:
        error = next((r for r in done.result() if isinstance(r, hiredis.ReplyError)), None)
    if error is not None:
        _fail(answers, str(error))
