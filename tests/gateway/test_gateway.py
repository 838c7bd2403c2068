"""The gateway process end to end: the same contract as the web process's predict view, credentials
and routes from Redis within a second, 503s when Redis is down, no request lost when a worker dies,
and a busy deployment that does not hold up another's requests."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
import requests
from django.test import Client

from shipyard.accounts.services import token_for, token_revoke
from shipyard.accounts.tokens import tokens_resync
from shipyard.serving import dataplane, lifecycle, protocol
from tests.gateway.conftest import start_gateway, until
from tests.serving.conftest import free_port, make_versions, serving_env, start_serving_worker

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PREDICT = "/serve/fraud-model/digits/predict"


def deploy(world: Any, version: Any, name: str = "digits", **settings: Any) -> Any:
    return lifecycle.deployment_create(
        project=world.project,
        name=name,
        model=version.model,
        version=version,
        by=world.owner,
        reason="first",
        settings={"request_timeout_ms": 20_000, **settings},
    )


@pytest.fixture
def setup(world: Any, digits_onnx: Any, redis_client: Any) -> Any:
    """Versions 1 and 2 of digits, deployment ``digits`` on v1 with an API key, the owner's token."""
    v1, v2 = make_versions(world.project, digits_onnx)
    deployment = deploy(world, v1)
    _, api_key = lifecycle.api_key_create(deployment=deployment, name="app", by=world.owner)
    tokens_resync()  # the world's memberships were made by factories, not the services
    dataplane.ROUTES.clear()
    return {"deployment": deployment, "v1": v1, "v2": v2, "api_key": api_key, "token": token_for(user=world.owner)}


def gw(url: str, path: str = PREDICT, *, body: Any = None, raw: bytes | None = None, **headers: str) -> Any:
    data = raw if raw is not None else json.dumps(body).encode()
    return requests.post(url + path, data=data, headers={"Content-Type": "application/json", **headers}, timeout=30)


def web(path: str = PREDICT, *, body: Any = None, raw: bytes | None = None, **headers: str) -> Any:
    data = raw if raw is not None else json.dumps(body).encode()
    meta = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    return Client().post(path, data=data, content_type="application/json", **meta)


def test_predict_answers_exactly_as_the_web_process(gateway: str, worker: Any, setup: Any, digits_rows: Any) -> None:
    auth = {"Authorization": f"Token {setup['token']}"}
    ours = gw(gateway, body={"inputs": digits_rows[:5]}, **auth)
    theirs = web(body={"inputs": digits_rows[:5]}, **auth)
    assert ours.status_code == theirs.status_code == 200, (ours.text, theirs.content)
    assert ours.headers["Content-Type"] == "application/json"
    a, b = ours.json(), theirs.json()
    assert set(a) == set(b) == {"outputs", "model_version", "request_ids", "probabilities", "confidence"}
    assert a["outputs"] == b["outputs"] and a["model_version"] == b["model_version"] == 1
    assert a["probabilities"] == b["probabilities"] and a["confidence"] == b["confidence"]
    assert len(a["request_ids"]) == 5 and a["request_ids"] != b["request_ids"]
    # an API key, a routing key and named features work alike
    named = {f"pixel_{i}": v for i, v in enumerate(digits_rows[0])}
    res = gw(gateway, body={"inputs": [named], "routing_key": "u-1"}, **{"X-Api-Key": setup["api_key"]})
    assert res.status_code == 200 and res.json()["outputs"] == a["outputs"][:1], res.text


