"""The predict path: ``POST /serve/<project>/<deployment>/predict``.

A plain Django view (no DRF) so the web process adds as little as possible per request: the
deployment's routing config is cached per process for ``SERVING_CONFIG_TTL_S`` (0.5 s, so a
rollback reaches new requests within a second), the input is validated against the chosen
version's schema, the request is pushed to Redis and the thread blocks on its reply key up to
the deployment's timeout (503 + Retry-After on timeout or when Redis is down; never a hang).
The web process never imports onnxruntime or torch.

Who may call is decided by ``serving.auth.authorize_caller`` before anything about the deployment
is revealed; a body above ``SERVING_MAX_BODY_BYTES`` is a JSON 413 before it is read, and a body
that is not JSON, nests too deeply or carries a NUL character is a 400 naming the field.
"""

from __future__ import annotations

import random
import time
import uuid
from typing import Any

import redis
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from shipyard.serving import protocol
from shipyard.serving.auth import authorize_caller, error
from shipyard.serving.bodies import body_too_large, read_body
from shipyard.serving.dataplane import STATS, serving_redis
from shipyard.serving.validation import InputError, loads_body, validate

ALLOWED_KEYS = frozenset({"inputs", "routing_key"})


def _error(
    status: int, code: str, message: str, field: str | None = None, retry_after: int | None = None
) -> JsonResponse:
    response = error(status, code, message, field)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


@csrf_exempt
def predict(request: HttpRequest, project: str, deployment: str) -> JsonResponse:
    started = time.perf_counter()
    if request.method != "POST":
        response = _error(405, "method_not_allowed", "Use POST.")
        response["Allow"] = "POST"
        return response
    limit = settings.SERVING_MAX_BODY_BYTES
    too_large = body_too_large(request, limit=limit)
    if too_large is not None:
        return too_large
    caller = authorize_caller(request, project=project, deployment=deployment)
    if isinstance(caller, JsonResponse):
        return caller
    route = caller.route
    raw = read_body(request, limit=limit)
    if isinstance(raw, JsonResponse):
        return raw
    try:
        # rows are checked to hold scalars only (validate), so no depth limit beyond the parser's
        body = loads_body(raw, max_depth=None, field="inputs")
    except InputError as exc:
        return _error(400, "invalid", exc.message, exc.field)
    if not isinstance(body, dict) or "inputs" not in body:
        return _error(400, "invalid", "inputs: This field is required.", "inputs")
    unknown = [k for k in body if k not in ALLOWED_KEYS]
    if unknown:
        return _error(400, "invalid", f"{unknown[0]}: Unknown field.", unknown[0])
    routing_key = body.get("routing_key") or request.headers.get("X-Routing-Key") or None
    if routing_key is not None and not isinstance(routing_key, (str, int)):
        return _error(400, "invalid", "routing_key: Must be a string.", "routing_key")
    routing_key = str(routing_key) if routing_key is not None else None
    if routing_key is not None and "\x00" in routing_key:
        return _error(400, "invalid", "routing_key: NUL characters are not allowed.", "routing_key")
    version = route.pick(routing_key)
    try:
        rows, violations = validate(
            body["inputs"], version.schema, reject=route.reject_invalid, max_rows=settings.SERVING_MAX_ROWS
        )
    except InputError as exc:
        STATS.record(
            deployment_id=route.deployment_id,
            version_id=version.version_id,
            latency_ms=(time.perf_counter() - started) * 1000,
            status="invalid",
            violations=1,
        )
        return _error(400, "invalid", exc.message, exc.field)

    message_id = uuid.uuid4().hex
    reply = protocol.reply_key(message_id)
    message = protocol.Request(
        id=message_id,
        version_key=version.version_key,
        artifact_key=version.artifact_key,
        format=version.format,
        rows=rows,
        reply=reply,
        deadline=time.time() + route.timeout_s,
        max_batch=route.max_batch,
        max_delay_ms=route.max_delay_ms,
    )
    r: Any = serving_redis()
    try:
        # one round trip: push the request, then block on its reply key
        pipe = r.pipeline(transaction=False)
        pipe.lpush(protocol.QUEUE, message.dumps())
        pipe.blpop([reply], timeout=route.timeout_s)
        _, got = pipe.execute()
    except redis.RedisError:
        STATS.record(
            deployment_id=route.deployment_id,
            version_id=version.version_id,
            latency_ms=(time.perf_counter() - started) * 1000,
            status="unavailable",
        )
        return _error(503, "unavailable", "The serving queue is unavailable; try again shortly.", retry_after=1)
    latency_ms = (time.perf_counter() - started) * 1000
    if got is None:
        STATS.record(
            deployment_id=route.deployment_id, version_id=version.version_id, latency_ms=latency_ms, status="timeout"
        )
        return _error(
            503, "timeout", f"No serving worker answered within {route.timeout_s:g}s; try again shortly.", retry_after=1
        )
    answer = protocol.Reply.loads(got[1])
    if not answer.ok:
        code = answer.code
        STATS.record(
            deployment_id=route.deployment_id, version_id=version.version_id, latency_ms=latency_ms, status=code
        )
        if code == "model_unavailable":
            return _error(503, code, answer.message, retry_after=5)
        return _error(422, code, answer.message, "inputs")

    request_ids = [f"{message_id}-{i}" for i in range(len(rows))]
    outputs = answer.outputs
    confidence = answer.confidence
    logs: list[protocol.LogRecord] | None = None
    if route.sample_rate > 0 and (route.sample_rate >= 1 or random.random() < route.sample_rate):
        now = time.time()
        logs = [
            protocol.LogRecord(
                t=now,
                deployment_id=route.deployment_id,
                version_id=version.version_id,
                request_id=request_ids[i],
                inputs=rows[i],
                outputs=outputs[i],
                confidence=confidence[i] if confidence else None,
                latency_ms=latency_ms,
                routing_key=routing_key or "",
                violations=[v for v in violations if v["row"] == i],
            )
            for i in range(len(rows))
        ]
    STATS.record(
        deployment_id=route.deployment_id,
        version_id=version.version_id,
        latency_ms=latency_ms,
        status="ok",
        violations=len(violations),
        confidences=confidence,
        logs=logs,
    )
    result: dict[str, Any] = {"outputs": outputs, "model_version": version.number, "request_ids": request_ids}
    if answer.probabilities is not None:
        result["probabilities"] = answer.probabilities
    if confidence is not None:
        result["confidence"] = confidence
    if violations:
        result["violations"] = violations
    return JsonResponse(result)
