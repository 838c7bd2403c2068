"""The real path: the monitoring task on a real Celery worker process, and alert delivery to a webhook."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest

from shipyard.monitoring import reference
from shipyard.monitoring.models import Alert, MonitorRun
from tests.monitoring.conftest import log_predictions, make_setup

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _wait(predicate: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError("timed out")


def test_run_on_worker_fires_and_delivers_alert(
    world: Any, tmp_path: Any, hook: Any, celery_worker: Any, settings: Any
) -> None:
    from shipyard.monitoring.tasks import run_deployment

    settings.OUTBOUND_ALLOW_PRIVATE = True  # the receiver is on 127.0.0.1 (the worker's env allows it too)

    d = make_setup(world.project, tmp_path)
    # The reference is built here (the worker does not share this test's artifact directory).
    reference.reference_ensure(reference.config_for(d))
    reference.config_update(deployment=d, values={"webhook_url": hook.url})
    rows = np.random.default_rng(1).normal(size=(300, 4))
    rows[:, 1] += 3.0
    log_predictions(d, rows)
    run_deployment.delay(d.pk, True)
    _wait(lambda: MonitorRun.objects.filter(deployment=d, kind="drift").exists())
    run = MonitorRun.objects.get(deployment=d, kind="drift")
    assert run.status == "fail" and "f1" in run.detail["drifted"]
    _wait(lambda: bool(hook.bodies))
    assert "f1" in hook.bodies[0]["text"]
    _wait(lambda: bool(Alert.objects.get(key=f"monitor:{d.pk}:drift").deliveries))
    assert Alert.objects.get(key=f"monitor:{d.pk}:drift").deliveries[0]["ok"] is True
