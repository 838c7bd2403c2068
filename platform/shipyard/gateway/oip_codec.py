"""The Open Inference Protocol (KServe V2) codec: tensors in, rows out, results back to tensors.

Pure functions, no I/O: ``oip_rest`` (JSON and the binary-tensor extension) and ``grpc_server``
(typed ``contents`` and ``raw_input_contents``) decode their wire format into :class:`Tensor`
values, :func:`tensors_to_rows` turns those into the rows Shipyard's models take (``oip_outputs`` owns
the way back: output tensors and responses).

A model is named ``<project>.<deployment>`` (:func:`split_model_name`). Rows come from either

* one input tensor ``[batch, n_features]`` (more dimensions are flattened per row; a 1-D tensor
  ``[n_features]`` is one row), or
* several inputs ``[batch]`` or ``[batch, 1]`` named like the model's features: columns, combined
  into rows in the model's feature order.

Every refusal is an :class:`OIPError` whose message names the tensor at fault.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson

#: the binary-tensor extension's header: the length of the JSON part of a body
HEADER_LENGTH = "inference-header-content-length"

#: datatype -> little-endian numpy dtype (BYTES has none: length-prefixed strings)
NUMPY_TYPES: dict[str, str] = {
    "BOOL": "?",
    "INT8": "<i1",
    "INT16": "<i2",
    "INT32": "<i4",
    "INT64": "<i8",
    "UINT8": "<u1",
    "UINT16": "<u2",
    "UINT32": "<u4",
    "UINT64": "<u8",
    "FP16": "<f2",
    "FP32": "<f4",
    "FP64": "<f8",
}
DATATYPES = frozenset({*NUMPY_TYPES, "BYTES"})
INTEGER = frozenset(k for k in NUMPY_TYPES if k.startswith(("INT", "UINT")))
FLOAT = frozenset({"FP16", "FP32", "FP64"})
_FLOATS = {float}


class OIPError(ValueError):
    """A request the protocol refuses: ``status`` 400 (malformed) or 404 (unknown model name)."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class Tensor:
    """A named tensor with its data flattened in row-major order (BYTES data as ``bytes``)."""

    name: str
    datatype: str
    shape: list[int]
    data: list[Any]
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass
class RequestedOutput:
    name: str
    binary: bool = False


@dataclass
class InferRequest:
    id: str | None
    inputs: list[Tensor]
    #: None: every output; else these, in this order
    outputs: list[RequestedOutput] | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    #: every input's data is floats and nothing else (the one-pass decode of the common request checked)
    floats: bool = False

    @property
    def routing_key(self) -> str | None:
        key = self.parameters.get("routing_key")
        if key is None:
            return None
        if isinstance(key, bool) or not isinstance(key, (str, int)):
            raise OIPError("parameters.routing_key must be a string.")
        return str(key)

    @property
    def binary_outputs(self) -> bool:
        """The request-wide ``binary_data_output`` parameter (REST)."""
        return self.parameters.get("binary_data_output") is True


def split_model_name(name: str) -> tuple[str, str]:
    """``<project>.<deployment>`` as (project, deployment). A name without a dot is passed on as a
    project with no deployment, so the gateway core answers it like any unknown model: 401 for a
    caller it cannot authenticate, then 404."""
    project, _, deployment = name.partition(".")
    return project, deployment


def element_count(shape: list[int]) -> int:
    return math.prod(shape)


def check_shape(name: str, shape: Any) -> list[int]:
    if (
        not isinstance(shape, list)
        or not shape
        or any(isinstance(d, bool) or not isinstance(d, int) or d < 0 for d in shape)
    ):
        raise OIPError(f"Input '{name}': shape must be a non-empty list of non-negative integers.")
    return shape


def check_datatype(name: str, datatype: Any) -> str:
    if type(datatype) is not str or datatype not in DATATYPES:  # (a JSON list or object is unhashable)
        supported = ", ".join(sorted(DATATYPES))
        raise OIPError(f"Input '{name}': unsupported datatype {datatype!r} (use one of {supported}).")
    return str(datatype)


def _flatten(name: str, data: Any) -> list[Any]:
    """Nested lists flattened in row-major order (iterative: any nesting is safe)."""
    if not isinstance(data, list):
        raise OIPError(f"Input '{name}': data must be a list.")
    if list not in set(map(type, data)):  # already flat (as MLServer's and Triton's clients send it)
        return data
    out: list[Any] = []
    stack: list[Any] = [iter(data)]
    while stack:
        for item in stack[-1]:
            if isinstance(item, list):
                stack.append(iter(item))
                break
            out.append(item)
        else:
            stack.pop()
    return out


