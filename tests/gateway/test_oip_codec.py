"""The Open Inference Protocol codec (``shipyard.gateway.oip_codec``): pure, no I/O."""

from __future__ import annotations

import asyncio
import json
import struct

import numpy as np
import pytest

from shipyard.gateway import oip_codec as codec
from shipyard.gateway import oip_outputs, oip_rest
from shipyard.gateway.oip_codec import OIPError, Tensor


def body(*inputs: dict, **extra) -> bytes:
    return json.dumps({"inputs": list(inputs), **extra}).encode()


def error_of(raw: bytes, header_length: int | None = None) -> str:
    with pytest.raises(OIPError) as info:
        codec.decode_json_request(raw, header_length)
    assert info.value.status == 400
    return info.value.message


JSON_CASES = [
    ("BOOL", [True, False], [True, False]),
    ("INT8", [-128, 127], [-128, 127]),
    ("INT16", [-3, 3], [-3, 3]),
    ("INT32", [1, -2], [1, -2]),
    ("INT64", [2**40, -1], [2**40, -1]),
    ("UINT8", [0, 255], [0, 255]),
    ("UINT16", [1, 65535], [1, 65535]),
    ("UINT32", [0, 2**32 - 1], [0, 2**32 - 1]),
    ("UINT64", [0, 2**64 - 1], [0, 2**64 - 1]),
    ("FP16", [0.5, 1], [0.5, 1.0]),
    ("FP32", [0.25, 3], [0.25, 3.0]),
    ("FP64", [1e300, -2.5], [1e300, -2.5]),
    ("BYTES", ["a", "é"], [b"a", "é".encode()]),
]


@pytest.mark.parametrize(("datatype", "data", "expected"), JSON_CASES)
def test_every_datatype_decodes_from_json(datatype, data, expected):
    request = codec.decode_json_request(body({"name": "x", "datatype": datatype, "shape": [2], "data": data}))
    assert request.inputs == [Tensor("x", datatype, [2], expected)]


@pytest.mark.parametrize(("datatype", "data", "expected"), JSON_CASES)
def test_every_datatype_round_trips_through_the_binary_extension(datatype, data, expected):
    raw = codec.encode_raw(datatype, expected)
    head = json.dumps(
        {"inputs": [{"name": "x", "datatype": datatype, "shape": [2], "parameters": {"binary_data_size": len(raw)}}]}
    ).encode()
    request = codec.decode_json_request(head + raw, len(head))
    assert request.inputs[0].data == expected
    assert request.inputs[0].parameters == {"binary_data_size": len(raw)}


def test_nested_and_flat_data_are_the_same_row_major_tensor():
    nested = codec.decode_json_request(
        body({"name": "x", "datatype": "FP32", "shape": [2, 3], "data": [[1, 2, 3], [4, 5, 6]]})
    )
    flat = codec.decode_json_request(
        body({"name": "x", "datatype": "FP32", "shape": [2, 3], "data": [1, 2, 3, 4, 5, 6]})
    )
    assert nested.inputs == flat.inputs
    assert codec.tensors_to_rows(flat.inputs) == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]


def test_json_and_binary_inputs_mix_in_one_request():
    raw = np.array([[1, 2], [3, 4]], dtype=np.float32).tobytes()
    head = json.dumps(
        {
            "id": "r1",
            "inputs": [
                {"name": "a", "datatype": "FP32", "shape": [2, 2], "parameters": {"binary_data_size": len(raw)}},
                {"name": "b", "datatype": "INT64", "shape": [2], "data": [7, 8]},
            ],
            "outputs": [{"name": "label", "parameters": {"binary_data": True}}, {"name": "request_id"}],
            "parameters": {"routing_key": "user-9"},
        }
    ).encode()
    request = codec.decode_json_request(head + raw, len(head))
    assert request.id == "r1"
    assert [t.data for t in request.inputs] == [[1.0, 2.0, 3.0, 4.0], [7, 8]]
    assert request.outputs == [codec.RequestedOutput("label", True), codec.RequestedOutput("request_id", False)]
    assert request.routing_key == "user-9"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{not json", "The request is not valid JSON."),
        (b"\xff\xfe", "The request is not valid JSON."),
        (
            b'{"inputs": [{"name": "x", "datatype": "FP32", "shape": [1], "data": [NaN]}]}',
            "The request is not valid JSON.",
        ),
        (b"[1]", "The request must be a JSON object."),
        (b"{}", "inputs must be a non-empty list of tensors."),
        (b'{"inputs": []}', "inputs must be a non-empty list of tensors."),
        (b'{"inputs": [3]}', "inputs[0] must be an object."),
        (b'{"id": 5, "inputs": []}', "id must be a string."),
    ],
)
def test_malformed_requests(raw, message):
    assert error_of(raw) == message


