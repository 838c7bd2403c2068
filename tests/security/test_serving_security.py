"""Attacks on the data plane (``/serve/<project>/<deployment>/predict`` and ``/feedback``) and on the
serving worker: CSRF through the session cookie, the existence oracle, unbounded per-process
caches, hostile bodies (deep nesting, huge, NUL) and garbage on the serving queue."""

from __future__ import annotations

import functools
import hashlib
import json
import secrets
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.test import Client, RequestFactory
from rest_framework.authtoken.models import Token

from shipyard.monitoring.models import Feedback
from shipyard.serving import auth, dataplane, gateway
from shipyard.serving.models import ApiKey
from shipyard.serving.validation import Feature, InputError, InputSchema, validate
from tests.monitoring.conftest import log_predictions, make_setup
from tests.serving.conftest import fake_version

pytestmark = pytest.mark.django_db

BASE = "/api/v1/projects/fraud-model/deployments/"
PREDICT = "/serve/fraud-model/digits/predict"
API_KEY = "sy-test-key-0123456789"
FEEDBACK_KEY = "sy-test-feedback-key-0123456789"


@pytest.fixture(autouse=True)
def _fresh_caches() -> Any:
    dataplane.ROUTES.clear()
    auth.TOKENS.clear()
    yield
    dataplane.ROUTES.clear()
    auth.TOKENS.clear()