def _check_values(name: str, datatype: str, values: list[Any]) -> list[Any]:
    """JSON values checked (and converted) against the datatype."""
    if datatype == "BYTES":
        if not all(isinstance(v, str) for v in values):
            raise OIPError(f"Input '{name}': BYTES data must be strings.")
        return [v.encode("utf-8") for v in values]
    if datatype == "BOOL":
        if not all(isinstance(v, bool) for v in values):
            raise OIPError(f"Input '{name}': BOOL data must be true or false.")
        return values
    if datatype in INTEGER:
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            raise OIPError(f"Input '{name}': {datatype} data must be integers.")
        info = np.iinfo(np.dtype(NUMPY_TYPES[datatype]))
        if values and (min(values) < info.min or max(values) > info.max):
            raise OIPError(f"Input '{name}': a value is outside the {datatype} range.")
        return values
    types = set(map(type, values))
    if types <= {float}:  # the common case: JSON numbers with a decimal point, already floats
        return values
    if not types <= {int, float}:  # bool is its own type here, so true/false are refused
        raise OIPError(f"Input '{name}': {datatype} data must be numbers.")
    return [float(v) for v in values]


def decode_raw(name: str, datatype: str, shape: list[int], raw: bytes) -> list[Any]:
    """A binary tensor (the REST extension or gRPC ``raw_input_contents``) as a flat list."""
    count = element_count(shape)
    if datatype == "BYTES":
        out: list[Any] = []
        offset = 0
        while offset < len(raw):
            if offset + 4 > len(raw):
                raise OIPError(f"Input '{name}': truncated BYTES element length.")
            (length,) = struct.unpack_from("<I", raw, offset)
            offset += 4
            if offset + length > len(raw):
                raise OIPError(f"Input '{name}': a BYTES element runs past the end of its data.")
            out.append(bytes(raw[offset : offset + length]))
            offset += length
        if len(out) != count:
            raise OIPError(f"Input '{name}': shape {shape} needs {count} elements; the data holds {len(out)}.")
        return out
    dtype = np.dtype(NUMPY_TYPES[datatype])
    if len(raw) != count * dtype.itemsize:
        raise OIPError(
            f"Input '{name}': shape {shape} of {datatype} needs {count * dtype.itemsize} bytes; got {len(raw)}."
        )
    return np.frombuffer(raw, dtype=dtype).tolist()  # type: ignore[no-any-return]


def encode_raw(datatype: str, data: list[Any]) -> bytes:
    """A flat list as binary tensor data (BYTES: each element prefixed with its uint32 length)."""
    if datatype == "BYTES":
        parts = []
        for item in data:
            value = item if isinstance(item, bytes) else str(item).encode("utf-8")
            parts.append(struct.pack("<I", len(value)))
            parts.append(value)
        return b"".join(parts)
    return np.asarray(data, dtype=np.dtype(NUMPY_TYPES[datatype])).tobytes()


def checked_tensor(name: Any, datatype: Any, shape: Any, data: list[Any], parameters: dict[str, Any]) -> Tensor:
    """A tensor whose element count matches its shape."""
    if not isinstance(name, str) or not name:
        raise OIPError("Every input needs a non-empty name.")
    tensor = Tensor(name=name, datatype=datatype, shape=shape, data=data, parameters=parameters)
    count = element_count(shape)
    if len(data) != count:
        raise OIPError(f"Input '{name}': shape {shape} needs {count} elements; the data holds {len(data)}.")
    return tensor


