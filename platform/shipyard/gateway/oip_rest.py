"""The Open Inference Protocol (KServe V2) over REST, on top of the gateway core.

The gateway's ASGI app hands every ``/v2`` request to :func:`handle`:

* ``GET /v2``: server metadata (name ``shipyard``, its version, extension ``binary_tensor_data``);
* ``GET /v2/health/live`` and ``/v2/health/ready``: 200 with an empty body, or 400 (not ready);
* ``GET /v2/models/<model>[/versions/<v>]``: model metadata from the live version's signature;
* ``GET /v2/models/<model>[/versions/<v>]/ready``: 200, or 400 when no worker can serve it yet;
* ``POST /v2/models/<model>[/versions/<v>]/infer``: one inference (``oip_codec`` owns the tensors).

A model is named ``<project>.<deployment>``. A version in the path must be one the deployment
serves now; the deployment's routing (canary split, sticky routing key) still picks the version
that answers, and the response's ``model_version`` names it. Callers authenticate with
``X-Api-Key: <deployment key>`` or ``Authorization: Token <api token>`` (``Bearer`` is accepted
too) before anything about a model is revealed, so an unknown model is a 404 only after that.
A sticky routing key comes from ``parameters.routing_key`` or the ``X-Routing-Key`` header.

Errors have the protocol's shape, ``{"error": "<message>"}``, with the status the gateway core
decides (400 malformed input, 401, 404, 413, 422, 503 with ``Retry-After``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import orjson

from shipyard.gateway import core, oip_outputs
from shipyard.gateway import oip_codec as codec
from shipyard.gateway.config import config
from shipyard.gateway.oip_codec import OIPError
from shipyard.serving.routing import DeploymentRoute

SERVER_NAME = "shipyard"
EXTENSIONS = ["binary_tensor_data"]

Response = tuple[int, list[tuple[bytes, bytes]], bytes]

_JSON = [(b"content-type", b"application/json")]


@functools.cache
def server_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("shipyard")
    except PackageNotFoundError:
        return "0"


def credentials(*, api_key: str | None, authorization: str | None) -> core.Credentials:
    """The caller's credentials from ``X-Api-Key`` and ``Authorization`` (``Token`` or ``Bearer``)."""
    token = None
    if authorization:
        scheme, _, value = authorization.strip().partition(" ")
        if scheme.lower() in {"token", "bearer"} and value.strip():
            token = value.strip()
    return core.Credentials(api_key=api_key or None, token=token)


def _json(status: int, doc: Any) -> Response:
    return status, list(_JSON), orjson.dumps(doc)


def _error(status: int, message: str, retry_after: int | None = None) -> Response:
    headers = list(_JSON)
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    return status, headers, oip_outputs.error_body(message)


def _empty(status: int) -> Response:
    return status, [(b"content-length", b"0")], b""


def _parse_path(path: str) -> tuple[str, str | None, str | None, str | None]:
    """(kind, model, version, action) of a ``/v2`` path; kind "" for an unknown path."""
    parts = [p for p in path.split("/") if p]
    if parts[:1] != ["v2"]:
        return "", None, None, None
    rest = parts[1:]
    if not rest:
        return "server", None, None, None
    if rest == ["health", "live"]:
        return "live", None, None, None
    if rest == ["health", "ready"]:
        return "ready", None, None, None
    if len(rest) < 2 or rest[0] != "models":
        return "", None, None, None
    model, tail = rest[1], rest[2:]
    version = None
    if tail[:1] == ["versions"]:
        if len(tail) < 2:
            return "", None, None, None
        version, tail = tail[1], tail[2:]
    if not tail:
        return "model", model, version, None
    if len(tail) == 1 and tail[0] in {"ready", "infer"}:
        return "model", model, version, tail[0]
    return "", None, None, None


async def handle(method: str, path: str, headers: dict[str, str], body: bytes) -> Response:
    """One ``/v2`` request: (status, headers, body)."""
    kind, model, version, action = _parse_path(path)
    if not kind:
        return _error(404, f"Not found: {path}")
    limit = config().max_body_bytes
    if len(body) > limit:
        return _error(413, f"The body is larger than {limit} bytes.")
    wanted = "POST" if action == "infer" else "GET"
    if method != wanted:
        status, out, payload = _error(405, f"Use {wanted}.")
        return status, [*out, (b"allow", wanted.encode())], payload
    if kind == "server":
        return _json(200, {"name": SERVER_NAME, "version": server_version(), "extensions": EXTENSIONS})
    if kind == "live":
        return _empty(200)
    if kind == "ready":
        try:
            return _empty(200 if await core.server_ready() else 400)
        except core.GatewayError as exc:
            return _error(exc.status, exc.message, exc.retry_after)
    assert model is not None
    if action == "infer":
        return await infer(model, version, headers, body)
    creds = credentials(api_key=headers.get("x-api-key"), authorization=headers.get("authorization"))
    try:
        info = await model_info_for(model, version, creds)
        if action == "ready":
            return _empty(200 if info.ready else 400)
        return _json(200, metadata(model, info))
    except core.GatewayError as exc:
        return _error(exc.status, exc.message, exc.retry_after)
    except OIPError as exc:
        return _error(exc.status, exc.message)


