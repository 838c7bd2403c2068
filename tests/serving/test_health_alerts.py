"""The error-rate and latency monitors exist on every deployment without setup and raise alerts on
their own: real traffic through a real web process and serving worker, counted by the real drain,
judged by the monitoring task on a real Celery worker."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from rest_framework.authtoken.models import Token

from shipyard.serving import drain
from tests.serving.conftest import make_versions

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _wait(predicate: Any, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError("timed out")


def test_a_burst_of_errors_raises_an_alert(
    serving_worker: Any,
    web: str,
    celery_worker: Any,
    redis_client: Any,
    world: Any,
    digits_onnx: Any,
    digits_rows: Any,
) -> None:
    from shipyard.monitoring.models import Alert, MonitorConfig, MonitorRun
    from shipyard.monitoring.tasks import run_deployment
    from shipyard.serving.models import Deployment

    token = Token.objects.create(user=world.owner).key
    headers = {"Authorization": f"Token {token}"}
    (v1,) = make_versions(world.project, digits_onnx, ("a",))
    res = requests.post(
        f"{web}/api/v1/projects/fraud-model/deployments/",
        json={"name": "digits", "model": "digits", "version": v1.number, "reason": "first release"},
        headers=headers,
        timeout=30,
    )
    assert res.status_code == 201, res.text
    d = Deployment.objects.get(name="digits")
    # nobody configured a monitor: the defaults apply
    assert not MonitorConfig.objects.filter(deployment=d).exists()

    s = requests.Session()
    url = f"{web}/serve/fraud-model/digits/predict"
    # the route reaches the gateway within a second of the change
    _wait(lambda: s.post(url, json={"inputs": [digits_rows[0]]}, headers=headers, timeout=10).status_code == 200)
    statuses = []
    for i in range(100):
        row = digits_rows[i % len(digits_rows)]
        body = {"inputs": [row if i % 5 < 2 else row[:10]]}  # 3 of every 5 are malformed: 60 % errors
        statuses.append(s.post(url, json=body, headers=headers, timeout=10).status_code)
    assert statuses.count(400) == 60 and statuses.count(200) == 40

    # the web process flushes its counters to Redis every second; the drain folds them into rollups
    def drained() -> bool:
        drain.drain_stats(redis_client)
        return sum(r.count for r in d.rollups.all()) >= 101

    _wait(drained, timeout=20)
    run_deployment.delay(d.pk)
    alert = _wait(lambda: Alert.objects.filter(key=f"monitor:{d.pk}:error_rate", status="open").first())
    run = MonitorRun.objects.filter(deployment=d, kind="error_rate").first()
    assert run is not None and run.status == "fail"
    assert 0.55 < run.value < 0.65, run.value
    assert alert.title.startswith("Error rate on digits: ") and "requests failed in the last 5 min" in alert.title
    latency = MonitorRun.objects.get(deployment=d, kind="latency")
    assert latency.status == "ok" and latency.value is not None
    # the alert is visible through the API the UI reads
    alerts = requests.get(f"{web}/api/v1/alerts/", headers=headers, timeout=10)
    assert alerts.status_code == 200, alerts.text
    assert alert.title in [a["title"] for a in alerts.json()["results"]]
