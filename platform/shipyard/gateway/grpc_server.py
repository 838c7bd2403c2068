"""The Open Inference Protocol (KServe V2) over gRPC: ``inference.GRPCInferenceService``.

The service definition is KServe's ``grpc_predict_v2.proto`` (``proto/``, with the generated
code next to it). The gateway starts :func:`serve` when ``GATEWAY_GRPC_PORT`` is set. It answers
ServerLive, ServerReady, ServerMetadata, ModelReady, ModelMetadata and ModelInfer exactly as the
REST side does (``oip_rest``): the same model names (``<project>.<deployment>``), the same
tensors-to-rows rules (``oip_codec``), the same gateway core.

Credentials travel as call metadata: ``x-api-key: <deployment key>`` or
``authorization: Token <api token>`` (or ``Bearer``); a sticky routing key as the request's
``routing_key`` parameter or ``x-routing-key`` metadata. Inputs come as typed ``contents`` or as
``raw_input_contents``; outputs always go back as ``raw_output_contents`` (what Triton sends).

Refusals are gRPC status codes: INVALID_ARGUMENT (malformed tensors, wrong datatype or shape,
inputs the model refuses), UNAUTHENTICATED, PERMISSION_DENIED, NOT_FOUND (after authentication),
RESOURCE_EXHAUSTED (a message over the size limit) and UNAVAILABLE (with ``retry-after`` in the
trailing metadata) when the serving queue cannot answer.
"""

from __future__ import annotations

import json
from typing import Any

import grpc

from shipyard.gateway import core, oip_outputs, oip_rest
from shipyard.gateway import oip_codec as codec
from shipyard.gateway.config import config
from shipyard.gateway.oip_codec import OIPError
from shipyard.gateway.proto import grpc_predict_v2_pb2 as pb
from shipyard.gateway.proto import grpc_predict_v2_pb2_grpc as pb_grpc

#: HTTP status (the gateway core's) -> gRPC status code
STATUS_CODES: dict[int, grpc.StatusCode] = {
    400: grpc.StatusCode.INVALID_ARGUMENT,
    401: grpc.StatusCode.UNAUTHENTICATED,
    403: grpc.StatusCode.PERMISSION_DENIED,
    404: grpc.StatusCode.NOT_FOUND,
    405: grpc.StatusCode.UNIMPLEMENTED,
    409: grpc.StatusCode.FAILED_PRECONDITION,
    413: grpc.StatusCode.RESOURCE_EXHAUSTED,
    422: grpc.StatusCode.INVALID_ARGUMENT,
    429: grpc.StatusCode.RESOURCE_EXHAUSTED,
    503: grpc.StatusCode.UNAVAILABLE,
    504: grpc.StatusCode.DEADLINE_EXCEEDED,
}

#: typed ``contents`` field per datatype (FP16 travels only as raw contents)
CONTENTS_FIELDS: dict[str, str] = {
    "BOOL": "bool_contents",
    "INT8": "int_contents",
    "INT16": "int_contents",
    "INT32": "int_contents",
    "INT64": "int64_contents",
    "UINT8": "uint_contents",
    "UINT16": "uint_contents",
    "UINT32": "uint_contents",
    "UINT64": "uint64_contents",
    "FP32": "fp32_contents",
    "FP64": "fp64_contents",
    "BYTES": "bytes_contents",
}


def _parameter(value: pb.InferParameter) -> Any:
    choice = value.WhichOneof("parameter_choice")
    return getattr(value, choice) if choice else None


def _parameters(params: Any) -> dict[str, Any]:
    return {key: _parameter(value) for key, value in params.items()}


def decode_request(request: pb.ModelInferRequest) -> codec.InferRequest:
    """A ModelInferRequest as the codec's request (typed contents or raw contents per input)."""
    if not request.inputs:
        raise OIPError("inputs must be a non-empty list of tensors.")
    raw = request.raw_input_contents
    if raw and len(raw) != len(request.inputs):
        raise OIPError(f"raw_input_contents holds {len(raw)} tensors for {len(request.inputs)} inputs.")
    inputs = []
    for index, tensor in enumerate(request.inputs):
        label = tensor.name or f"inputs[{index}]"
        datatype = codec.check_datatype(label, tensor.datatype)
        shape = codec.check_shape(label, list(tensor.shape))
        if raw:
            data = codec.decode_raw(label, datatype, shape, raw[index])
        else:
            field = CONTENTS_FIELDS.get(datatype)
            if field is None:
                raise OIPError(f"Input '{label}': {datatype} data must be sent in raw_input_contents.")
            data = list(getattr(tensor.contents, field))
            if len(data) != codec.element_count(shape):
                raise OIPError(
                    f"Input '{label}': shape {shape} needs {codec.element_count(shape)} elements in "
                    f"contents.{field}; got {len(data)}."
                )
        inputs.append(codec.checked_tensor(tensor.name, datatype, shape, data, _parameters(tensor.parameters)))
    outputs = [codec.RequestedOutput(name=o.name, binary=True) for o in request.outputs] or None
    return codec.InferRequest(
        id=request.id or None, inputs=inputs, outputs=outputs, parameters=_parameters(request.parameters)
    )