async def infer(model: str, version: str | None, headers: dict[str, str], body: bytes) -> Response:
    """``POST /v2/models/<model>[/versions/<version>]/infer`` (the gateway's app sends the common
    path here directly; :func:`handle` the rest, after its checks of path, size and method)."""
    creds = credentials(api_key=headers.get("x-api-key"), authorization=headers.get("authorization"))
    try:
        request, result = await infer_result(
            model=model,
            version=version,
            creds=creds,
            decode=lambda: codec.decode_json_request(body, _header_length(headers)),
            routing_key=headers.get("x-routing-key") or None,
        )
        return _infer_response(model, request, result)
    except core.GatewayError as exc:
        return _error(exc.status, exc.message, exc.retry_after)
    except OIPError as exc:
        return _error(exc.status, exc.message)


def infer_model(path: str) -> str | None:
    """The model of ``/v2/models/<model>/infer``, the common infer path; None for any other path."""
    if path.startswith("/v2/models/") and path.endswith("/infer"):
        model = path[11:-6]
        if model and "/" not in model:
            return model
    return None


def _versions(route: DeploymentRoute) -> set[str]:
    return {str(route.live.number)} | ({str(route.canary.number)} if route.canary is not None else set())


async def model_info_for(model: str, version: str | None, creds: core.Credentials) -> core.ModelInfo:
    """The model's info for an authenticated caller (the core answers 401 before 404); a 404 for
    a version the deployment does not serve."""
    project, deployment = codec.split_model_name(model)
    info = await core.model_info(project=project, deployment=deployment, credentials=creds)
    if version is not None and version not in {str(v) for v in info.versions}:
        raise OIPError(f"Model '{model}' has no version '{version}'.", status=404)
    return info


async def route_for(model: str, version: str | None, creds: core.Credentials) -> DeploymentRoute:
    """The deployment's route for an authenticated caller; a 404 for a version it does not serve."""
    project, deployment = codec.split_model_name(model)
    caller = await core.authorize(project=project, deployment=deployment, credentials=creds)
    if version is not None and version not in _versions(caller.route):
        raise OIPError(f"Model '{model}' has no version '{version}'.", status=404)
    return caller.route


def metadata(model: str, info: core.ModelInfo) -> dict[str, Any]:
    """The model metadata response: the inputs of the live version's signature, and the outputs
    an infer response carries (``oip_codec.output_metadata``)."""
    return {
        "name": model,
        "versions": [str(v) for v in info.versions],
        "platform": SERVER_NAME,
        "inputs": [{**spec, "datatype": oip_outputs.v2_datatype(spec.get("datatype"))} for spec in info.inputs],
        "outputs": oip_outputs.output_metadata(info.outputs),
    }


async def infer_result(
    *,
    model: str,
    version: str | None,
    creds: core.Credentials,
    decode: Callable[[], codec.InferRequest],
    routing_key: str | None,
) -> tuple[codec.InferRequest, core.InferResult]:
    """One inference for either protocol: ``decode`` parses the wire request, its tensors become
    rows and the core runs them (canary split, sticky routing key, validation policy, prediction
    log and rollups as for Shipyard's own JSON). A request the codec refuses is judged only after
    the caller is authenticated and the model found (401, then 404, then 400); the happy path
    pays for no extra lookup."""
    try:
        request = decode()
        features: list[str] | None = None
        if version is not None or codec.needs_features(request.inputs):
            features = (await route_for(model, version, creds)).live.schema.names
        rows = codec.tensors_to_rows(request.inputs, features)
        key = request.routing_key or routing_key
    except OIPError:
        await route_for(model, None, creds)
        raise
    project, deployment = codec.split_model_name(model)
    caller = await core.authorize(project=project, deployment=deployment, credentials=creds)
    core.check_routing_key(key)
    return request, await core.predict(route=caller.route, inputs=rows, routing_key=key, floats=request.floats)


def result_tensors(result: core.InferResult) -> list[codec.Tensor]:
    """The result's output tensors (gRPC's response, and a REST response that selects outputs)."""
    return oip_outputs.result_tensors(
        outputs=result.outputs,
        probabilities=result.probabilities,
        confidence=result.confidence,
        request_ids=result.request_ids,
    )


def _header_length(headers: dict[str, str]) -> int | None:
    raw = headers.get(codec.HEADER_LENGTH)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise OIPError("Inference-Header-Content-Length must be an integer.") from None


def _infer_response(model: str, request: codec.InferRequest, result: core.InferResult) -> Response:
    parameters = {"violations": result.violations} if result.violations else None
    if request.outputs is None and not request.binary_outputs:
        payload = oip_outputs.encode_all_json(
            model_name=model,
            model_version=str(result.model_version),
            request_id=request.id,
            outputs=oip_outputs.result_outputs(
                outputs=result.outputs,
                probabilities=result.probabilities,
                confidence=result.confidence,
                request_ids=result.request_ids,
            ),
            parameters=parameters,
        )
        return 200, list(_JSON), payload
    selected = oip_outputs.select_outputs(result_tensors(result), request.outputs)
    if request.binary_outputs:
        selected = [(t, True) for t, _ in selected]
    payload, head_length = oip_outputs.encode_json_response(
        model_name=model,
        model_version=str(result.model_version),
        request_id=request.id,
        outputs=selected,
        parameters=parameters,
    )
    if head_length is None:
        return 200, list(_JSON), payload
    return (
        200,
        [
            (b"content-type", b"application/octet-stream"),
            (codec.HEADER_LENGTH.encode(), str(head_length).encode()),
        ],
        payload,
    )
