"""The Open Inference Protocol end to end: a real gateway process (REST and gRPC), a real
serving worker, the web process, Redis and Postgres. Clients: ``tritonclient[http,grpc]`` and a
plain V2 JSON request as MLServer's clients send it."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

import grpc
import numpy as np
import pytest
import requests
import tritonclient.http as httpclient
from rest_framework.authtoken.models import Token

from shipyard.accounts.tokens import token_mirror
from shipyard.gateway.proto import grpc_predict_v2_pb2 as pb
from shipyard.gateway.proto import grpc_predict_v2_pb2_grpc as pb_grpc
from shipyard.serving import drain
from shipyard.serving.demo import FEATURES
from shipyard.serving.models import PredictionLog
from tests.conftest import REPO_ROOT
from tests.serving.conftest import Proc, free_port, make_versions, serving_env, start_serving_worker, start_web

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

MODEL = "fraud-model.digits"


def start_gateway(env: dict[str, str]) -> tuple[Proc, str, str]:
    port, grpc_port = free_port(), free_port()
    env = {**env, "GATEWAY_GRPC_PORT": str(grpc_port)}
    proc = Proc(
        f"gateway-oip-{port}",
        [sys.executable, "-m", "shipyard.gateway", "--host", "127.0.0.1", "--port", str(port)],
        env,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/v2/health/live", timeout=1).status_code == 200:
                return proc, url, f"127.0.0.1:{grpc_port}"
        except requests.RequestException:
            pass
        if not proc.alive():
            break
        time.sleep(0.2)
    proc.stop()
    raise RuntimeError(f"gateway did not start:\n{proc.log()}")


@pytest.fixture(scope="module")
def stack(django_db_setup: Any, django_db_blocker: Any) -> Any:
    import redis
    from django.conf import settings

    r = redis.Redis.from_url(settings.REDIS_URL)
    r.flushdb()
    worker = start_serving_worker("serving-oip", r)
    web, url = start_web(threads=8)
    gateway, gateway_url, grpc_address = start_gateway(serving_env())
    yield {"web": url, "gateway": gateway_url, "grpc": grpc_address, "redis": r}
    gateway.stop()
    web.stop()
    worker.stop()
    assert "Traceback" not in gateway.log(), gateway.log()


def api(stack: Any, token: str, method: str, path: str, **kw: Any) -> requests.Response:
    return requests.request(
        method,
        f"{stack['web']}/api/v1/projects/fraud-model/deployments/{path}",
        headers={"Authorization": f"Token {token}"},
        timeout=30,
        **kw,
    )


@pytest.fixture
def deployed(stack: Any, world: Any, digits_onnx: Any) -> dict[str, Any]:
    """The owner's token (mirrored to the data plane) and deployment ``digits`` serving v1."""
    token = Token.objects.create(user=world.owner).key
    token_mirror(key=token)
    versions = make_versions(world.project, digits_onnx)
    res = api(stack, token, "POST", "", json={"name": "digits", "model": "digits", "version": 1, "reason": "first"})
    assert res.status_code == 201, res.text
    auth = {"Authorization": f"Token {token}"}
    # The gateway may still hold the previous test's route (same names, other ids) for its cache
    # TTL (SERVING_CONFIG_TTL_S, 0.5 s): wait until it sees this deployment.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if requests.get(f"{stack['gateway']}/v2/models/{MODEL}/ready", headers=auth, timeout=5).status_code == 200:
            break
        time.sleep(0.1)
    return {"token": token, "versions": versions, "auth": auth}


def v2_json(rows: list[list[float]], **extra: Any) -> dict[str, Any]:
    return {
        "inputs": [{"name": "input", "shape": [len(rows), len(rows[0])], "datatype": "FP32", "data": rows}],
        **extra,
    }


def infer(stack: Any, body: Any, headers: dict[str, str], model: str = MODEL, **kw: Any) -> requests.Response:
    return requests.post(f"{stack['gateway']}/v2/models/{model}/infer", json=body, headers=headers, timeout=30, **kw)


def tensor(doc: dict[str, Any], name: str) -> Any:
    return next(o for o in doc["outputs"] if o["name"] == name)["data"]


