from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from shipyard.core import heartbeat


def test_healthz_names_missing_workers(db: Any, redis_client: Any) -> None:
    response = Client().get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"] == "ok" and body["checks"]["redis"] == "ok"
    assert body["down"] == ["workers"]
    assert response["Retry-After"]


def test_healthz_ok_with_a_worker_heartbeat(db: Any, redis_client: Any) -> None:
    heartbeat.beat(redis_client, "cpu@test", ["cpu", "monitoring"], "cpu")
    response = Client().get("/healthz")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"]["workers"]["cpu"] == 1


def test_healthz_and_api_503_when_redis_down(db: Any, settings: Any, monkeypatch: Any) -> None:
    import shipyard.core.redis as shipyard_redis

    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    shipyard_redis.client.cache_clear()
    try:
        response = Client().get("/healthz")
        assert response.status_code == 503
        assert set(response.json()["down"]) == {"redis", "workers"}
    finally:
        shipyard_redis.client.cache_clear()


def test_metrics_exposes_prometheus_text(db: Any, redis_client: Any) -> None:
    Client().get("/api/v1/rubric-does-not-exist/")
    response = Client().get("/metrics")
    assert response.status_code == 200
    text = response.content.decode()
    assert "shipyard_http_requests_total" in text
    assert 'shipyard_queue_length{queue="cpu"}' in text


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_smoke_task_runs_on_a_real_worker(celery_worker: Any, redis_client: Any) -> None:
    from shipyard.core.tasks import smoke

    value = uuid.uuid4().hex
    with transaction.atomic():
        transaction.on_commit(lambda: smoke.delay(value))
    deadline = time.monotonic() + 30
    result = None
    while time.monotonic() < deadline and result is None:
        result = redis_client.get(f"shipyard:smoke:{value}")
        time.sleep(0.1)
    assert result == f"pong:{value}:Linux".encode(), celery_worker.log()[-3000:]
    # The worker registered its heartbeat (queues and device) and /healthz sees it.
    workers = heartbeat.live_workers(redis_client) or []
    assert workers == [] or any("cpu" in w["queues"] for w in workers)


def test_nul_in_a_query_parameter_is_a_400_naming_it(world: Any) -> None:
    response = world.client(world.owner).get("/api/v1/projects/?search=a%00b")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"search": ["NUL characters are not allowed."]}


def test_healthz_reports_supervised_processes(db: Any, redis_client: Any) -> None:
    from shipyard.core.supervisor import STATUS_KEY, RedisStatus

    heartbeat.beat(redis_client, "cpu@test", ["cpu", "monitoring"], "cpu")
    row = {"pid": 10, "restarts": 0, "last_exit_code": None, "since": "2026-01-01T00:00:00+00:00"}
    publish = RedisStatus(log=print)
    publish([{"name": "web", **row, "state": "running"}, {"name": "beat", **row, "state": "running"}])
    assert 0 < redis_client.ttl(STATUS_KEY) <= 5
    response = Client().get("/healthz")
    assert response.status_code == 200, response.json()
    assert response.json()["processes"] == {
        "web": {**row, "state": "running"},
        "beat": {**row, "state": "running"},
    }
    # a process waiting to be restarted (or failed) makes the platform degraded
    publish([{"name": "web", **row, "state": "running"}, {"name": "beat", **row, "pid": None, "state": "backoff"}])
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "degraded" and response.json()["down"] == ["processes"]
    assert response.json()["processes"]["beat"]["state"] == "backoff"
    publish.clear()
    assert "processes" not in Client().get("/healthz").json()


def test_metrics_count_jobs_by_status_through_the_jobs_apps_hook(world: Any, redis_client: Any) -> None:
    """/metrics lives in core; the jobs app registers the gauge's refresh (AppConfig.ready)."""
    from django.test import Client

    from shipyard.jobs.models import Job
    from shipyard.registry.models import ModelVersion, RegisteredModel

    model = RegisteredModel.objects.create(project=world.project, name="m")
    version = ModelVersion.objects.create(
        model=model,
        number=1,
        format="onnx",
        artifact_key="sha256/00/" + "0" * 62,
        artifact_sha256="0" * 64,
        artifact_size=1,
    )
    for status in ("queued", "queued", "failed"):
        Job.objects.create(project=world.project, kind="evaluate", model_version=version, status=status)
    text = Client().get("/metrics").content.decode()
    assert 'shipyard_jobs{status="queued"} 2.0' in text
    assert 'shipyard_jobs{status="failed"} 1.0' in text


def test_metrics_serving_queue_length_per_request_list(db: Any, redis_client: Any) -> None:
    """The serving app's hook reports what every request list holds (what a queue-depth autoscaler
    such as deploy/k8s/keda.yaml sums); a list no longer in the set leaves the exposition."""
    from shipyard.serving import protocol

    redis_client.sadd(protocol.QUEUES, protocol.queue_key(41), protocol.queue_key(42))
    redis_client.rpush(protocol.queue_key(41), b"a", b"b", b"c")
    redis_client.rpush(protocol.QUEUE, b"x")
    text = Client().get("/metrics").content.decode()
    assert 'shipyard_serving_queue_length{deployment="41"} 3.0' in text
    assert 'shipyard_serving_queue_length{deployment="42"} 0.0' in text
    assert 'shipyard_serving_queue_length{deployment="shared"} 1.0' in text
    redis_client.srem(protocol.QUEUES, protocol.queue_key(42))
    assert 'deployment="42"' not in Client().get("/metrics").content.decode()