def _parameters(where: str, value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise OIPError(f"{where}: parameters must be an object.")
    return value


def decode_json_request(body: bytes, header_length: int | None = None) -> InferRequest:
    """A REST infer body: JSON, or with ``header_length`` the JSON header followed by the binary
    data of every input whose ``parameters.binary_data_size`` is set, in input order."""
    if header_length is not None and not 0 <= header_length <= len(body):
        raise OIPError(f"Inference-Header-Content-Length {header_length} is outside the body ({len(body)} bytes).")
    head = body if header_length is None else body[:header_length]
    try:
        doc = orjson.loads(head)
    except orjson.JSONDecodeError:  # also invalid UTF-8, NaN and nesting past orjson's limit
        raise OIPError("The request is not valid JSON.") from None
    if not isinstance(doc, dict):
        raise OIPError("The request must be a JSON object.")
    if header_length is None and len(doc) == 1:
        plain = _plain_float_input(doc.get("inputs"))
        if plain is not None:
            return InferRequest(id=None, inputs=[plain], outputs=None, parameters={}, floats=True)
    request_id = doc.get("id")
    if request_id is not None and not isinstance(request_id, str):
        raise OIPError("id must be a string.")
    raw_inputs = doc.get("inputs")
    if not isinstance(raw_inputs, list) or not raw_inputs:
        raise OIPError("inputs must be a non-empty list of tensors.")
    binary = memoryview(body)[header_length:] if header_length is not None else memoryview(b"")
    offset = 0
    inputs: list[Tensor] = []
    for index, spec in enumerate(raw_inputs):
        if not isinstance(spec, dict):
            raise OIPError(f"inputs[{index}] must be an object.")
        name = spec.get("name")
        label = name if isinstance(name, str) and name else f"inputs[{index}]"
        datatype = check_datatype(label, spec.get("datatype"))
        shape = check_shape(label, spec.get("shape"))
        params = _parameters(f"Input '{label}'", spec.get("parameters"))
        size = params.get("binary_data_size")
        if size is not None:
            if isinstance(size, bool) or not isinstance(size, int) or size < 0:
                raise OIPError(f"Input '{label}': binary_data_size must be a non-negative integer.")
            if header_length is None:
                raise OIPError(f"Input '{label}': binary data needs the Inference-Header-Content-Length header.")
            if offset + size > len(binary):
                raise OIPError(f"Input '{label}': binary_data_size {size} runs past the end of the body.")
            data = decode_raw(label, datatype, shape, bytes(binary[offset : offset + size]))
            offset += size
        else:
            if "data" not in spec:
                raise OIPError(f"Input '{label}': data is required.")
            data = _check_values(label, datatype, _flatten(label, spec["data"]))
        inputs.append(checked_tensor(name, datatype, shape, data, params))
    if offset != len(binary):
        raise OIPError(f"The body holds {len(binary) - offset} bytes of binary data no input claims.")
    return InferRequest(
        id=request_id,
        inputs=inputs,
        outputs=_requested_outputs(doc.get("outputs")),
        parameters=_parameters("The request", doc.get("parameters")),
    )


def _plain_float_input(raw_inputs: Any) -> Tensor | None:
    """The most common request, ``{"inputs": [one float tensor with flat data]}`` and nothing
    else, as its tensor; None for any other request (the general path decodes it, or names the
    fault). Everything the general path checks is checked here, in one pass over the data."""
    if type(raw_inputs) is not list or len(raw_inputs) != 1:
        return None
    spec = raw_inputs[0]
    if type(spec) is not dict or len(spec) != 4:  # name, datatype, shape and data: no parameters
        return None
    name, datatype, shape, data = spec.get("name"), spec.get("datatype"), spec.get("shape"), spec.get("data")
    if (
        type(name) is not str
        or not name
        or type(datatype) is not str
        or datatype not in FLOAT
        or type(data) is not list
        or not data
        or set(map(type, data)) != _FLOATS
        or type(shape) is not list
        or not shape
        or any(type(d) is not int or d < 0 for d in shape)
        or math.prod(shape) != len(data)
    ):
        return None
    return Tensor(name, datatype, shape, data, {})


def _requested_outputs(value: Any) -> list[RequestedOutput] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise OIPError("outputs must be a list.")
    out = []
    for index, spec in enumerate(value):
        if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
            raise OIPError(f"outputs[{index}] must be an object with a name.")
        params = _parameters(f"Output '{spec['name']}'", spec.get("parameters"))
        out.append(RequestedOutput(name=spec["name"], binary=params.get("binary_data") is True))
    return out


def _as_feature(value: Any) -> Any:
    """A tensor element as a row value: BYTES become text."""
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise OIPError("BYTES elements must be UTF-8 text.") from None
    return value


def needs_features(inputs: list[Tensor]) -> bool:
    """Whether :func:`tensors_to_rows` needs the model's feature names for these inputs."""
    return len(inputs) > 1 or len(inputs[0].shape) == 1


def tensors_to_rows(inputs: list[Tensor], features: list[str] | None = None) -> list[list[Any]]:
    """The rows for one inference (see the module docstring)."""
    names = features or []
    if len(inputs) == 1 and (len(inputs[0].shape) > 1 or inputs[0].name not in names):
        tensor = inputs[0]
        values = [_as_feature(v) for v in tensor.data] if tensor.datatype == "BYTES" else tensor.data
        if len(tensor.shape) == 1:
            if not values:
                raise _no_rows(tensor)
            return [values]
        batch = tensor.shape[0]
        if batch == 0 or not values:
            raise _no_rows(tensor)
        if batch == 1:
            return [values]
        width = len(values) // batch
        return [values[i * width : (i + 1) * width] for i in range(batch)]
    if not names:
        raise OIPError("Several inputs need a model signature with feature names; send one [batch, n] tensor.")
    columns: dict[str, list[Any]] = {}
    batch_size: int | None = None
    for tensor in inputs:
        if tensor.name not in names:
            raise OIPError(f"Input '{tensor.name}' is not one of the model's features ({', '.join(names)}).")
        if tensor.name in columns:
            raise OIPError(f"Input '{tensor.name}' is given twice.")
        if len(tensor.shape) > 2 or (len(tensor.shape) == 2 and tensor.shape[1] != 1):
            raise OIPError(f"Input '{tensor.name}': a feature column has shape [batch] or [batch, 1].")
        if batch_size is not None and tensor.shape[0] != batch_size:
            raise OIPError(f"Input '{tensor.name}' has {tensor.shape[0]} rows; the other inputs have {batch_size}.")
        batch_size = tensor.shape[0]
        columns[tensor.name] = [_as_feature(v) for v in tensor.data]
    missing = [n for n in names if n not in columns]
    if missing:
        raise OIPError(f"Input '{missing[0]}' is missing: the model takes {', '.join(names)}.")
    if not batch_size:
        raise _no_rows(inputs[0])
    return [[columns[n][i] for n in names] for i in range(batch_size)]


def _no_rows(tensor: Tensor) -> OIPError:
    return OIPError(f"Input '{tensor.name}' holds no rows.")