@pytest.mark.parametrize(
    ("tensor", "message"),
    [
        ({"name": "x", "datatype": "FP8", "shape": [1], "data": [1]}, "Input 'x': unsupported datatype 'FP8'"),
        ({"name": "x", "shape": [1], "data": [1]}, "Input 'x': unsupported datatype None"),
        ({"name": "x", "datatype": ["FP32"], "shape": [1], "data": [1.0]}, "Input 'x': unsupported datatype ['FP32']"),
        ({"name": "x", "datatype": {"a": 1}, "shape": [1], "data": [1.0]}, "Input 'x': unsupported datatype {'a': 1}"),
        ({"name": "", "datatype": "FP32", "shape": [1], "data": [1.0]}, "Every input needs a non-empty name."),
        ({"name": 3, "datatype": "FP32", "shape": [1], "data": [1.0]}, "Every input needs a non-empty name."),
        (
            {"name": "x", "datatype": "FP32", "shape": [2, 2], "data": [1.0, 2.0, 3.0]},
            "Input 'x': shape [2, 2] needs 4 elements; the data holds 3.",
        ),
        (
            {"name": "x", "datatype": "FP32", "shape": [True], "data": [1.0]},
            "Input 'x': shape must be a non-empty list",
        ),
        ({"name": "x", "datatype": "FP32", "shape": [], "data": []}, "Input 'x': shape must be a non-empty list"),
        ({"name": "x", "datatype": "FP32", "shape": [-1], "data": [1]}, "Input 'x': shape must be a non-empty list"),
        ({"name": "x", "datatype": "FP32", "shape": [True], "data": [1]}, "Input 'x': shape must be a non-empty list"),
        ({"name": "x", "datatype": "FP32", "shape": "2", "data": [1]}, "Input 'x': shape must be a non-empty list"),
        (
            {"name": "x", "datatype": "FP32", "shape": [2, 2], "data": [1, 2, 3]},
            "Input 'x': shape [2, 2] needs 4 elements; the data holds 3.",
        ),
        ({"name": "x", "datatype": "FP32", "shape": [1]}, "Input 'x': data is required."),
        ({"name": "x", "datatype": "FP32", "shape": [1], "data": 1}, "Input 'x': data must be a list."),
        ({"name": "x", "datatype": "FP32", "shape": [1], "data": ["1"]}, "Input 'x': FP32 data must be numbers."),
        ({"name": "x", "datatype": "FP64", "shape": [1], "data": [True]}, "Input 'x': FP64 data must be numbers."),
        ({"name": "x", "datatype": "INT64", "shape": [1], "data": [1.5]}, "Input 'x': INT64 data must be integers."),
        ({"name": "x", "datatype": "INT32", "shape": [1], "data": [False]}, "Input 'x': INT32 data must be integers."),
        (
            {"name": "x", "datatype": "INT8", "shape": [1], "data": [300]},
            "Input 'x': a value is outside the INT8 range.",
        ),
        (
            {"name": "x", "datatype": "UINT8", "shape": [1], "data": [-1]},
            "Input 'x': a value is outside the UINT8 range.",
        ),
        ({"name": "x", "datatype": "BOOL", "shape": [1], "data": [1]}, "Input 'x': BOOL data must be true or false."),
        ({"name": "x", "datatype": "BYTES", "shape": [1], "data": [1]}, "Input 'x': BYTES data must be strings."),
        (
            {"name": "x", "datatype": "FP32", "shape": [1], "data": [1], "parameters": []},
            "Input 'x': parameters must be an object.",
        ),
        ({"name": "", "datatype": "FP32", "shape": [1], "data": [1]}, "Every input needs a non-empty name."),
    ],
)
def test_malformed_tensors_name_the_input(tensor, message):
    assert error_of(body(tensor)).startswith(message)