def test_v2_clients_answer_as_shipyard_predict(stack: Any, deployed: Any, digits_rows: Any) -> None:
    rows = digits_rows[:8]
    token, auth = deployed["token"], deployed["auth"]
    own = requests.post(
        f"{stack['web']}/serve/fraud-model/digits/predict", json={"inputs": rows}, headers=auth, timeout=30
    )
    assert own.status_code == 200, own.text
    expected = own.json()

    # a plain V2 JSON request, as MLServer's clients send it
    res = infer(stack, v2_json(rows, id="req-1"), auth)
    assert res.status_code == 200, res.text
    doc = res.json()
    assert (doc["model_name"], doc["model_version"], doc["id"]) == (MODEL, "1", "req-1")
    assert tensor(doc, "label") == expected["outputs"]
    assert np.allclose(np.asarray(tensor(doc, "probabilities")).reshape(8, -1), expected["probabilities"], atol=1e-6)
    request_ids = tensor(doc, "request_id")
    assert len(set(request_ids)) == 8

    # several named feature columns combine into the same rows
    names = list(FEATURES)
    columns = {
        "inputs": [
            {"name": n, "shape": [8], "datatype": "FP64", "data": [r[i] for r in rows]} for i, n in enumerate(names)
        ]
    }
    res = infer(stack, columns, auth)
    assert res.status_code == 200, res.text
    assert tensor(res.json(), "label") == expected["outputs"]

    # tritonclient over HTTP, binary tensors both ways
    client = httpclient.InferenceServerClient(url=stack["gateway"].removeprefix("http://"))
    assert client.is_server_live() and client.is_server_ready()
    assert client.is_model_ready(MODEL, headers=auth)
    meta = client.get_model_metadata(MODEL, headers=auth)
    assert meta["inputs"] == [{"name": "input", "datatype": "FP32", "shape": [-1, 64]}]
    assert [o["name"] for o in meta["outputs"]] == ["label", "probabilities", "confidence", "request_id"]
    assert client.get_server_metadata()["extensions"] == ["binary_tensor_data"]
    x = httpclient.InferInput("input", [8, 64], "FP32")
    x.set_data_from_numpy(np.asarray(rows, dtype=np.float32), binary_data=True)
    outputs = [httpclient.InferRequestedOutput(n, binary_data=True) for n in ("label", "probabilities", "request_id")]
    result = client.infer(MODEL, [x], outputs=outputs, headers=dict(auth), request_id="req-2")  # it adds headers
    assert result.get_response()["id"] == "req-2"
    assert result.as_numpy("label").tolist() == expected["outputs"]
    assert np.allclose(result.as_numpy("probabilities"), expected["probabilities"], atol=1e-6)
    assert len(result.as_numpy("request_id")) == 8

    # tritonclient over gRPC, in a process of its own
    out = subprocess.run(
        [sys.executable, "-m", "tests.gateway.triton_grpc_client", stack["grpc"], MODEL, token, json.dumps(rows)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO_ROOT,
        env=serving_env(),
        check=False,
    )
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert got["live"] and got["ready"] and got["model_ready"] and got["server"] == "shipyard"
    assert got["inputs"] == [["input", "FP32", [-1, 64]]]
    assert got["outputs"] == ["label", "probabilities", "confidence", "request_id"]
    assert got["model_version"] == "1"
    assert got["label"] == expected["outputs"]
    assert np.allclose(got["probabilities"], expected["probabilities"], atol=1e-6)

    # the prediction log holds V2 requests, and feedback takes their request ids
    time.sleep(1.5)  # the gateway flushes its counters and log records every second
    drain.drain_stats(stack["redis"])
    drain.drain_prediction_log(stack["redis"])
    for rid in [*request_ids, *got["request_id"]]:
        assert PredictionLog.objects.filter(request_id=rid, deployment__name="digits").exists(), rid
    res = requests.post(
        f"{stack['web']}/serve/fraud-model/digits/feedback",
        json={"request_id": request_ids[0], "label": 3},
        headers=auth,
        timeout=30,
    )
    assert res.status_code == 201, res.text


def test_v2_canary_split_and_sticky_routing_key(stack: Any, deployed: Any, digits_rows: Any) -> None:
    token, auth = deployed["token"], deployed["auth"]
    res = api(stack, token, "POST", "digits/canary/", json={"version": 2, "weight": 50, "reason": "try v2"})
    assert res.status_code == 200, res.text
    time.sleep(1.0)  # the gateway's route cache
    body = v2_json(digits_rows[:1])
    seen = {infer(stack, body, auth).json()["model_version"] for _ in range(40)}
    assert seen == {"1", "2"}
    for key in ("user-1", "user-2", "user-3"):
        sticky = {
            infer(stack, {**body, "parameters": {"routing_key": key}}, auth).json()["model_version"] for _ in range(8)
        }
        by_header = {infer(stack, body, {**auth, "X-Routing-Key": key}).json()["model_version"] for _ in range(8)}
        assert len(sticky) == 1 and sticky == by_header
    # a version in the path must be one the deployment serves
    res = requests.post(f"{stack['gateway']}/v2/models/{MODEL}/versions/2/infer", json=body, headers=auth, timeout=30)
    assert res.status_code == 200 and res.json()["model_version"] in {"1", "2"}
    res = requests.post(f"{stack['gateway']}/v2/models/{MODEL}/versions/9/infer", json=body, headers=auth, timeout=30)
    assert (res.status_code, res.json()) == (404, {"error": f"Model '{MODEL}' has no version '9'."})


def grpc_call(stack: Any, method: str, request: Any, metadata: list[tuple[str, str]]) -> Any:
    with grpc.insecure_channel(stack["grpc"]) as channel:
        stub = pb_grpc.GRPCInferenceServiceStub(channel)
        return getattr(stub, method)(request, metadata=metadata, timeout=30)


def grpc_error(stack: Any, method: str, request: Any, metadata: list[tuple[str, str]]) -> tuple[Any, str]:
    with pytest.raises(grpc.RpcError) as info:
        grpc_call(stack, method, request, metadata)
    return info.value.code(), info.value.details()


def test_v2_bad_input_and_auth_on_both_protocols(stack: Any, world: Any, deployed: Any, digits_rows: Any) -> None:
    auth = deployed["auth"]
    body = v2_json(digits_rows[:2])
    # REST: 401 before anything about the model, 404 only after authentication
    for headers in ({}, {"Authorization": "Token nope"}, {"X-Api-Key": "nope"}):
        for model in (MODEL, "fraud-model.nothing", "nodot"):
            res = infer(stack, body, headers, model=model)
            assert res.status_code == 401, (headers, model, res.text)
            assert set(res.json()) == {"error"}
    outsider = Token.objects.create(user=world.outsider).key
    token_mirror(key=outsider)
    for headers, model in [
        (auth, "fraud-model.nothing"),
        (auth, "nodot"),
        ({"Authorization": f"Bearer {outsider}"}, MODEL),
    ]:
        res = infer(stack, body, headers, model=model)
        assert (res.status_code, res.json()) == (404, {"error": "No such deployment."})
        res = requests.get(f"{stack['gateway']}/v2/models/{model}", headers=headers, timeout=30)
        assert res.status_code == 404
    bad = [
        (b"{", "The request is not valid JSON."),
        (
            json.dumps({"inputs": [{"name": "input", "shape": [2, 64], "datatype": "FP32", "data": [1.0] * 127}]}),
            "Input 'input': shape [2, 64] needs 128 elements; the data holds 127.",
        ),
        (
            json.dumps({"inputs": [{"name": "input", "shape": [1, 64], "datatype": "FP8", "data": [1.0] * 64}]}),
            "Input 'input': unsupported datatype 'FP8'",
        ),
        (
            json.dumps({"inputs": [{"name": "input", "shape": [1, 64], "datatype": "INT64", "data": [0.5] * 64}]}),
            "Input 'input': INT64 data must be integers.",
        ),
        (  # an unhashable datatype
            json.dumps({"inputs": [{"name": "input", "shape": [1, 64], "datatype": ["FP32"], "data": [1.0] * 64}]}),
            "Input 'input': unsupported datatype ['FP32']",
        ),
        (
            json.dumps(
                {"inputs": [{"name": "input", "shape": [1, 64], "datatype": "FP32", "data": [1.0] * 63 + ["x"]}]}
            ),
            "Input 'input': FP32 data must be numbers.",
        ),
        (json.dumps(v2_json([r[:63] for r in digits_rows[:1]])), "Row 0 has 63 values; the model takes 64."),
    ]
    for raw, message in bad:
        res = requests.post(f"{stack['gateway']}/v2/models/{MODEL}/infer", data=raw, headers=auth, timeout=30)
        assert res.status_code == 400, res.text
        assert res.json()["error"].startswith(message), res.text
    # malformed input from a caller without credentials is still a 401
    res = requests.post(f"{stack['gateway']}/v2/models/{MODEL}/infer", data=b"{", timeout=30)
    assert res.status_code == 401
    res = requests.post(
        f"{stack['gateway']}/v2/models/{MODEL}/infer", data=b"x" * (8 * 1024**2 + 1), headers=auth, timeout=30
    )
    assert res.status_code == 413 and "error" in res.json()

    # gRPC: the same refusals as status codes
    token = deployed["token"]
    meta = [("authorization", f"Token {token}")]
    rows = np.asarray(digits_rows[:2], dtype=np.float32)

    def request(
        model: str = MODEL, shape: tuple[int, ...] = (2, 64), datatype: str = "FP32", raw: bytes | None = None
    ) -> Any:
        req = pb.ModelInferRequest(model_name=model)
        req.inputs.add(name="input", datatype=datatype, shape=list(shape))
        req.raw_input_contents.append(rows.tobytes() if raw is None else raw)
        return req

    ok = grpc_call(stack, "ModelInfer", request(), meta)
    assert ok.model_version == "1" and ok.outputs[0].name == "label"
    assert np.frombuffer(ok.raw_output_contents[0], dtype=np.int64).shape == (2,)
    typed = pb.ModelInferRequest(model_name=MODEL)
    typed.inputs.add(name="input", datatype="FP32", shape=[2, 64]).contents.fp32_contents.extend(
        rows.reshape(-1).tolist()
    )
    assert grpc_call(stack, "ModelInfer", typed, meta).raw_output_contents[0] == ok.raw_output_contents[0]
    code, details = grpc_error(stack, "ModelInfer", request(), [])
    assert code == grpc.StatusCode.UNAUTHENTICATED
    code, _ = grpc_error(stack, "ModelInfer", request(model="fraud-model.nothing"), [])
    assert code == grpc.StatusCode.UNAUTHENTICATED
    code, details = grpc_error(stack, "ModelInfer", request(model="fraud-model.nothing"), meta)
    assert (code, details) == (grpc.StatusCode.NOT_FOUND, "No such deployment.")
    code, _ = grpc_error(stack, "ModelMetadata", pb.ModelMetadataRequest(name="fraud-model.nothing"), meta)
    assert code == grpc.StatusCode.NOT_FOUND
    code, details = grpc_error(stack, "ModelInfer", request(shape=(3, 64)), meta)
    assert (code, details) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "Input 'input': shape [3, 64] of FP32 needs 768 bytes; got 512.",
    )
    code, details = grpc_error(stack, "ModelInfer", request(datatype="FP8"), meta)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and details.startswith("Input 'input': unsupported datatype 'FP8'")
    narrow = np.asarray([r[:63] for r in digits_rows[:2]], dtype=np.float32).tobytes()
    code, details = grpc_error(stack, "ModelInfer", request(shape=(2, 63), raw=narrow), meta)
    assert (code, details) == (grpc.StatusCode.INVALID_ARGUMENT, "Row 0 has 63 values; the model takes 64.")
    code, _ = grpc_error(stack, "ModelInfer", request(raw=b"\0" * (8 * 1024**2 + 1)), meta)
    assert code == grpc.StatusCode.RESOURCE_EXHAUSTED


