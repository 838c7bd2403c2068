"""The gateway's ASGI app: ``POST /serve/<project>/<deployment>/predict`` with the contract of
the web process's predict view (``serving.gateway``), the Open Inference Protocol under ``/v2``
(``oip_rest``), ``GET /healthz`` and ``GET /metrics``.

A raw ASGI callable, no framework: the predict path parses the request line and headers that
uvicorn (httptools) hands over, checks the caller (``X-Api-Key`` or ``Authorization: Token``;
the browser's session belongs to the web process), reads the body up to
``SERVING_MAX_BODY_BYTES`` (a JSON 413 beyond it) and answers with orjson.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from shipyard.core.gc_tuning import tune_for_serving
from shipyard.gateway import core, metrics, oip_rest
from shipyard.gateway.config import config
from shipyard.serving.validation import InputError, predict_request

logger = logging.getLogger("shipyard.gateway")

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]

_JSON: Headers = [(b"content-type", b"application/json")]


class TooLarge(Exception):
    pass


def error_body(code: str, message: str, field: str | None = None) -> bytes:
    """The platform's error envelope: ``{"error": {"code", "message", "fields"}}``."""
    error: dict[str, Any] = {"code": code, "message": message}
    if field:
        error["fields"] = {field: [message]}
    return orjson.dumps({"error": error})


async def _respond(send: Send, status: int, body: bytes, headers: Headers | None = None) -> None:
    # an explicit length: without it the server sends the body chunked, which costs both ends
    out = [*(headers or _JSON)]
    if not any(name == b"content-length" for name, _ in out):
        out.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": out})
    await send({"type": "http.response.body", "body": body})


async def _error(send: Send, exc: core.GatewayError, extra: Headers | None = None) -> None:
    headers = [*_JSON, *(extra or [])]
    if exc.retry_after is not None:
        headers.append((b"retry-after", str(exc.retry_after).encode()))
    await _respond(send, exc.status, error_body(exc.code, exc.message, exc.field), headers)


async def read_body(receive: Receive, *, limit: int) -> bytes:
    """The whole request body; :class:`TooLarge` beyond ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise TooLarge
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


def credentials(headers: dict[str, str]) -> core.Credentials:
    api_key = headers.get("x-api-key") or None
    authorization = headers.get("authorization", "")
    token = authorization[6:].strip() if authorization.startswith("Token ") else None
    return core.Credentials(api_key=api_key, token=token)


def _too_large() -> core.GatewayError:
    limit = config().max_body_bytes
    return core.GatewayError(413, "too_large", f"The request body is larger than {limit} bytes.")


def _declared_length(headers: dict[str, str]) -> int:
    try:
        return int(headers.get("content-length") or 0)
    except ValueError:
        return 0


async def predict(scope: Scope, receive: Receive, send: Send, project: str, deployment: str) -> int:
    if scope["method"] != "POST":
        await _error(send, core.GatewayError(405, "method_not_allowed", "Use POST."), [(b"allow", b"POST")])
        return 405
    headers = _headers(scope)
    limit = config().max_body_bytes
    try:
        if _declared_length(headers) > limit:
            raise _too_large()
        caller = await core.authorize(project=project, deployment=deployment, credentials=credentials(headers))
        try:
            raw = await read_body(receive, limit=limit)
        except TooLarge:
            raise _too_large() from None
        try:
            parsed = predict_request(raw, header_routing_key=headers.get("x-routing-key"))
        except InputError as exc:
            raise core.GatewayError(400, "invalid", exc.message, exc.field) from None
        result = await core.predict(
            route=caller.route, inputs=parsed.inputs, routing_key=parsed.routing_key, members=parsed.members
        )
    except core.GatewayError as exc:
        await _error(send, exc)
        return exc.status
    await _respond(send, 200, orjson.dumps(core.result_body(result)))
    return 200


def _split_predict(path: str) -> tuple[str, str] | None:
    """(project, deployment) of ``/serve/<project>/<deployment>/predict``, else None."""
    parts = path.split("/")
    if len(parts) == 5 and parts[0] == "" and parts[1] == "serve" and parts[4] == "predict" and parts[2] and parts[3]:
        return parts[2], parts[3]
    return None


async def oip(scope: Scope, receive: Receive, send: Send, infer_model: str | None) -> int:
    """A ``/v2`` request; ``infer_model``: the model of a ``POST /v2/models/<model>/infer``, which
    goes straight to the infer endpoint (the common path, without the generic routing)."""
    try:
        body = await read_body(receive, limit=config().max_body_bytes)
    except TooLarge:
        await _respond(send, 413, orjson.dumps({"error": str(_too_large().message)}))
        return 413
    if infer_model is not None and scope["method"] == "POST":
        status, headers, payload = await oip_rest.infer(infer_model, None, _headers(scope), body)
    else:
        status, headers, payload = await oip_rest.handle(scope["method"], scope["path"], _headers(scope), body)
    await _respond(send, status, payload, headers)
    return int(status)


async def healthz(send: Send) -> int:
    rt = core.runtime()
    ok = await rt.bus.ping()
    body = {"status": "ok" if ok else "unavailable", "redis": ok, "gateway": rt.bus.id, "in_flight": rt.bus.in_flight}
    status = 200 if ok else 503
    await _respond(send, status, orjson.dumps(body))
    return status


async def lifespan(receive: Receive, send: Send, state: dict[str, Any]) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            try:
                cfg = config()
                await core.start(cfg)
                if cfg.grpc_port:
                    from shipyard.gateway import grpc_server  # grpc only where it is served

                    state["grpc"] = await grpc_server.serve(cfg.grpc_port)
            except Exception as exc:  # the server must not start half-configured
                logger.exception("gateway start-up failed")
                await send({"type": "lifespan.startup.failed", "message": str(exc)})
                return
            tune_for_serving()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if state.get("grpc") is not None:
                await state["grpc"].stop(grace=2)
            await core.stop()
            await send({"type": "lifespan.shutdown.complete"})
            return


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    kind = scope["type"]
    if kind == "lifespan":
        await lifespan(receive, send, {})
        return
    if kind != "http":
        return
    started = time.perf_counter()
    path: str = scope["path"]
    target = _split_predict(path)
    if target is not None:
        status = await predict(scope, receive, send, *target)
        metrics.observe("predict", status, time.perf_counter() - started)
    elif path == "/v2" or path.startswith("/v2/"):
        status = await oip(scope, receive, send, oip_rest.infer_model(path))
        metrics.observe("v2", status, time.perf_counter() - started)
    elif path == "/healthz":
        await healthz(send)
    elif path == "/metrics":
        await _respond(send, 200, metrics.exposition(), [(b"content-type", b"text/plain; version=0.0.4")])
    else:
        await _respond(send, 404, error_body("not_found", "Not found."))
