"""The predict path: ``POST /serve/<project>/<deployment>/predict``.

A plain Django view (no DRF) so the web process adds as little as possible per request: the
deployment's routing config is cached per process for ``SERVING_CONFIG_TTL_S`` (0.5 s, so a
rollback reaches new requests within a second), the input is validated against the chosen
version's schema, the request is pushed to Redis and the thread blocks on its reply key up to
the deployment's timeout (503 + Retry-After on timeout or when Redis is down; never a hang).
The web process never imports onnxruntime or torch.
"""

from __future__ import annotations

import functools
import hashlib
import json
import random
import threading
import time
import uuid
from typing import Any

import redis
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from redis.backoff import NoBackoff
from redis.retry import Retry

from shipyard.core.errors import error_body
from shipyard.serving import protocol
from shipyard.serving.routing import DeploymentRoute
from shipyard.serving.selectors import deployment_route
from shipyard.serving.stats import StatsBuffer
from shipyard.serving.validation import InputError, validate

ALLOWED_KEYS = frozenset({"inputs", "routing_key"})


@functools.cache
def serving_redis() -> redis.Redis:
    """The predict path's pool: fail fast when Redis is down (one immediate retry for a stale
    connection after a Redis restart), no socket timeout shorter than the longest request timeout."""
    return redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=0.5,
        socket_timeout=130,
        retry=Retry(NoBackoff(), 1),
        retry_on_error=[redis.ConnectionError],
        max_connections=2048,
    )


STATS = StatsBuffer(serving_redis)


class _TTLCache:
    def __init__(self) -> None:
        self._data: dict[Any, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Any, ttl: float, load: Any) -> Any:
        now = time.monotonic()
        hit = self._data.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = load()
        with self._lock:
            self._data[key] = (now + ttl, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


ROUTES = _TTLCache()
TOKENS = _TTLCache()


def _error(
    status: int, code: str, message: str, field: str | None = None, retry_after: int | None = None
) -> JsonResponse:
    response = JsonResponse(error_body(code, message, {field: [message]} if field else None), status=status)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def _token_teams(token: str) -> frozenset[int]:
    from rest_framework.authtoken.models import Token

    from shipyard.accounts.models import Membership

    user_id = Token.objects.filter(key=token, user__is_active=True).values_list("user_id", flat=True).first()
    if user_id is None:
        return frozenset()
    return frozenset(Membership.objects.filter(user_id=user_id).values_list("team_id", flat=True))


def _authorize(request: HttpRequest, route: DeploymentRoute) -> JsonResponse | None:
    api_key = request.headers.get("X-Api-Key")
    if api_key:
        if hashlib.sha256(api_key.encode()).hexdigest() in route.key_hashes:
            return None
        return _error(401, "unauthenticated", "Invalid API key for this deployment.")
    header = request.headers.get("Authorization", "")
    if header.startswith("Token "):
        teams = TOKENS.get(header[6:].strip(), 2.0, lambda: _token_teams(header[6:].strip()))
        if not teams:
            return _error(401, "unauthenticated", "Invalid token.")
        if route.team_id not in teams:
            return _error(404, "not_found", "No such deployment.")
        return None
    return _error(401, "unauthenticated", "Send a token (Authorization: Token <t>) or the deployment's X-Api-Key.")


@csrf_exempt
def predict(request: HttpRequest, project: str, deployment: str) -> JsonResponse:
    started = time.perf_counter()
    if request.method != "POST":
        response = _error(405, "method_not_allowed", "Use POST.")
        response["Allow"] = "POST"
        return response
    route: DeploymentRoute | None = ROUTES.get(
        (project, deployment), settings.SERVING_CONFIG_TTL_S, lambda: deployment_route(project=project, name=deployment)
    )
    if route is None:
        return _error(404, "not_found", "No such deployment.")
    denied = _authorize(request, route)
    if denied is not None:
        return denied
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return _error(400, "invalid", "The body is not valid JSON.", "inputs")
    if not isinstance(body, dict) or "inputs" not in body:
        return _error(400, "invalid", "inputs: This field is required.", "inputs")
    unknown = [k for k in body if k not in ALLOWED_KEYS]
    if unknown:
        return _error(400, "invalid", f"{unknown[0]}: Unknown field.", unknown[0])
    routing_key = body.get("routing_key") or request.headers.get("X-Routing-Key") or None
    if routing_key is not None and not isinstance(routing_key, (str, int)):
        return _error(400, "invalid", "routing_key: Must be a string.", "routing_key")
    routing_key = str(routing_key) if routing_key is not None else None
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
    answer = json.loads(got[1])
    if not answer.get("ok"):
        code = str(answer.get("code") or "error")
        STATS.record(
            deployment_id=route.deployment_id, version_id=version.version_id, latency_ms=latency_ms, status=code
        )
        if code == "model_unavailable":
            return _error(503, code, str(answer.get("message", "")), retry_after=5)
        return _error(422, code, str(answer.get("message", "")), "inputs")

    request_ids = [f"{message_id}-{i}" for i in range(len(rows))]
    outputs = answer["outputs"]
    confidence = answer.get("confidence")
    logs = None
    if route.sample_rate > 0 and (route.sample_rate >= 1 or random.random() < route.sample_rate):
        now = time.time()
        logs = [
            {
                "t": now,
                "d": route.deployment_id,
                "v": version.version_id,
                "id": request_ids[i],
                "x": rows[i],
                "y": outputs[i],
                "c": confidence[i] if confidence else None,
                "ms": round(latency_ms, 3),
                "k": routing_key or "",
                "vi": [v for v in violations if v["row"] == i],
            }
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
    if "probabilities" in answer:
        result["probabilities"] = answer["probabilities"]
    if confidence is not None:
        result["confidence"] = confidence
    if violations:
        result["violations"] = violations
    return JsonResponse(result)