def encode_response(
    *, model_name: str, model_version: str, request_id: str | None, outputs: list[codec.Tensor], violations: list[Any]
) -> pb.ModelInferResponse:
    response = pb.ModelInferResponse(model_name=model_name, model_version=model_version, id=request_id or "")
    for tensor in outputs:
        response.outputs.add(name=tensor.name, datatype=tensor.datatype, shape=tensor.shape)
        response.raw_output_contents.append(codec.encode_raw(tensor.datatype, tensor.data))
    if violations:
        response.parameters["violations"].string_param = json.dumps(violations, separators=(",", ":"))
    return response


def _metadata(context: grpc.aio.ServicerContext) -> dict[str, str]:
    return {
        key.lower(): value
        for key, value in (context.invocation_metadata() or ())
        if isinstance(value, str)  # "-bin" keys carry bytes
    }


def _credentials(metadata: dict[str, str]) -> core.Credentials:
    return oip_rest.credentials(api_key=metadata.get("x-api-key"), authorization=metadata.get("authorization"))


async def _abort(context: grpc.aio.ServicerContext, exc: core.GatewayError | OIPError) -> None:
    status = exc.status
    if isinstance(exc, core.GatewayError) and exc.retry_after is not None:
        context.set_trailing_metadata((("retry-after", str(exc.retry_after)),))
    await context.abort(STATUS_CODES.get(status, grpc.StatusCode.INTERNAL), exc.message)


class InferenceService(pb_grpc.GRPCInferenceServiceServicer):
    """The service; its method names are the protocol's."""

    async def ServerLive(self, request: pb.ServerLiveRequest, context: grpc.aio.ServicerContext) -> Any:  # noqa: N802
        return pb.ServerLiveResponse(live=True)

    async def ServerReady(self, request: pb.ServerReadyRequest, context: grpc.aio.ServicerContext) -> Any:  # noqa: N802
        try:
            return pb.ServerReadyResponse(ready=await core.server_ready())
        except core.GatewayError as exc:
            await _abort(context, exc)

    async def ServerMetadata(self, request: pb.ServerMetadataRequest, context: grpc.aio.ServicerContext) -> Any:  # noqa: N802
        return pb.ServerMetadataResponse(
            name=oip_rest.SERVER_NAME, version=oip_rest.server_version(), extensions=oip_rest.EXTENSIONS
        )

    async def ModelReady(self, request: pb.ModelReadyRequest, context: grpc.aio.ServicerContext) -> Any:  # noqa: N802
        try:
            info = await oip_rest.model_info_for(
                request.name, request.version or None, _credentials(_metadata(context))
            )
            return pb.ModelReadyResponse(ready=info.ready)
        except (core.GatewayError, OIPError) as exc:
            await _abort(context, exc)

    async def ModelMetadata(self, request: pb.ModelMetadataRequest, context: grpc.aio.ServicerContext) -> Any:  # noqa: N802
        try:
            info = await oip_rest.model_info_for(
                request.name, request.version or None, _credentials(_metadata(context))
            )
        except (core.GatewayError, OIPError) as exc:
            await _abort(context, exc)
            return None
        doc = oip_rest.metadata(request.name, info)
        response = pb.ModelMetadataResponse(name=doc["name"], versions=doc["versions"], platform=doc["platform"])
        for side in ("inputs", "outputs"):
            for spec in doc[side]:
                getattr(response, side).add(
                    name=str(spec.get("name", "")),
                    datatype=str(spec.get("datatype", "")),
                    shape=[int(d) for d in spec.get("shape") or []],
                )
        return response

    async def ModelInfer(self, request: pb.ModelInferRequest, context: grpc.aio.ServicerContext) -> Any:  # noqa: N802
        metadata = _metadata(context)
        try:
            decoded, result = await oip_rest.infer_result(
                model=request.model_name,
                version=request.model_version or None,
                creds=_credentials(metadata),
                decode=lambda: decode_request(request),
                routing_key=metadata.get("x-routing-key") or None,
            )
            selected = [t for t, _ in oip_outputs.select_outputs(oip_rest.result_tensors(result), decoded.outputs)]
        except (core.GatewayError, OIPError) as exc:
            await _abort(context, exc)
            return None
        return encode_response(
            model_name=request.model_name,
            model_version=str(result.model_version),
            request_id=decoded.id,
            outputs=selected,
            violations=result.violations,
        )


async def serve(port: int, *, host: str = "0.0.0.0", max_message_bytes: int | None = None) -> grpc.aio.Server:  # noqa: S104
    """A started gRPC server for the inference service on ``host:port``; a message over
    ``max_message_bytes`` (default: the serving body limit) is refused with RESOURCE_EXHAUSTED."""
    limit = max_message_bytes if max_message_bytes is not None else config().max_body_bytes
    server = grpc.aio.server(options=[("grpc.max_receive_message_length", limit), ("grpc.max_send_message_length", -1)])
    pb_grpc.add_GRPCInferenceServiceServicer_to_server(InferenceService(), server)
    server.add_insecure_port(f"{host}:{port}")
    await server.start()
    return server