@pytest.mark.parametrize(
    ("tensor", "data", "one_pass"),
    [
        ({"name": "input", "datatype": "FP32", "shape": [1, 4], "data": [0.5, 1.0, 2.5, -3.0]}, None, True),
        ({"name": "x", "datatype": "FP64", "shape": [4], "data": [0.5, 1.0, 2.5, -3.0]}, None, True),
        ({"name": "x", "datatype": "FP16", "shape": [2, 1, 2], "data": [0.5, 1.0, 2.5, -3.0]}, None, True),
        ({"name": "x", "datatype": "FP32", "shape": [2, 2], "data": [[0.5, 1.0], [2.5, -3.0]]}, None, False),
        ({"name": "x", "datatype": "FP32", "shape": [1, 2], "data": [1, 2.5]}, [1.0, 2.5], False),  # an int
    ],
)
def test_the_common_request_decodes_as_the_general_path_does(tensor, data, one_pass):
    # {"inputs": [...]} alone takes the one-pass path; an empty "parameters" sends the same
    # request down the general path, which must decode it to the same thing
    common = codec.decode_json_request(body(tensor))
    general = codec.decode_json_request(body(tensor, parameters={}))
    assert (common.id, common.inputs, common.outputs, common.parameters) == (
        general.id,
        general.inputs,
        general.outputs,
        general.parameters,
    )
    assert common.inputs[0].data == (data or [0.5, 1.0, 2.5, -3.0])
    # only the one-pass path vouches that the data are floats (validation then skips its scan)
    assert (common.floats, general.floats) == (one_pass, False)


def test_the_all_outputs_json_response_is_the_tensor_path_s():
    cases = [
        {"outputs": [3, 1], "probabilities": [[0.1, 0.9], [0.8, 0.2]], "confidence": [0.9, 0.8]},
        {"outputs": [2], "probabilities": [[0, 1.0, 0.0]], "confidence": [1]},  # ints among the floats
        {"outputs": [0.5, 1.5], "probabilities": None, "confidence": None},
        {"outputs": [[1.0, 2.0]], "probabilities": None, "confidence": None},
        {"outputs": ["cat"], "probabilities": None, "confidence": None},
        {"outputs": [True], "probabilities": None, "confidence": None},
    ]
    for case in cases:
        ids = [f"m-{i}" for i in range(len(case["outputs"]))]
        tensors = oip_outputs.result_tensors(**case, request_ids=ids)
        general, _ = oip_outputs.encode_json_response(
            model_name="p.d",
            model_version="3",
            request_id="r",
            outputs=[(t, False) for t in tensors],
            parameters={"violations": [{"feature": "a"}]},
        )
        common = oip_outputs.encode_all_json(
            model_name="p.d",
            model_version="3",
            request_id="r",
            outputs=oip_outputs.result_outputs(**case, request_ids=ids),
            parameters={"violations": [{"feature": "a"}]},
        )
        assert common == general, case


def _binary(datatype: str, shape: list[int], raw: bytes, size: int | None = None) -> tuple[bytes, int]:
    head = json.dumps(
        {
            "inputs": [
                {
                    "name": "x",
                    "datatype": datatype,
                    "shape": shape,
                    "parameters": {"binary_data_size": len(raw) if size is None else size},
                }
            ]
        }
    ).encode()
    return head + raw, len(head)


def test_malformed_binary_tensors():
    raw, n = _binary("FP32", [3], np.zeros(2, dtype=np.float32).tobytes())
    assert error_of(raw, n) == "Input 'x': shape [3] of FP32 needs 12 bytes; got 8."
    raw, n = _binary("FP32", [1], b"\0\0\0\0", size=8)
    assert error_of(raw, n) == "Input 'x': binary_data_size 8 runs past the end of the body."
    raw, n = _binary("FP32", [1], b"\0\0\0\0", size=-1)
    assert error_of(raw, n) == "Input 'x': binary_data_size must be a non-negative integer."
    raw, n = _binary("FP32", [1], b"\0\0\0\0")
    assert error_of(raw + b"extra", n) == "The body holds 5 bytes of binary data no input claims."
    assert error_of(raw) == "The request is not valid JSON."  # the header length is missing
    assert error_of(raw, len(raw) + 1).startswith("Inference-Header-Content-Length")
    head = raw[:n]
    assert error_of(head, len(head)) == "Input 'x': binary_data_size 4 runs past the end of the body."
    only_json = body({"name": "x", "datatype": "FP32", "shape": [1], "parameters": {"binary_data_size": 4}})
    assert error_of(only_json) == "Input 'x': binary data needs the Inference-Header-Content-Length header."
    raw, n = _binary("BYTES", [1], struct.pack("<I", 9) + b"abc")
    assert error_of(raw, n) == "Input 'x': a BYTES element runs past the end of its data."
    raw, n = _binary("BYTES", [1], b"\1\0")
    assert error_of(raw, n) == "Input 'x': truncated BYTES element length."
    raw, n = _binary("BYTES", [2], struct.pack("<I", 1) + b"a")
    assert error_of(raw, n) == "Input 'x': shape [2] needs 2 elements; the data holds 1."


