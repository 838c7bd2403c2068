"""The continuous ingest: undecodable rows counted and skipped, the lag (API, /metrics, alert), and a
row committed late with a lower id is still counted once."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import numpy as np
import pytest
from django.db import connection, connections, transaction
from django.test import Client
from django.utils import timezone

from shipyard.monitoring import feedback, ingest, ingestion, reference
from shipyard.monitoring.models import Alert, MonitorConfig, WindowBucket, WindowKind
from shipyard.serving.models import PredictionLog
from tests.monitoring.conftest import log_predictions, make_setup

RNG = np.random.default_rng(11)


def _bucket_rows(d: Any) -> int:
    return sum(WindowBucket.objects.filter(deployment=d).values_list("rows", flat=True))


@pytest.mark.django_db
def test_undecodable_rows_are_counted_shown_and_skipped(world: Any, tmp_path: Any, redis_client: Any) -> None:
    d = make_setup(world.project, tmp_path)
    config = reference.config_for(d)
    reference.reference_ensure(config)
    ids = log_predictions(d, RNG.normal(size=(200, 4)), start=timezone.now() - dt.timedelta(minutes=5))
    with connection.cursor() as cur:  # three broken input blocks, one broken output
        cur.execute("UPDATE serving_predictionlog SET inputs = %s WHERE request_id = ANY(%s)", [b"\x05abc", ids[10:13]])
        cur.execute("UPDATE serving_predictionlog SET outputs = %s WHERE request_id = %s", [b"J{", ids[150]])
    assert ingest.ingest(config, chunk_size=64) == 200  # the bad rows did not stop it
    config.refresh_from_db()
    assert (config.ingest_rows, config.ingest_invalid) == (196, 4)
    assert set(config.ingest_invalid_examples) == {*ids[10:13], ids[150]}
    assert _bucket_rows(d) == 196
    assert sum((b.counters or {}).get("invalid", 0) for b in WindowBucket.objects.filter(deployment=d)) == 4

    body = world.client(world.owner).get(f"/api/v1/projects/fraud-model/deployments/{d.name}/monitoring/").json()
    assert body["ingest"]["invalid"] == 4 and ids[150] in body["ingest"]["invalid_examples"]
    assert body["ingest"]["rows"] == 196
    metrics = Client().get("/metrics").content.decode()
    assert f'shipyard_monitoring_ingest_invalid_rows{{deployment="{d.name}",project="fraud-model"}} 4.0' in metrics

    # the readers of decoded rows skip them as well
    config.window_kind, config.window_n = WindowKind.LAST_N, 100
    rows, counters = ingest.window_counters(config, timezone.now())
    assert (rows, counters["invalid"]) == (99, 1)
    from rest_framework.exceptions import NotFound

    with pytest.raises(NotFound):
        feedback.feedback_submit(deployment=d, request_id=ids[11], label=1)
    fb, created = feedback.feedback_submit(deployment=d, request_id=ids[0], label=1)
    assert created and fb.inputs == PredictionLog.objects.get(request_id=ids[0]).inputs


@pytest.mark.django_db
def test_lag_is_measured_exported_and_alerted(world: Any, tmp_path: Any, redis_client: Any) -> None:
    d = make_setup(world.project, tmp_path)
    config = reference.config_for(d)
    config.deployment = d
    reference.reference_ensure(config)
    log_predictions(d, RNG.normal(size=(300, 4)), start=timezone.now() - dt.timedelta(minutes=20))
    lag = ingestion.lag_record(config)
    assert lag["rows"] == 300 and lag["seconds"] > reference.INGEST_LAG_ALERT_S
    alert = Alert.objects.get(key=f"monitor-lag:{d.pk}")
    assert alert.status == "open" and "behind the prediction log" in alert.title
    metrics = Client().get("/metrics").content.decode()
    assert f'shipyard_monitoring_ingest_lag_rows{{deployment="{d.name}",project="fraud-model"}} 300.0' in metrics
    body = world.client(world.owner).get(f"/api/v1/projects/fraud-model/deployments/{d.name}/monitoring/").json()
    assert body["ingest"]["lag_rows"] == 300 and body["ingest"]["lag_seconds"] > 60

    out = ingestion.ingest_deployment(deployment_id=d.pk)
    assert out == {"status": "ok", "ingested": 300, "lag_rows": 0, "lag_s": 0.0}
    assert Alert.objects.get(key=f"monitor-lag:{d.pk}").status == "resolved"
    assert MonitorConfig.objects.get(deployment=d).ingest_lag_rows == 0
    # a second run while one holds the deployment's lease does nothing
    from shipyard.core.redis import client

    client().set(ingestion.LEASE_KEY.format(d.pk), "someone", ex=30)
    try:
        assert ingestion.ingest_deployment(deployment_id=d.pk) == {"status": "busy"}
    finally:
        client().delete(ingestion.LEASE_KEY.format(d.pk))


@pytest.mark.django_db(transaction=True)
def test_a_row_committed_late_with_a_lower_id_is_ingested(world: Any, tmp_path: Any, redis_client: Any) -> None:
    """Writer A takes ids and holds its transaction open; writer B starts after A (so its ids would
    be higher) and would commit first. The ingest runs in between, then again when both are done:
    every row is counted exactly once."""
    from shipyard.serving.drain import prediction_log_write
    from shipyard.serving.protocol import LogRecord

    d = make_setup(world.project, tmp_path)
    config = reference.config_for(d)
    reference.reference_ensure(config)
    log_predictions(d, RNG.normal(size=(50, 4)), prefix="before")
    assert ingest.ingest(config) == 50

    def records(prefix: str, n: int) -> list[LogRecord]:
        t = timezone.now().timestamp()
        return [
            LogRecord(
                t=t,
                deployment_id=d.pk,
                version_id=d.live_version_id,
                request_id=f"{prefix}-{i}",
                inputs=RNG.normal(size=4).tolist(),
                outputs=1,
                confidence=0.9,
                latency_ms=1.0,
            )
            for i in range(n)
        ]

    a_written, release_a, b_done = threading.Event(), threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def writer_a() -> None:
        try:
            with transaction.atomic():
                prediction_log_write(records("a", 40))
                a_written.set()
                release_a.wait(30)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    def writer_b() -> None:
        try:
            prediction_log_write(records("b", 30))
            b_done.set()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    ta = threading.Thread(target=writer_a)
    ta.start()
    assert a_written.wait(30)
    tb = threading.Thread(target=writer_b)
    tb.start()
    # B cannot commit ahead of A: it waits for A's lock (or, without that lock, it commits first)
    deadline = timezone.now() + dt.timedelta(seconds=30)
    while not b_done.is_set() and timezone.now() < deadline:
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
            if cur.fetchone()[0]:
                break
    assert not b_done.is_set()
    assert ingest.ingest(config) == 0
    release_a.set()
    ta.join(30)
    tb.join(30)
    assert not errors, errors
    assert ingest.ingest(config) == 70
    config.refresh_from_db()
    assert config.ingest_rows == 120 and _bucket_rows(d) == 120
    ids_a = list(PredictionLog.objects.filter(request_id__startswith="a-").values_list("id", flat=True))
    ids_b = list(PredictionLog.objects.filter(request_id__startswith="b-").values_list("id", flat=True))
    assert max(ids_a) < min(ids_b)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_ingest_neither_double_counts_nor_skips(world: Any, tmp_path: Any) -> None:
    """SIGKILL a real Celery worker (main process and pool child) while its ingest is between
    chunks; a second run finishes the job: every row is counted exactly once."""
    import os
    import signal
    import time

    from shipyard.monitoring.tasks import ingest_deployment
    from tests.conftest import WorkerProcess
    from tests.jobs.test_jobs_worker import _descendants

    d = make_setup(world.project, tmp_path)
    config = reference.config_for(d)
    reference.reference_ensure(config)  # built here: the worker does not share this test's artifacts
    n = 40_000
    log_predictions(d, RNG.normal(size=(n, 4)), start=timezone.now() - dt.timedelta(hours=2), step_s=0.1)
    last_id = PredictionLog.objects.filter(deployment_id=d.pk).order_by("-id").values_list("id", flat=True)[0]
    worker = WorkerProcess("ingest-kill-test", "ingest-doomed").start()
    try:
        ingest_deployment.apply_async(args=[d.pk, 200], queue="ingest-kill-test")
        deadline = time.monotonic() + 120
        cursor = 0
        while time.monotonic() < deadline:  # caught between its first and its last chunk
            cursor = MonitorConfig.objects.filter(pk=config.pk).values_list("ingest_cursor", flat=True)[0]
            if cursor > 0:
                break
            time.sleep(0.05)
    finally:
        assert worker.proc is not None
        for pid in [worker.proc.pid, *_descendants(worker.proc.pid)]:
            os.kill(pid, signal.SIGKILL)
        worker.proc.wait()
    assert 0 < cursor < last_id, "the worker was not caught mid-ingest"
    partial = MonitorConfig.objects.get(pk=config.pk)
    assert partial.ingest_rows == _bucket_rows(d) < n  # what it committed is whole chunks
    config.refresh_from_db()
    assert ingest.ingest(config, budget_s=None) == n - partial.ingest_rows
    config.refresh_from_db()
    assert config.ingest_rows == n and _bucket_rows(d) == n and config.ingest_cursor == last_id
    assert ingest.ingest(config) == 0


@pytest.mark.django_db
def test_flywheel_days_still_filling_count_buckets_and_rows_behind_once(world: Any, tmp_path: Any) -> None:
    from shipyard.monitoring import selectors

    d = make_setup(world.project, tmp_path)
    config = reference.config_for(d)
    reference.reference_ensure(config)
    now = timezone.now()
    log_predictions(d, RNG.normal(size=(30, 4)), start=now - dt.timedelta(minutes=20), step_s=10, prefix="a")
    assert ingest.ingest(config) == 30
    log_predictions(d, RNG.normal(size=(10, 4)), start=now - dt.timedelta(minutes=2), step_s=5, prefix="b")
    since = dt.datetime.combine(now.date() - dt.timedelta(days=2), dt.time(), tzinfo=dt.UTC)
    days = selectors.flywheel_daily(deployment=d, since=since, threshold=0.8)
    assert sum(n for n, _ in days.values()) == 40 and sum(c for _, c in days.values()) == 40
    assert ingest.ingest(config) == 10
    assert selectors.flywheel_daily(deployment=d, since=since, threshold=0.8) == days
