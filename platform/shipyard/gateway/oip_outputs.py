"""The Open Inference Protocol's way back: an inference result as output tensors, the REST
response (JSON, or JSON plus binary outputs), the model metadata's outputs and the error body.

Pure functions, no I/O, shared by ``oip_rest`` and ``grpc_server``.
"""

from __future__ import annotations

from typing import Any

import orjson

from shipyard.gateway.oip_codec import DATATYPES, FLOAT, INTEGER, OIPError, RequestedOutput, Tensor, encode_raw

#: output tensor names (the model metadata lists the same)
LABEL = "label"
PREDICTION = "prediction"
PROBABILITIES = "probabilities"
CONFIDENCE = "confidence"
REQUEST_ID = "request_id"


def _output_datatype(values: list[Any]) -> str:
    types = set(map(type, values))
    if not types or types == {bool}:
        return "BOOL"
    if types == {int}:
        return "INT64"
    if types <= {int, float}:
        return "FP64"
    return "BYTES"


def _floats(values: list[Any]) -> list[float]:
    """``values`` as floats (the list itself when it holds nothing else, as a worker's answer does)."""
    return values if set(map(type, values)) <= {float} else [float(v) for v in values]


def result_outputs(
    *,
    outputs: list[Any],
    probabilities: list[list[float]] | None,
    confidence: list[float] | None,
    request_ids: list[str],
) -> list[dict[str, Any]]:
    """An inference result as output tensors in the JSON response's form (``name``, ``datatype``,
    ``shape``, ``data``; BYTES data as text): ``label`` (INT64 or BYTES class labels) or
    ``prediction`` (FP64 values, ``[batch]`` or ``[batch, k]``), ``probabilities`` (FP32
    ``[batch, classes]``), ``confidence`` (FP32 ``[batch]``) and ``request_id`` (BYTES ``[batch]``,
    the ids the feedback endpoint takes)."""
    batch = len(outputs)
    out: list[dict[str, Any]] = []
    if outputs and isinstance(outputs[0], list) and all(isinstance(o, list) for o in outputs):
        width = len(outputs[0])
        if any(len(o) != width for o in outputs):
            raise ValueError("the model returned rows of different widths")
        flat = [v for o in outputs for v in o]
        out.append({"name": PREDICTION, "datatype": _output_datatype(flat), "shape": [batch, width], "data": flat})
    else:
        datatype = _output_datatype(outputs)
        data = [str(o) for o in outputs] if datatype == "BYTES" else list(outputs)
        out.append(
            {"name": PREDICTION if datatype == "FP64" else LABEL, "datatype": datatype, "shape": [batch], "data": data}
        )
    if probabilities is not None:
        classes = len(probabilities[0]) if probabilities else 0
        flat_p = probabilities[0] if batch == 1 else [p for row in probabilities for p in row]
        out.append({"name": PROBABILITIES, "datatype": "FP32", "shape": [batch, classes], "data": _floats(flat_p)})
    if confidence is not None:
        out.append({"name": CONFIDENCE, "datatype": "FP32", "shape": [batch], "data": _floats(confidence)})
    out.append({"name": REQUEST_ID, "datatype": "BYTES", "shape": [batch], "data": list(request_ids)})
    return out


def result_tensors(
    *,
    outputs: list[Any],
    probabilities: list[list[float]] | None,
    confidence: list[float] | None,
    request_ids: list[str],
) -> list[Tensor]:
    """:func:`result_outputs` as :class:`Tensor` values (BYTES data as ``bytes``)."""
    found = result_outputs(outputs=outputs, probabilities=probabilities, confidence=confidence, request_ids=request_ids)
    return [
        Tensor(
            spec["name"],
            spec["datatype"],
            spec["shape"],
            [v.encode("utf-8") for v in spec["data"]] if spec["datatype"] == "BYTES" else spec["data"],
        )
        for spec in found
    ]


def select_outputs(tensors: list[Tensor], requested: list[RequestedOutput] | None) -> list[tuple[Tensor, bool]]:
    """The tensors the caller asked for (all when it named none), each with its binary flag."""
    if requested is None:
        return [(t, False) for t in tensors]
    by_name = {t.name: t for t in tensors}
    out = []
    for want in requested:
        if want.name not in by_name:
            raise OIPError(f"Unknown output '{want.name}' (this model returns {', '.join(by_name)}).")
        out.append((by_name[want.name], want.binary))
    return out