def _cases(row: list[float]) -> list[tuple[str, dict[str, Any]]]:
    """(name, request) pairs the web process refuses; each must get the same answer from the gateway."""
    cases: list[tuple[str, dict[str, Any]]] = [
        ("no credentials", {"body": {"inputs": [row]}, "auth": None}),
        ("unknown token", {"body": {"inputs": [row]}, "auth": "Token " + "0" * 40}),
        ("malformed token", {"body": {"inputs": [row]}, "auth": "Token a\tb"}),
        ("wrong api key", {"body": {"inputs": [row]}, "key": "wrong"}),
        (
            "api key, unknown deployment",
            {"body": {"inputs": [row]}, "key": "KEY", "path": "/serve/fraud-model/x/predict"},
        ),
        ("anonymous, unknown project", {"body": {"inputs": [row]}, "auth": None, "path": "/serve/nope/x/predict"}),
        ("outsider token", {"body": {"inputs": [row]}, "auth": "OUTSIDER"}),
        ("outsider token, unknown", {"body": {"inputs": [row]}, "auth": "OUTSIDER", "path": "/serve/nope/x/predict"}),
        ("unknown deployment", {"body": {"inputs": [row]}, "path": "/serve/fraud-model/x/predict"}),
        ("no inputs", {"body": {"rows": [row]}}),
        ("unknown field", {"body": {"inputs": [row], "extra": 1}}),
        ("empty inputs", {"body": {"inputs": []}}),
        ("short row", {"body": {"inputs": [row[:10]]}}),
        ("out of range", {"body": {"inputs": [[*row[:3], 99.0, *row[4:]]]}}),
        ("a string value", {"body": {"inputs": [[*row[:5], "x", *row[6:]]]}}),
        ("unknown feature", {"body": {"inputs": [{"pixel_0": 0, "color": "red"}]}}),
        ("routing key object", {"body": {"inputs": [row], "routing_key": {"a": 1}}}),
        ("NUL in routing key", {"body": {"inputs": [row], "routing_key": "user\u00001"}}),
        ("NUL in a value", {"body": {"inputs": [["\u0000"] * 64]}}),
        ("NUL in a feature name", {"body": {"inputs": [{"pixel_0\u0000": 1}]}}),
        ("NUL in a key", {"body": {"inputs\u0000": [row]}}),
        # the HTTP parser itself refuses a NUL in a header, before the gateway sees the request
        (
            "NUL in the routing key header",
            {"body": {"inputs": [row]}, "headers": {"X-Routing-Key": "a\u0000b"}, "parser": True},
        ),
        ("not JSON", {"raw": b"{nope"}),
        ("not UTF-8", {"raw": b'{"inputs": "\xff"}'}),
        ("nested lists", {"raw": b"[" * 10_000 + b"]" * 10_000}),
        ("nested objects", {"raw": b'{"a":' * 10_000 + b"1" + b"}" * 10_000}),
        ("too many rows", {"body": {"inputs": [row] * 1025}}),
        ("over the body limit", {"raw": b'{"inputs": [' + b"[1.0]," * 1_500_000 + b"[1.0]]}"}),
    ]
    return cases


def test_every_refusal_of_the_web_process_is_the_same_on_the_gateway(
    gateway: str, setup: Any, world: Any, digits_rows: Any
) -> None:
    outsider = token_for(user=world.outsider)
    for name, case in _cases(digits_rows[0]):
        headers: dict[str, str] = dict(case.get("headers") or {})
        auth = case.get("auth", f"Token {setup['token']}")
        if auth == "OUTSIDER":
            auth = f"Token {outsider}"
        if auth is not None and "key" not in case:
            headers["Authorization"] = auth
        if "key" in case:
            headers["X-Api-Key"] = setup["api_key"] if case["key"] == "KEY" else case["key"]
        kwargs = {"body": case.get("body"), "raw": case.get("raw")}
        path = case.get("path", PREDICT)
        ours, theirs = gw(gateway, path, **kwargs, **headers), web(path, **kwargs, **headers)
        assert theirs.status_code in (400, 401, 404, 413), (name, theirs.status_code)
        assert ours.status_code == theirs.status_code, (name, ours.status_code, theirs.status_code, ours.text)
        if case.get("parser"):
            continue
        assert ours.headers["Content-Type"] == "application/json", name
        a, b = ours.json()["error"], theirs.json()["error"]
        assert a["code"] == b["code"] and a.get("fields", {}).keys() == b.get("fields", {}).keys(), (name, a, b)
    # a GET is a 405 that says what to use
    res = requests.get(gateway + PREDICT, timeout=5)
    assert (
        res.status_code == 405
        and res.headers["Allow"] == "POST"
        and res.json()["error"]["code"] == "method_not_allowed"
    )
    assert requests.get(gateway + "/serve/nothing", timeout=5).status_code == 404


def test_revocations_and_rollbacks_reach_the_gateway_within_a_second(
    gateway: str, worker: Any, setup: Any, world: Any, digits_rows: Any
) -> None:
    body = {"inputs": digits_rows[:1]}
    token, api_key, d = setup["token"], setup["api_key"], setup["deployment"]

    def status(**headers: str) -> int:
        return int(gw(gateway, body=body, **headers).status_code)

    assert status(Authorization=f"Token {token}") == 200
    # a new version goes live: the gateway serves it within ~1 s
    lifecycle.deployment_deploy(deployment=d, version=setup["v2"], by=world.owner, reason="v2", override_gate=True)
    assert until(lambda: gw(gateway, body=body, Authorization=f"Token {token}").json()["model_version"] == 2, seconds=2)
    lifecycle.deployment_rollback(deployment=d, by=world.owner, reason="back")
    assert until(lambda: gw(gateway, body=body, Authorization=f"Token {token}").json()["model_version"] == 1, seconds=2)
    # a revoked API key
    assert status(**{"X-Api-Key": api_key}) == 200
    key = d.api_keys.get()
    lifecycle.api_key_revoke(key=key, by=world.owner)
    assert until(lambda: status(**{"X-Api-Key": api_key}) == 401, seconds=2)
    # a member removed from the team: their token finds no deployment
    teammate = token_for(user=world.teammate)
    assert until(lambda: status(Authorization=f"Token {teammate}") == 200, seconds=2)
    from shipyard.accounts.services import membership_remove

    membership_remove(team=world.team, user=world.teammate)
    assert until(lambda: status(Authorization=f"Token {teammate}") == 404, seconds=2)
    # a revoked token
    token_revoke(key=token)
    assert until(lambda: status(Authorization=f"Token {token}") == 401, seconds=2)


