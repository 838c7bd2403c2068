"""The gateway's protocol-neutral core: who may call, what a deployment takes, and one inference.

Shipyard's own JSON (``app``), the Open Inference Protocol over REST (``oip_rest``) and gRPC
(``grpc_server``) all call these functions; they raise :class:`GatewayError` with the status,
code and message every protocol maps to its own error shape.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import redis

from shipyard.core.authkeys import well_formed_token
from shipyard.core.ids import random_hex
from shipyard.gateway import metrics
from shipyard.gateway.bus import Bus, Unavailable
from shipyard.gateway.config import GatewayConfig
from shipyard.gateway.directory import Directory, key_matches
from shipyard.gateway.stats import Stats
from shipyard.serving import protocol, shadow
from shipyard.serving.routing import (
    UNAVAILABLE,
    DeploymentRoute,
    Failure,
    answer_failure,
    member_outputs,
    pick_version_async,
    predict_body,
    record_answer,
)
from shipyard.serving.validation import InputError, validate


@dataclass(frozen=True)
class Credentials:
    """What a caller sent: a deployment's API key (``X-Api-Key``) or a user's API token."""

    api_key: str | None = None
    token: str | None = None


class GatewayError(Exception):
    """A refused or failed call: an HTTP status, a stable code, a message, the field at fault
    and, for a 503, how many seconds to wait before retrying."""

    def __init__(
        self, status: int, code: str, message: str, field: str | None = None, retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.retry_after = retry_after


@dataclass
class InferResult:
    outputs: list[Any]
    probabilities: list[list[float]] | None
    confidence: list[float] | None
    model_version: int
    request_ids: list[str]
    violations: list[dict[str, Any]]
    #: an ensemble's members' own outputs (when the caller asked)
    members: list[dict[str, Any]] | None = None
    outlier_score: list[float] | None = None
    is_outlier: list[bool] | None = None


@dataclass
class ModelInfo:
    project: str
    deployment: str
    versions: list[int]
    #: [{"name", "datatype", "shape"}] from the live version's signature and schema
    inputs: list[dict[str, Any]]
    outputs: list[dict[str, Any]]
    ready: bool


@dataclass(frozen=True)
class Caller:
    """An authorized caller and the deployment it may use."""

    kind: str  # "api_key" | "token"
    route: DeploymentRoute
    #: the user behind a token; None for an API key
    user_id: int | None = None


class Runtime:
    """The process's Redis pool, reply reader, route and token caches and request counters."""

    def __init__(self, config: GatewayConfig) -> None:
        self.config = config
        self.bus = Bus(config.redis_url)
        self.directory = Directory(self.bus.redis, config_ttl_s=config.config_ttl_s, token_ttl_s=config.token_ttl_s)
        self.stats = Stats(self.bus.redis)
        self._tasks: list[asyncio.Task[None]] = []
        #: shadow mirrors being pushed (held so they are not collected before they finish)
        self.mirrors: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        self.bus.start()
        self._tasks.append(asyncio.create_task(self.stats.run(), name="gateway-stats"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        try:
            await self.stats.flush()
        except (redis.RedisError, OSError):
            pass
        await self.bus.close()


_runtime: Runtime | None = None


def runtime() -> Runtime:
    if _runtime is None:
        raise RuntimeError("the gateway runtime is not started")
    return _runtime


async def start(config: GatewayConfig) -> Runtime:
    global _runtime
    _runtime = Runtime(config)
    _runtime.start()
    return _runtime


async def stop() -> None:
    global _runtime
    if _runtime is not None:
        await _runtime.stop()
        _runtime = None


def _failed(failure: Failure) -> GatewayError:
    return GatewayError(failure.status, failure.code, failure.message, failure.field, failure.retry_after)


def _unavailable() -> GatewayError:
    return _failed(UNAVAILABLE)


def _not_found() -> GatewayError:
    return GatewayError(404, "not_found", "No such deployment.")


async def authorize(*, project: str, deployment: str, credentials: Credentials) -> Caller:
    """The caller, or :class:`GatewayError`: 401 no or bad credentials, 404 not a deployment of the
    caller's (always after the credentials are checked), 503 when Redis is down."""
    directory = runtime().directory
    try:
        if credentials.api_key:
            route = await directory.route(project, deployment)
            if route is None or not key_matches(route, credentials.api_key):
                raise GatewayError(401, "unauthenticated", "Invalid API key for this deployment.")
            return Caller(kind="api_key", route=route)
        if credentials.token is not None:
            identity = await directory.identity(credentials.token) if well_formed_token(credentials.token) else None
            if identity is None:
                raise GatewayError(401, "unauthenticated", "Invalid or expired token.")
            route = await directory.route(project, deployment)
            if route is None or route.team_id not in identity.teams:
                raise _not_found()
            return Caller(kind="token", route=route, user_id=identity.user_id)
    except (redis.RedisError, OSError):
        raise _unavailable() from None
    raise GatewayError(401, "unauthenticated", "Send a token (Authorization: Token <t>) or the deployment's X-Api-Key.")


async def predict(
    *, route: DeploymentRoute, inputs: Any, routing_key: str | None = None, members: bool = False, floats: bool = False
) -> InferResult:
    """Validate ``inputs`` (one row or a list of rows) against the chosen version's schema, run
    them on a serving worker and count the request; :class:`GatewayError` otherwise. ``floats``:
    the rows hold floats only, as the caller's decoder checked (validation skips that scan)."""
    rt = runtime()
    started = time.perf_counter()
    version = await pick_version_async(route, rt.bus.redis, routing_key)
    try:
        rows, violations = validate(
            inputs, version.schema, reject=route.reject_invalid, max_rows=rt.config.max_rows, floats=floats
        )
    except InputError as exc:
        rt.stats.record(
            deployment_id=route.deployment_id,
            version_id=version.version_id,
            latency_ms=(time.perf_counter() - started) * 1000,
            status="invalid",
            violations=1,
        )
        raise GatewayError(400, "invalid", exc.message, exc.field) from None
    message_id = random_hex()
    message = protocol.Request(
        id=message_id,
        version_key=version.version_key,
        artifact_key=version.artifact_key,
        format=version.format,
        rows=rows,
        reply=rt.bus.reply_list,
        deadline=time.time() + route.timeout_s,
        max_batch=route.max_batch,
        max_delay_ms=route.max_delay_ms,
        queue=protocol.queue_key(route.deployment_id),
        ensemble=version.ensemble_spec(members),
        outlier=route.detector_for(version.version_id),
    )
    metrics.IN_FLIGHT.inc()
    try:
        answer = await rt.bus.call(message, timeout_s=route.timeout_s)
    except Unavailable:
        answer = None
        status: str = "unavailable"
    else:
        status = "timeout" if answer is None else ("ok" if answer.ok else answer.code)
    finally:
        metrics.IN_FLIGHT.dec()
    latency_ms = (time.perf_counter() - started) * 1000
    if answer is None or not answer.ok:
        rt.stats.record(
            deployment_id=route.deployment_id, version_id=version.version_id, latency_ms=latency_ms, status=status
        )
        raise _failed(UNAVAILABLE if status == "unavailable" else answer_failure(answer, timeout_s=route.timeout_s))
    request_ids = record_answer(
        rt.stats,
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
        message = shadow.shadow_message(
            route=route,
            message_id=message_id,
            rows=rows,
            live_version_id=version.version_id,
            live_outputs=answer.outputs,
            live_ms=latency_ms,
            request_ids=request_ids,
        )
        task = asyncio.create_task(_mirror(rt, message))  # off the caller's path
        rt.mirrors.add(task)
        task.add_done_callback(rt.mirrors.discard)
    return InferResult(
        outputs=answer.outputs,
        probabilities=answer.probabilities,
        confidence=answer.confidence,
        model_version=version.number,
        request_ids=request_ids,
        violations=violations,
        members=member_outputs(version, answer) if members else None,
        outlier_score=answer.outlier_score,
        is_outlier=answer.is_outlier,
    )


async def _mirror(rt: Runtime, message: protocol.Request) -> None:
    """Push a mirrored request for the shadow version (best effort)."""
    try:
        pipe = rt.bus.redis.pipeline(transaction=False)
        shadow.push_commands(pipe, message)
        await pipe.execute()
    except (redis.RedisError, OSError):
        pass  # a lost mirror costs nothing but one comparison


def result_body(result: InferResult) -> dict[str, Any]:
    """Shipyard's JSON answer to a served predict call."""
    return predict_body(
        outputs=result.outputs,
        probabilities=result.probabilities,
        confidence=result.confidence,
        model_version=result.model_version,
        request_ids=result.request_ids,
        violations=result.violations,
        members=result.members,
        outlier_score=result.outlier_score,
        is_outlier=result.is_outlier,
    )


def check_routing_key(routing_key: str | None) -> None:
    """A routing key from a request's parameters or header: a 400 for one holding NUL."""
    if routing_key is not None and "\x00" in routing_key:
        raise GatewayError(400, "invalid", "routing_key: NUL characters are not allowed.", "routing_key")


def _tensor_specs(specs: Any, width: int | None) -> list[dict[str, Any]]:
    out = []
    for spec in specs if isinstance(specs, list) else []:
        if not isinstance(spec, dict):
            continue
        shape = spec.get("shape")
        out.append(
            {
                "name": str(spec.get("name") or "input"),
                "datatype": str(spec.get("dtype") or spec.get("datatype") or "float32"),
                "shape": list(shape) if isinstance(shape, list) else ([-1, width] if width else [-1]),
            }
        )
    return out


async def model_info(*, project: str, deployment: str, credentials: Credentials) -> ModelInfo:
    """What the deployment's live version takes and returns (from its signature and schema)."""
    caller = await authorize(project=project, deployment=deployment, credentials=credentials)
    route = caller.route
    live = route.live
    width = live.schema.width
    inputs = _tensor_specs(live.signature.get("inputs"), width)
    if not inputs:
        inputs = [{"name": "input", "datatype": "float32", "shape": [-1, width] if width else [-1]}]
    versions = [live.number] + ([route.canary.number] if route.canary is not None else [])
    versions += [a.number for a in route.arms if a.number not in versions]
    return ModelInfo(
        project=project,
        deployment=deployment,
        versions=versions,
        inputs=inputs,
        outputs=_tensor_specs(live.signature.get("outputs"), None),
        ready=await server_ready(),
    )


async def server_ready() -> bool:
    """Redis answers and at least one serving worker's heartbeat is alive."""
    rt = _runtime
    if rt is None:
        return False
    try:
        return bool(await rt.bus.redis.scard(protocol.WORKERS)) and await rt.bus.ping()
    except (redis.RedisError, OSError):
        return False
