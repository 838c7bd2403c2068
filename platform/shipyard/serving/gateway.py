"""The web process's predict path: ``POST /serve/<project>/<deployment>/predict``.

The gateway process (``shipyard.gateway``) serves the same contract for programs without Django
on the request path; this view serves it within the web process (the browser's session calls
and any deployment that routes ``/serve`` to the web process). Both use the same pure modules
(``validation``, ``routing``, ``protocol``).

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

import time
from typing import Any

import redis
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from shipyard.core.ids import random_hex
from shipyard.serving import protocol, shadow
from shipyard.serving.auth import authorize_caller, error
from shipyard.serving.bodies import body_too_large, read_body
from shipyard.serving.dataplane import STATS, serving_redis
from shipyard.serving.routing import (
    UNAVAILABLE,
    answer_failure,
    member_outputs,
    pick_version,
    predict_body,
    record_answer,
)
from shipyard.serving.validation import InputError, predict_request, validate


def _error(
    status: int, code: str, message: str, field: str | None = None, retry_after: int | None = None
) -> JsonResponse:
    response = error(status, code, message, field)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def _mirror(
    r: Any,
    route: Any,
    message_id: str,
    rows: list[Any],
    live_version_id: int,
    outputs: list[Any],
    latency_ms: float,
    request_ids: list[str],
) -> None:
    """Mirror an answered request to the deployment's shadow version (best effort, after the answer)."""
    message = shadow.shadow_message(
        route=route,
        message_id=message_id,
        rows=rows,
        live_version_id=live_version_id,
        live_outputs=outputs,
        live_ms=latency_ms,
        request_ids=request_ids,
    )
    try:
        pipe = r.pipeline(transaction=False)
        shadow.push_commands(pipe, message)
        pipe.execute()
    except redis.RedisError:
        pass  # a lost mirror costs nothing but one comparison


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
        parsed = predict_request(raw, header_routing_key=request.headers.get("X-Routing-Key"))
    except InputError as exc:
        return _error(400, "invalid", exc.message, exc.field)
    inputs, routing_key = parsed.inputs, parsed.routing_key
    r: Any = serving_redis()
    version = pick_version(route, r, routing_key)
    try:
        rows, violations = validate(
            inputs, version.schema, reject=route.reject_invalid, max_rows=settings.SERVING_MAX_ROWS
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

    message_id = random_hex()
    reply = protocol.reply_key(message_id)
    queue = protocol.queue_key(route.deployment_id)
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
        queue=queue,
        ensemble=version.ensemble_spec(parsed.members),
        outlier=route.detector_for(version.version_id),
    )
    answer: protocol.Reply | None = None
    try:
        # one round trip: push the request, ring the doorbell, then block on its reply key
        pipe = r.pipeline(transaction=False)
        pipe.lpush(queue, message.dumps())
        pipe.lpush(protocol.DOORBELL, queue)
        pipe.ltrim(protocol.DOORBELL, 0, protocol.DOORBELL_MAX - 1)
        pipe.blpop([reply], timeout=route.timeout_s)
        got = pipe.execute()[-1]
    except redis.RedisError:
        status = "unavailable"
    else:
        answer = protocol.Reply.loads(got[1]) if got is not None else None
        status = "timeout" if answer is None else ("ok" if answer.ok else answer.code)
    latency_ms = (time.perf_counter() - started) * 1000
    if status != "ok":
        STATS.record(
            deployment_id=route.deployment_id, version_id=version.version_id, latency_ms=latency_ms, status=status
        )
        failure = UNAVAILABLE if status == "unavailable" else answer_failure(answer, timeout_s=route.timeout_s)
        return _error(failure.status, failure.code, failure.message, failure.field, retry_after=failure.retry_after)
    assert answer is not None  # status "ok" means an answer came
    request_ids = record_answer(
        STATS,
        route=route,
        version=version,
        message_id=message_id,
        rows=rows,
        answer=answer,
        latency_ms=latency_ms,
        routing_key=routing_key,
        violations=violations,
        now=time.time(),
    )
    if route.shadow is not None and shadow.due(route.shadow_share):
        _mirror(r, route, message_id, rows, version.version_id, answer.outputs, latency_ms, request_ids)
    return JsonResponse(
        predict_body(
            outputs=answer.outputs,
            probabilities=answer.probabilities,
            confidence=answer.confidence,
            model_version=version.number,
            request_ids=request_ids,
            violations=violations,
            members=member_outputs(version, answer) if parsed.members else None,
            outlier_score=answer.outlier_score,
            is_outlier=answer.is_outlier,
        )
    )