def test_v2_redis_outage_is_503_with_retry_after_and_grpc_unavailable(django_db_setup: Any) -> None:
    """With Redis unreachable the gateway cannot authorize nor route: both protocols say
    "unavailable, retry" in their own shape, and no credentials is still a 401 / UNAUTHENTICATED."""
    env = serving_env(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    proc, url, grpc_address = start_gateway(env)
    down = {"gateway": url, "grpc": grpc_address}
    try:
        body = {"inputs": [{"name": "input", "shape": [1, 64], "datatype": "FP32", "data": [0.0] * 64}]}
        for headers in ({"X-Api-Key": "sk_x"}, {"Authorization": "Token " + "a" * 40}):
            res = infer(down, body, headers)
            assert res.status_code == 503, res.text
            assert res.headers["Retry-After"] == "1" and set(res.json()) == {"error"}
            res = requests.get(f"{url}/v2/models/{MODEL}", headers=headers, timeout=30)
            assert res.status_code == 503 and set(res.json()) == {"error"}
        assert requests.get(f"{url}/v2/health/ready", timeout=30).status_code == 400  # the protocol: not ready
        assert infer(down, body, {}).status_code == 401
        request = pb.ModelInferRequest(model_name=MODEL)
        request.inputs.add(name="input", datatype="FP32", shape=[1, 64]).contents.fp32_contents.extend([0.0] * 64)
        code, _ = grpc_error(down, "ModelInfer", request, [("authorization", "Token " + "a" * 40)])
        assert code == grpc.StatusCode.UNAVAILABLE
        code, _ = grpc_error(down, "ModelInfer", request, [])
        assert code == grpc.StatusCode.UNAUTHENTICATED
    finally:
        proc.stop()
    assert "Traceback" not in proc.log(), proc.log()