def test_redis_down_is_a_503_with_retry_after() -> None:
    env = serving_env(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    proc, url = start_gateway(env, expect_healthy=False)
    try:
        assert requests.get(f"{url}/healthz", timeout=5).status_code == 503
        for headers in ({"X-Api-Key": "sk_x"}, {"Authorization": "Token " + "a" * 40}):
            res = gw(url, body={"inputs": [[0.0] * 64]}, **headers)
            assert res.status_code == 503, res.text
            assert res.headers["Retry-After"] == "1" and res.json()["error"]["code"] == "unavailable"
        # no credentials is still a 401: nothing needs Redis to say so
        assert gw(url, body={"inputs": [[0.0] * 64]}).status_code == 401
    finally:
        proc.stop()
    assert "Traceback" not in proc.log(), proc.log()


def test_a_worker_killed_under_load_loses_no_request(
    gateway: str, setup: Any, redis_client: Any, digits_rows: Any
) -> None:
    workers = [start_serving_worker(f"gateway-kill-{i}", redis_client) for i in range(2)]
    auth = {"Authorization": f"Token {setup['token']}"}
    results: list[int] = []
    lock = threading.Lock()
    stop = threading.Event()

    def client(i: int) -> None:
        s = requests.Session()
        n = 0
        while not stop.is_set():
            res = s.post(gateway + PREDICT, json={"inputs": [digits_rows[(i + n) % 50]]}, headers=auth, timeout=30)
            with lock:
                results.append(res.status_code)
            n += 1

    pool = [threading.Thread(target=client, args=(i,)) for i in range(8)]
    try:
        for t in pool:
            t.start()
        until(lambda: len(results) > 200, seconds=20)
        workers[0].kill()  # mid-batch, its processing list stays behind
        before = len(results)
        until(lambda: len(results) > before + 300, seconds=30)
        stop.set()
        for t in pool:
            t.join()
    finally:
        stop.set()
        for w in workers:
            w.stop()
    assert len(results) > 500 and set(results) == {200}, {s: results.count(s) for s in set(results)}


def test_a_busy_deployment_does_not_hold_up_another(
    gateway: str, setup: Any, world: Any, redis_client: Any, digits_rows: Any
) -> None:
    """A backlog of 20,000 requests for deployment A; B's one request is answered long before A's
    backlog is gone (with one shared list it would wait behind all of them)."""
    a = deploy(world, setup["v1"], name="busy")
    message = protocol.Request(
        id="a",
        version_key=protocol.version_key(setup["v1"].pk, setup["v1"].artifact_sha256),
        artifact_key=setup["v1"].artifact_key,
        format="onnx",
        rows=[digits_rows[0]],
        reply=protocol.reply_key("busy-neighbour"),
        deadline=time.time() + 600,
        queue=protocol.queue_key(a.pk),
    ).dumps()
    backlog = 20_000
    pipe = redis_client.pipeline(transaction=False)
    for _ in range(backlog // 1000):
        pipe.lpush(protocol.queue_key(a.pk), *([message] * 1000))
    pipe.execute()
    answer: dict[str, Any] = {}

    def call_b() -> None:
        res = gw(gateway, body={"inputs": digits_rows[:1]}, Authorization=f"Token {setup['token']}")
        answer["status"] = res.status_code
        answer["a_left"] = redis_client.llen(protocol.queue_key(a.pk))

    thread = threading.Thread(target=call_b)
    thread.start()
    assert until(lambda: redis_client.llen(protocol.queue_key(setup["deployment"].pk)) == 1, seconds=10)
    worker = start_serving_worker("gateway-neighbour", redis_client)
    try:
        thread.join(timeout=30)
        assert answer["status"] == 200
        assert answer["a_left"] > backlog // 2, answer  # B did not wait for A's backlog
        served = until(lambda: redis_client.llen(protocol.reply_key("busy-neighbour")) >= 1, seconds=30)
        assert served  # and A is served too
    finally:
        worker.stop()


def test_healthz_and_metrics(gateway: str, worker: Any, setup: Any, digits_rows: Any) -> None:
    health = requests.get(f"{gateway}/healthz", timeout=5)
    assert health.status_code == 200 and health.json()["redis"] is True
    assert gw(gateway, body={"inputs": digits_rows[:1]}, Authorization=f"Token {setup['token']}").status_code == 200
    text = requests.get(f"{gateway}/metrics", timeout=5).text
    assert 'shipyard_gateway_requests_total{kind="predict",status="200"}' in text
    assert "shipyard_gateway_request_seconds_bucket" in text and "shipyard_gateway_in_flight" in text