def _json_data(tensor: Tensor) -> list[Any]:
    if tensor.datatype == "BYTES":
        return [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in tensor.data]
    return tensor.data


def _response_doc(
    model_name: str, model_version: str, request_id: str | None, parameters: dict[str, Any] | None
) -> dict[str, Any]:
    doc: dict[str, Any] = {"model_name": model_name, "model_version": model_version}
    if request_id is not None:
        doc["id"] = request_id
    if parameters:
        doc["parameters"] = parameters
    return doc


def encode_json_response(
    *,
    model_name: str,
    model_version: str,
    request_id: str | None,
    outputs: list[tuple[Tensor, bool]],
    parameters: dict[str, Any] | None = None,
) -> tuple[bytes, int | None]:
    """A REST infer response, and the JSON header's length when some output is binary (the
    ``Inference-Header-Content-Length`` to send; the binary data follows in output order)."""
    doc = _response_doc(model_name, model_version, request_id, parameters)
    tensors = []
    blobs = []
    for tensor, binary in outputs:
        spec: dict[str, Any] = {"name": tensor.name, "datatype": tensor.datatype, "shape": tensor.shape}
        if binary:
            blob = encode_raw(tensor.datatype, tensor.data)
            spec["parameters"] = {"binary_data_size": len(blob)}
            blobs.append(blob)
        else:
            spec["data"] = _json_data(tensor)
        tensors.append(spec)
    doc["outputs"] = tensors
    head = orjson.dumps(doc)
    if not blobs:
        return head, None
    return head + b"".join(blobs), len(head)


def encode_all_json(
    *,
    model_name: str,
    model_version: str,
    request_id: str | None,
    outputs: list[dict[str, Any]],
    parameters: dict[str, Any] | None = None,
) -> bytes:
    """The REST infer response when the caller named no outputs and wants none binary (the
    common case): the same JSON as :func:`encode_json_response`, without building tensors."""
    doc = _response_doc(model_name, model_version, request_id, parameters)
    doc["outputs"] = outputs
    return orjson.dumps(doc)


#: a signature's dtype names (numpy's, ONNX's) -> the protocol's datatypes
_V2_NAMES = {
    "bool": "BOOL",
    "int8": "INT8",
    "int16": "INT16",
    "int32": "INT32",
    "int64": "INT64",
    "uint8": "UINT8",
    "uint16": "UINT16",
    "uint32": "UINT32",
    "uint64": "UINT64",
    "float16": "FP16",
    "float32": "FP32",
    "float": "FP32",
    "float64": "FP64",
    "double": "FP64",
    "string": "BYTES",
    "str": "BYTES",
    "object": "BYTES",
}


def v2_datatype(dtype: Any) -> str:
    """A signature's dtype as the protocol's datatype (FP32 when the signature does not say)."""
    name = str(dtype or "").strip()
    if name.upper() in DATATYPES:
        return name.upper()
    return _V2_NAMES.get(name.lower(), "FP32")


def output_metadata(signature_outputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The output tensors an infer response carries, described from the signature's outputs: a
    classifier (a float output with several columns) answers ``label``, ``probabilities`` and
    ``confidence``; any other model ``prediction``; every response adds ``request_id``."""
    first = signature_outputs[0] if signature_outputs else {}
    raw_shape = first.get("shape")
    shape: list[Any] = raw_shape if isinstance(raw_shape, list) else []
    datatype = v2_datatype(first.get("datatype")) if first else "FP32"
    columns = shape[1] if len(shape) == 2 and isinstance(shape[1], int) else None
    out: list[dict[str, Any]]
    if datatype in FLOAT and columns is not None and columns > 1:
        out = [
            {"name": LABEL, "datatype": "INT64", "shape": [-1]},
            {"name": PROBABILITIES, "datatype": "FP32", "shape": [-1, columns]},
            {"name": CONFIDENCE, "datatype": "FP32", "shape": [-1]},
        ]
    elif datatype in INTEGER:
        out = [{"name": LABEL, "datatype": "INT64", "shape": [-1]}]
    else:
        out = [{"name": PREDICTION, "datatype": "FP64", "shape": [-1]}]
    return [*out, {"name": REQUEST_ID, "datatype": "BYTES", "shape": [-1]}]


def error_body(message: str) -> bytes:
    """The protocol's error shape: ``{"error": "<message>"}``."""
    return orjson.dumps({"error": message})
