"""A lean Redis connection for the gateway's hot path: the pushes of requests and the reads of replies.

redis-py's asyncio client pays, per command, for a pool checkout under an ``asyncio.Lock``, a
check for stale data, and an ``asyncio.timeout`` around every read (on Python 3.11 each of
those asks ``getpid`` of the kernel): a quarter of the gateway's CPU under load went to it.
:class:`Link` is one connection as an ``asyncio.Protocol``: commands are written pipelined, and
hiredis parses the replies in ``data_received``, which hands each pipeline's replies to its future
in order. A stalled connection is found by :meth:`Link.stalled` (the caller's heartbeat) and
aborted, which fails every waiting pipeline with ``ConnectionError``.

The URL is read as redis-py reads it (``redis://``, ``rediss://`` with its ``ssl_*`` options,
``unix://``; user, password and database), so the gateway takes the same ``REDIS_URL`` as
everything else.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections import deque
from typing import Any

import hiredis
from redis.asyncio.connection import SSLConnection, parse_url

Command = tuple[Any, ...]


class RedisReplyError(Exception):
    """Redis answered a command with an error."""


class _Pipeline:
    __slots__ = ("future", "remaining", "replies", "sent")

    def __init__(self, future: asyncio.Future[list[Any]], count: int) -> None:
        self.future = future
        self.remaining = count
        self.replies: list[Any] = []
        self.sent = time.monotonic()


class Link(asyncio.Protocol):
    """One Redis connection; :meth:`execute` pipelines commands and returns their replies' future."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._parser = hiredis.Reader()
        self._waiting: deque[_Pipeline] = deque()
        self._transport: asyncio.Transport | None = None
        self.closed = False

    # -- asyncio.Protocol ------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self._parser.feed(data)
        waiting = self._waiting
        while True:
            reply = self._parser.gets()
            if reply is False:
                return
            if not waiting:  # a reply nobody asked for: the stream is out of step
                self.abort()
                return
            pipeline = waiting[0]
            pipeline.replies.append(reply)
            pipeline.remaining -= 1
            if pipeline.remaining == 0:
                waiting.popleft()
                if not pipeline.future.done():
                    pipeline.future.set_result(pipeline.replies)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        error = ConnectionError(f"the Redis connection was lost ({exc or 'closed'})")
        while self._waiting:
            future = self._waiting.popleft().future
            if not future.done():
                future.set_exception(error)

    # -- commands --------------------------------------------------------------------------------
    def execute(self, commands: list[Command]) -> asyncio.Future[list[Any]]:
        """Send ``commands`` in one write; the future gets their replies in order (an error reply
        is a :class:`hiredis.ReplyError` in the list) or ``ConnectionError``."""
        if self.closed or self._transport is None:
            raise ConnectionError("the Redis connection is closed")
        future: asyncio.Future[list[Any]] = self._loop.create_future()
        self._waiting.append(_Pipeline(future, len(commands)))
        self._transport.write(b"".join([hiredis.pack_command(c) for c in commands]))
        return future

    def stalled(self, after_s: float) -> bool:
        """Whether the oldest pipeline has waited longer than ``after_s`` for its replies."""
        return bool(self._waiting) and time.monotonic() - self._waiting[0].sent > after_s

    def abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()  # connection_lost fails what is waiting
        self.closed = True

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
        self.closed = True


def _ssl_context(params: dict[str, Any]) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=params.get("ssl_ca_certs"))
    if params.get("ssl_certfile"):
        context.load_cert_chain(params["ssl_certfile"], params.get("ssl_keyfile"))
    if str(params.get("ssl_cert_reqs", "required")).lower() in {"none", "cert_none"}:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


async def connect(url: str, *, timeout_s: float) -> Link:
    """A :class:`Link` to the Redis at ``url``, authenticated and on the URL's database."""
    params: dict[str, Any] = dict(parse_url(url))
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(timeout_s):
        if "path" in params:
            _, link = await loop.create_unix_connection(lambda: Link(loop), params["path"])
        else:
            tls = _ssl_context(params) if params.get("connection_class") is SSLConnection else None
            _, link = await loop.create_connection(
                lambda: Link(loop), params.get("host", "localhost"), params.get("port", 6379), ssl=tls
            )
        setup: list[Command] = []
        if params.get("password"):
            username = params.get("username")
            setup.append(("AUTH", username, params["password"]) if username else ("AUTH", params["password"]))
        if params.get("db"):
            setup.append(("SELECT", params["db"]))
        if setup:
            for reply in await link.execute(setup):
                if isinstance(reply, hiredis.ReplyError):
                    link.close()
                    raise RedisReplyError(str(reply))
    return link