def assert_error(response: Any, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"] == "application/json", response["Content-Type"]
    error = response.json()["error"]
    assert error["code"] == code, error
    if field is not None:
        assert field in error["fields"], error
    return dict(error)


def token_for(user: Any) -> str:
    return str(Token.objects.get_or_create(user=user)[0].key)


def token_headers(user: Any) -> dict[str, Any]:
    return {"HTTP_AUTHORIZATION": f"Token {token_for(user)}"}


@pytest.fixture
def digits(world: Any) -> Any:
    """A deployment ``digits`` of acme's fraud-model (the artifact is never run here) with one API key."""
    from shipyard.serving.models import Deployment

    version = fake_version(world.project)
    res = world.client(world.owner).post(
        BASE, {"name": "digits", "model": "digits", "version": version.number, "reason": "first"}, format="json"
    )
    assert res.status_code == 201, res.content
    deployment = Deployment.objects.get(project=world.project, name="digits")
    ApiKey.objects.create(
        deployment=deployment, name="app", prefix="sy-test", key_hash=hashlib.sha256(API_KEY.encode()).hexdigest()
    )
    dataplane.ROUTES.clear()
    return deployment


@pytest.fixture
def logged(world: Any, tmp_path: Path) -> tuple[Any, list[str]]:
    """A deployment with three logged predictions (request ids) to give feedback on."""
    d = make_setup(world.project, tmp_path)
    ids = log_predictions(d, np.random.default_rng(1).normal(size=(3, 4)), outputs=[1, 1, 1])
    ApiKey.objects.create(
        deployment=d, name="app", prefix="sy-test", key_hash=hashlib.sha256(FEEDBACK_KEY.encode()).hexdigest()
    )
    return d, ids


def browser(user: Any, *, with_csrf_token: bool) -> tuple[Client, dict[str, str]]:
    """A logged-in browser session that enforces CSRF like a real one; the headers carry the CSRF
    token when asked (read from the cookie the app's csrf endpoint sets)."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    if not with_csrf_token:
        return client, {}
    assert client.get("/api/v1/auth/csrf/").status_code == 200
    return client, {"HTTP_X_CSRFTOKEN": client.cookies["csrftoken"].value}


def post_json(client: Any, url: str, body: Any, **headers: str) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json", **headers)


def post_raw(client: Any, url: str, raw: bytes, **headers: str) -> Any:
    return client.post(url, data=raw, content_type="application/json", **headers)


# -- hole 5: CSRF through the session cookie ------------------------------------------------------
def test_feedback_with_a_session_and_no_csrf_token_is_a_403_and_writes_nothing(world: Any, logged: Any) -> None:
    d, ids = logged
    client, _ = browser(world.owner, with_csrf_token=False)
    res = post_json(client, f"/serve/fraud-model/{d.name}/feedback", {"request_id": ids[0], "label": 2})
    error = assert_error(res, 403, "csrf_failed")
    assert error["message"].startswith("CSRF check failed")
    assert not Feedback.objects.exists()


def test_feedback_with_a_session_and_its_csrf_token_is_accepted(world: Any, logged: Any) -> None:
    d, ids = logged
    client, csrf = browser(world.owner, with_csrf_token=True)
    res = post_json(client, f"/serve/fraud-model/{d.name}/feedback", {"request_id": ids[0], "label": 2}, **csrf)
    assert res.status_code == 201, res.content
    assert Feedback.objects.get().submitted_by == world.owner
    # a token from another site's page does not match the session's cookie
    client2, _ = browser(world.owner, with_csrf_token=True)
    res = post_json(
        client2, f"/serve/fraud-model/{d.name}/feedback", {"request_id": ids[1], "label": 2}, HTTP_X_CSRFTOKEN="x" * 32
    )
    assert_error(res, 403, "csrf_failed")


def test_feedback_with_a_token_or_an_api_key_needs_no_csrf_token(world: Any, logged: Any) -> None:
    d, ids = logged
    client = Client(enforce_csrf_checks=True)
    url = f"/serve/fraud-model/{d.name}/feedback"
    res = post_json(client, url, {"request_id": ids[0], "label": 2}, **token_headers(world.teammate))
    assert res.status_code == 201, res.content
    res = post_json(client, url, {"request_id": ids[1], "label": 2}, HTTP_X_API_KEY=FEEDBACK_KEY)
    assert res.status_code == 201, res.content
    assert Feedback.objects.count() == 2


def test_predict_with_a_session_needs_the_csrf_token(world: Any, digits: Any) -> None:
    client, _ = browser(world.teammate, with_csrf_token=False)
    assert_error(post_json(client, PREDICT, {"inputs": [[0.0] * 64]}), 403, "csrf_failed")
    # with the token the session is a caller like a token: the body is checked next
    client, csrf = browser(world.teammate, with_csrf_token=True)
    assert_error(post_json(client, PREDICT, {"rows": [[0.0] * 64]}, **csrf), 400, "invalid", "inputs")
    # another team's session: the deployment does not exist for it
    client, csrf = browser(world.outsider, with_csrf_token=True)
    assert_error(post_json(client, PREDICT, {"inputs": [[0.0] * 64]}, **csrf), 404, "not_found")


# -- hole 10: authenticate first, then 404 --------------------------------------------------------
@pytest.mark.parametrize("path", ["predict", "feedback"])
def test_no_existence_oracle_before_credentials(world: Any, digits: Any, path: str) -> None:
    client = Client()
    body = {"inputs": [[0.0] * 64]} if path == "predict" else {"request_id": "r-0", "label": 1}
    known, unknown = f"/serve/fraud-model/digits/{path}", f"/serve/no-such-project/nothing/{path}"
    # anonymous: the same 401 whether or not the deployment exists
    assert_error(post_json(client, known, body), 401, "unauthenticated")
    assert_error(post_json(client, unknown, body), 401, "unauthenticated")
    assert_error(post_json(client, "/serve/rival-secret/nothing/" + path, body), 401, "unauthenticated")
    # an unknown token: 401 everywhere
    bad = {"HTTP_AUTHORIZATION": "Token " + "0" * 40}
    assert_error(post_json(client, known, body, **bad), 401, "unauthenticated")
    assert_error(post_json(client, unknown, body, **bad), 401, "unauthenticated")
    # an API key is checked against a deployment: a wrong key and an unknown deployment look alike
    assert_error(post_json(client, known, body, HTTP_X_API_KEY="wrong"), 401, "unauthenticated")
    assert_error(post_json(client, unknown, body, HTTP_X_API_KEY=API_KEY), 401, "unauthenticated")
    assert_error(
        post_json(client, f"/serve/fraud-model/nothing/{path}", body, HTTP_X_API_KEY=API_KEY), 401, "unauthenticated"
    )
    # a valid token of another team: 404 whether or not the deployment exists
    outsider = token_headers(world.outsider)
    assert_error(post_json(client, known, body, **outsider), 404, "not_found")
    assert_error(post_json(client, unknown, body, **outsider), 404, "not_found")


# -- hole 6: bounded caches -----------------------------------------------------------------------
@pytest.mark.slow  # 20,000 requests through the view, each one database query
def test_ten_thousand_random_tokens_and_names_leave_the_caches_bounded(world: Any, digits: Any) -> None:
    rf = RequestFactory()
    body = json.dumps({"inputs": [[0.0] * 64]})
    assert auth.TOKEN_CACHE_SIZE < 10_000 and dataplane.ROUTE_CACHE_SIZE < 10_000
    for _ in range(10_000):
        request = rf.post(
            PREDICT, data=body, content_type="application/json", HTTP_AUTHORIZATION=f"Token {secrets.token_hex(20)}"
        )
        assert gateway.predict(request, "fraud-model", "digits").status_code == 401
    assert len(auth.TOKENS) == 0  # an unknown token is never cached
    for _ in range(10_000):
        name = secrets.token_hex(8)
        request = rf.post(
            f"/serve/fraud-model/{name}/predict", data=body, content_type="application/json", HTTP_X_API_KEY=API_KEY
        )
        assert gateway.predict(request, "fraud-model", name).status_code == 401
    assert len(dataplane.ROUTES) == 0  # nor an unknown deployment
    # a valid caller still fills each cache with one entry
    request = rf.post(
        PREDICT, data=json.dumps({"rows": []}), content_type="application/json", **token_headers(world.owner)
    )
    assert gateway.predict(request, "fraud-model", "digits").status_code == 400
    assert len(auth.TOKENS) == 1 and len(dataplane.ROUTES) == 1


def test_the_bounded_cache_evicts_and_expires() -> None:
    cache: dataplane.BoundedCache[int, str] = dataplane.BoundedCache(maxsize=8, ttl=lambda: 0.2)
    for i in range(100):
        value = f"v{i}"
        assert cache.get(i, functools.partial(str, value)) == value
    assert len(cache) == 8

    def must_not_load() -> str:
        raise AssertionError("a cached entry was loaded again")

    assert cache.get(99, must_not_load) == "v99"
    time.sleep(0.3)
    assert len(cache) == 0
    assert cache.get(99, lambda: "fresh") == "fresh"
    assert cache.get(1000, lambda: None) is None and len(cache) == 1


# -- hole 7: hostile bodies -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "raw", [b"[" * 10_000 + b"]" * 10_000, b'{"a":' * 10_000 + b"1" + b"}" * 10_000], ids=["lists", "objects"]
)
def test_json_nested_10000_deep_is_a_400(world: Any, digits: Any, logged: Any, raw: bytes) -> None:
    d, _ = logged
    client = Client()
    assert_error(post_raw(client, PREDICT, raw, **token_headers(world.owner)), 400, "invalid", "inputs")
    res = post_raw(client, f"/serve/fraud-model/{d.name}/feedback", raw, **token_headers(world.owner))
    assert_error(res, 400, "invalid", "body")


def test_feedback_nesting_past_its_limit_within_the_interpreter_is_a_400(world: Any, logged: Any) -> None:
    d, ids = logged
    label: Any = 1
    for _ in range(900):
        label = [label, 0]
    res = post_json(
        Client(),
        f"/serve/fraud-model/{d.name}/feedback",
        {"request_id": ids[0], "label": label},
        **token_headers(world.owner),
    )
    assert_error(res, 400, "invalid", "body")
    assert not Feedback.objects.exists()


def test_a_50_mb_predict_body_is_a_json_413(world: Any, digits: Any) -> None:
    raw = b'{"inputs": [' + b"[1.0]," * 9_000_000 + b"[1.0]]}"
    assert len(raw) > 50_000_000
    assert_error(post_raw(Client(), PREDICT, raw, **token_headers(world.owner)), 413, "too_large")


def test_the_predict_body_limit_is_a_setting(world: Any, digits: Any, settings: Any) -> None:
    settings.SERVING_MAX_BODY_BYTES = 2048
    raw = json.dumps({"inputs": [[0.5] * 64] * 10}).encode()
    assert len(raw) > 2048
    assert_error(post_raw(Client(), PREDICT, raw, **token_headers(world.owner)), 413, "too_large")
    # and above Django's own upload limit it is still a JSON 413, never an HTML 400
    settings.SERVING_MAX_BODY_BYTES = 10 * 1024**2
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    assert_error(post_raw(Client(), PREDICT, raw, **token_headers(world.owner)), 413, "too_large")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"request_id": "r-0\u0000", "label": 1}, "request_id"),
        ({"request_id": "r-0", "label": "cat\u0000"}, "label"),
        ({"request_id": "r-0", "label": ["a", "b\u0000"]}, "label"),
        ({"request_id": "r-0", "label": 1, "x\u0000": 1}, "x"),
    ],
)
def test_nul_in_feedback_is_a_400_naming_the_field(world: Any, logged: Any, body: Any, field: str) -> None:
    d, _ = logged
    res = post_json(Client(), f"/serve/fraud-model/{d.name}/feedback", body, **token_headers(world.owner))
    assert_error(res, 400, "invalid", field)
    assert not Feedback.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"inputs": [[0.0] * 64], "routing_key": "user\u00001"}, "routing_key"),
        ({"inputs": [["\u0000"] * 64]}, "inputs"),
        ({"inputs": [{"pixel_0\u0000": 1}]}, "inputs"),
        ({"inputs\u0000": [[0.0] * 64]}, "inputs"),
    ],
)
def test_nul_in_predict_is_a_400_naming_the_field(world: Any, digits: Any, body: Any, field: str) -> None:
    res = post_json(Client(), PREDICT, body, **token_headers(world.owner))
    assert_error(res, 400, "invalid", field)


def test_nul_in_the_routing_key_header_is_a_400(world: Any, digits: Any) -> None:
    res = post_json(
        Client(), PREDICT, {"inputs": [[0.0] * 64]}, HTTP_X_ROUTING_KEY="a\u0000b", **token_headers(world.owner)
    )
    assert_error(res, 400, "invalid", "routing_key")


@pytest.mark.parametrize("value", [["red"], {"a": 1}, "re\u0000d"])
def test_a_categorical_feature_given_a_container_or_nul_is_an_input_error(value: Any) -> None:
    schema = InputSchema(features=[Feature(name="color", kind="categorical", categories=frozenset({"red", "blue"}))])
    with pytest.raises(InputError) as raised:
        validate([{"color": value}], schema, reject=False)
    assert raised.value.field == "color"


# -- hole 10: garbage on the serving queue --------------------------------------------------------
GARBAGE = [
    b"not json",
    b"\xff\xfe\x00garbage",
    b"[1, 2]",
    b'"text"',
    b"{}",
    b'{"id": 1}',
    b"[" * 100_000 + b"]" * 100_000,
    json.dumps(
        {"id": "x", "v": "k", "a": "a", "f": "onnx", "x": "rows", "r": "shipyard:serving:reply:x", "d": 1}
    ).encode(),
    json.dumps(
        {"id": "x", "v": "k", "a": "a", "f": "onnx", "x": [[1]], "r": "shipyard:serving:reply:x", "d": "soon"}
    ).encode(),
    json.dumps(
        {
            "id": "x",
            "v": "k",
            "a": "a",
            "f": "onnx",
            "x": [[1]],
            "r": "shipyard:serving:reply:x",
            "d": 1,
            "b": float("inf"),
        }
    ).encode(),
    # a reply key that is not one: the worker must not push into the request queue itself
    json.dumps(
        {"id": "x", "v": "k", "a": "a", "f": "onnx", "x": [[1]], "r": "shipyard:serving:queue", "d": 9e9}
    ).encode(),
]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_garbage_on_the_serving_queue_is_dropped_and_the_worker_keeps_serving(
    world: Any, redis_client: Any, tmp_path: Path
) -> None:
    from sklearn.datasets import load_digits

    from shipyard.serving import protocol
    from shipyard.serving.demo import train_digits_onnx
    from tests.serving.conftest import make_versions, start_serving_worker

    onnx = tmp_path / "digits.onnx"
    metrics = train_digits_onnx(onnx, epochs=8, seed=0)
    (version,) = make_versions(world.project, {"a": onnx, "a_metrics": metrics}, ("a",))  # type: ignore[dict-item]
    res = world.client(world.owner).post(
        BASE, {"name": "digits", "model": "digits", "version": version.number, "reason": "first"}, format="json"
    )
    assert res.status_code == 201, res.content
    worker = start_serving_worker("h5-serving-garbage", redis_client)
    try:
        redis_client.hset(protocol.WARM, mapping={"junk": "not json", "junk-2": '{"format": "onnx"}'})
        redis_client.lpush(protocol.QUEUE, *GARBAGE)
        deadline = time.monotonic() + 20
        while redis_client.llen(protocol.QUEUE) and time.monotonic() < deadline:
            time.sleep(0.1)
        while "ignoring a malformed warm-set entry" not in worker.log() and time.monotonic() < deadline:
            time.sleep(0.2)  # the warm set is read every 2 s
        assert worker.alive(), worker.log()
        assert redis_client.llen(protocol.QUEUE) == 0
        assert not redis_client.exists(protocol.processing_key(worker.worker_id))  # type: ignore[attr-defined]
        rows = load_digits(return_X_y=True)[0][:3].tolist()
        res = post_json(Client(), PREDICT, {"inputs": rows}, **token_headers(world.owner))
        assert res.status_code == 200, res.content
        assert len(res.json()["outputs"]) == 3
        log = worker.log()
        assert "dropping a malformed serving request" in log and "Traceback" not in log, log
        assert "ignoring a malformed warm-set entry" in log, log
    finally:
        worker.stop()