def test_one_matrix_tensor_gives_rows():
    t = Tensor("input-0", "FP32", [2, 2, 2], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0])
    assert codec.tensors_to_rows([t]) == [[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]
    assert codec.tensors_to_rows([Tensor("x", "FP32", [3], [1.0, 2.0, 3.0])]) == [[1.0, 2.0, 3.0]]
    assert not codec.needs_features([t])
    assert codec.needs_features([Tensor("x", "FP32", [3], [1.0, 2.0, 3.0])])


def test_named_columns_are_combined_in_feature_order():
    inputs = [
        Tensor("colour", "BYTES", [2, 1], [b"red", b"blue"]),
        Tensor("size", "FP64", [2], [1.5, 2.5]),
    ]
    assert codec.tensors_to_rows(inputs, ["size", "colour"]) == [[1.5, "red"], [2.5, "blue"]]
    assert codec.tensors_to_rows([Tensor("size", "FP64", [2], [1.0, 2.0])], ["size"]) == [[1.0], [2.0]]


@pytest.mark.parametrize(
    ("inputs", "features", "message"),
    [
        (
            [Tensor("a", "FP32", [1], [1.0]), Tensor("b", "FP32", [1], [1.0])],
            None,
            "Several inputs need a model signature",
        ),
        (
            [Tensor("a", "FP32", [1], [1.0]), Tensor("z", "FP32", [1], [1.0])],
            ["a", "b"],
            "Input 'z' is not one of the model's features (a, b).",
        ),
        ([Tensor("a", "FP32", [1], [1.0]), Tensor("a", "FP32", [1], [1.0])], ["a", "b"], "Input 'a' is given twice."),
        (
            [Tensor("a", "FP32", [1], [1.0])] * 1 + [Tensor("b", "FP32", [1, 2], [1.0, 2.0])],
            ["a", "b"],
            "Input 'b': a feature column has shape [batch] or [batch, 1].",
        ),
        (
            [Tensor("a", "FP32", [1], [1.0]), Tensor("b", "FP32", [2], [1.0, 2.0])],
            ["a", "b"],
            "Input 'b' has 2 rows; the other inputs have 1.",
        ),
        (
            [Tensor("a", "FP32", [1], [1.0]), Tensor("c", "FP32", [1], [1.0])],
            ["a", "b", "c"],
            "Input 'b' is missing: the model takes a, b, c.",
        ),
        ([Tensor("x", "FP32", [0, 4], [])], None, "Input 'x' holds no rows."),
        ([Tensor("x", "FP32", [0], [])], None, "Input 'x' holds no rows."),
        ([Tensor("x", "BYTES", [1, 1], [b"\xff"])], None, "BYTES elements must be UTF-8 text."),
    ],
)
def test_inputs_that_make_no_rows(inputs, features, message):
    with pytest.raises(OIPError) as info:
        codec.tensors_to_rows(inputs, features)
    assert info.value.message.startswith(message)
    assert info.value.status == 400


def test_result_tensors_for_a_classifier_and_a_regressor():
    tensors = oip_outputs.result_tensors(
        outputs=[3, 1], probabilities=[[0.1, 0.9], [0.8, 0.2]], confidence=[0.9, 0.8], request_ids=["m-0", "m-1"]
    )
    assert [(t.name, t.datatype, t.shape) for t in tensors] == [
        ("label", "INT64", [2]),
        ("probabilities", "FP32", [2, 2]),
        ("confidence", "FP32", [2]),
        ("request_id", "BYTES", [2]),
    ]
    assert tensors[0].data == [3, 1]
    assert tensors[3].data == [b"m-0", b"m-1"]
    regression = oip_outputs.result_tensors(outputs=[0.5], probabilities=None, confidence=None, request_ids=["m-0"])
    first = regression[0]
    assert (first.name, first.datatype, first.shape, first.data) == ("prediction", "FP64", [1], [0.5])
    multi = oip_outputs.result_tensors(outputs=[[1.0, 2.0]], probabilities=None, confidence=None, request_ids=["m-0"])
    assert (multi[0].name, multi[0].shape, multi[0].data) == ("prediction", [1, 2], [1.0, 2.0])
    labels = oip_outputs.result_tensors(outputs=["cat"], probabilities=None, confidence=None, request_ids=["m-0"])
    assert (labels[0].name, labels[0].datatype, labels[0].data) == ("label", "BYTES", [b"cat"])


def test_binary_outputs_round_trip():
    tensors = oip_outputs.result_tensors(
        outputs=[3, 1], probabilities=[[0.25, 0.75], [0.5, 0.5]], confidence=None, request_ids=["m-0", "m-1"]
    )
    selected = oip_outputs.select_outputs(
        tensors,
        [
            codec.RequestedOutput("probabilities", True),
            codec.RequestedOutput("label"),
            codec.RequestedOutput("request_id", True),
        ],
    )
    payload, head_length = oip_outputs.encode_json_response(
        model_name="p.d", model_version="2", request_id="r1", outputs=selected
    )
    assert head_length is not None
    head = json.loads(payload[:head_length])
    assert head["model_name"] == "p.d" and head["model_version"] == "2" and head["id"] == "r1"
    assert [o["name"] for o in head["outputs"]] == ["probabilities", "label", "request_id"]
    assert head["outputs"][1]["data"] == [3, 1]
    size = head["outputs"][0]["parameters"]["binary_data_size"]
    rest = payload[head_length:]
    probs = np.frombuffer(rest[:size], dtype=np.float32).reshape(2, 2)
    assert probs.tolist() == [[0.25, 0.75], [0.5, 0.5]]
    ids = codec.decode_raw("request_id", "BYTES", [2], rest[size:])
    assert ids == [b"m-0", b"m-1"]
    plain, none = oip_outputs.encode_json_response(
        model_name="p.d", model_version="2", request_id=None, outputs=selected[1:2]
    )
    assert none is None
    assert json.loads(plain) == {
        "model_name": "p.d",
        "model_version": "2",
        "outputs": [{"name": "label", "datatype": "INT64", "shape": [2], "data": [3, 1]}],
    }


def test_unknown_requested_output():
    tensors = oip_outputs.result_tensors(outputs=[1], probabilities=None, confidence=None, request_ids=["m-0"])
    with pytest.raises(OIPError) as info:
        oip_outputs.select_outputs(tensors, [codec.RequestedOutput("logits")])
    assert info.value.message == "Unknown output 'logits' (this model returns label, request_id)."


def test_model_names():
    assert codec.split_model_name("digits.prod") == ("digits", "prod")
    assert codec.split_model_name("digits.prod.v2") == ("digits", "prod.v2")
    assert codec.split_model_name("nodot") == ("nodot", "")
    assert oip_outputs.error_body("bad") == b'{"error":"bad"}'


def test_credentials_from_headers():
    assert oip_rest.credentials(api_key="k", authorization=None) == oip_rest.core.Credentials(api_key="k")
    assert oip_rest.credentials(api_key=None, authorization="Token t1").token == "t1"
    assert oip_rest.credentials(api_key=None, authorization="Bearer t2").token == "t2"
    assert oip_rest.credentials(api_key="", authorization="Basic abc") == oip_rest.core.Credentials()


def call(method: str, path: str, raw: bytes = b"", headers: dict | None = None):
    # A thread of its own: a browser test earlier in the session may leave an event loop running
    # in the main thread (Playwright's sync API), where asyncio.run refuses to start.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, oip_rest.handle(method, path, headers or {}, raw)).result()


def test_rest_routes_that_need_no_model():
    status, headers, payload = call("GET", "/v2")
    assert status == 200
    doc = json.loads(payload)
    assert doc["name"] == "shipyard" and doc["extensions"] == ["binary_tensor_data"] and doc["version"]
    assert call("GET", "/v2/health/live")[::2] == (200, b"")
    assert call("GET", "/v2/nothing")[0] == 404
    assert json.loads(call("GET", "/v2/models/a.b/versions")[2]) == {"error": "Not found: /v2/models/a.b/versions"}
    status, headers, payload = call("GET", "/v2/models/a.b/infer")
    assert (status, json.loads(payload)) == (405, {"error": "Use POST."})
    assert (b"allow", b"POST") in headers
    status, _, payload = call("POST", "/v2/models/a.b/infer", b"x" * (oip_rest.config().max_body_bytes + 1))
    assert status == 413
    assert json.loads(payload)["error"].startswith("The body is larger than")


def test_float_data_keeps_floats_and_converts_integers():
    floats = codec.decode_json_request(
        b'{"inputs": [{"name": "x", "datatype": "FP32", "shape": [2], "data": [0.5, 2.0]}]}'
    )
    assert floats.inputs[0].data == [0.5, 2.0]
    mixed = codec.decode_json_request(
        b'{"inputs": [{"name": "x", "datatype": "FP64", "shape": [2], "data": [1, 2.5]}]}'
    )
    assert mixed.inputs[0].data == [1.0, 2.5] and all(type(v) is float for v in mixed.inputs[0].data)
