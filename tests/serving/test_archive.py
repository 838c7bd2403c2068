"""Hot and cold prediction log: a month past its deployment's hot days is exported to Parquet,
verified, dropped, and read back through the one log interface exactly as it was read hot."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from django.db import connection
from django.utils import timezone

from shipyard.monitoring.monitors import skew_replay
from shipyard.serving import archive, drain
from shipyard.serving.logstore import LogWindow, log_daily_counts, log_row_by_request_id, log_rows
from shipyard.serving.models import LogArchive, PredictionLog
from tests.monitoring.conftest import log_predictions, make_setup

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _artifacts(settings: Any, tmp_path: Any) -> None:
    settings.ARTIFACT_ROOT = tmp_path / "artifacts"
    settings.STORAGE_BACKEND = "local"


def _old_month() -> dt.date:
    first = timezone.now().date().replace(day=1)
    return (first - dt.timedelta(days=100)).replace(day=1)


def _partition_exists(month: dt.date) -> bool:
    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass(%s)", [drain.partition_name(month)])
        return cur.fetchone()[0] is not None


def _setup(world: Any, tmp_path: Any, n: int = 400) -> tuple[Any, dt.date, list[str]]:
    d = make_setup(world.project, tmp_path)
    d.log_hot_days = 1
    d.save(update_fields=["log_hot_days"])
    month = _old_month()
    start = dt.datetime.combine(month, dt.time(), tzinfo=dt.UTC) + dt.timedelta(days=2)
    rows = np.random.default_rng(4).normal(size=(n, 4))
    outputs = [int(np.argmax(r[:3])) for r in rows]
    outputs[5] = 2 if outputs[5] != 2 else 0  # a few predictions the replay will disagree with
    outputs[17] = 2 if outputs[17] != 2 else 0
    ids = log_predictions(d, rows, outputs=outputs, start=start, step_s=600, prefix="old")
    log_predictions(d, rows[:20], prefix="now")  # this month: stays hot
    return d, month, ids


def test_cold_window_reads_like_the_same_window_hot(world: Any, tmp_path: Any) -> None:
    from shipyard.registry import blobs

    d, month, ids = _setup(world, tmp_path)
    window = LogWindow(
        deployment_id=d.pk,
        since=dt.datetime.combine(month, dt.time(), tzinfo=dt.UTC),
        until=dt.datetime.combine(drain.next_month(month), dt.time(), tzinfo=dt.UTC),
        version_id=d.live_version_id,
        status="ok",
    )
    columns = ("created_at", "request_id", "inputs", "outputs", "confidence", "violations")
    hot_rows = log_rows(window, columns=columns)
    hot_skew, _ = skew_replay(deployment=d, version=d.live_version, window=window, sample=1000)
    hot_days = log_daily_counts(window, confidence_threshold=0.8)
    hot_one = log_row_by_request_id(d.pk, ids[7], columns=columns)
    assert len(hot_rows) == 400 and hot_skew.compared == 400 and hot_skew.mismatches >= 2

    out = archive.log_archive_run()
    assert out["exported"] == [{"deployment": d.pk, "month": f"{month:%Y-%m}", "rows": 400}]
    assert out["dropped"] == [f"{month:%Y-%m}"] and not out["failed"]
    assert not _partition_exists(month)
    assert PredictionLog.objects.filter(deployment_id=d.pk).count() == 20  # only this month is hot
    cold = LogArchive.objects.get(deployment_id=d.pk)
    assert (cold.state, cold.rows, cold.month) == (LogArchive.COLD, 400, month)

    cold_rows = log_rows(window, columns=columns)
    cold_skew, _ = skew_replay(deployment=d, version=d.live_version, window=window, sample=1000)
    assert cold_rows == hot_rows
    assert (cold_skew.compared, cold_skew.mismatches, cold_skew.examples) == (
        hot_skew.compared,
        hot_skew.mismatches,
        hot_skew.examples,
    )
    assert log_daily_counts(window, confidence_threshold=0.8) == hot_days
    assert log_row_by_request_id(d.pk, ids[7], columns=columns) == hot_one
    # a whole-history read joins both sides without reading a row twice
    everything = log_rows(LogWindow(deployment_id=d.pk), columns=("request_id",))
    assert len(everything) == 420 and len({r["request_id"] for r in everything}) == 420

    # the registry's orphan sweep keeps the archive; a second run has nothing to do
    assert blobs.orphan_blobs_delete(grace_s=0, now=timezone.now().timestamp() + 10)["blobs"] == 0
    from shipyard.registry import storage

    assert storage.store().exists(cold.blob_key)
    assert archive.log_archive_run() == {"exported": [], "dropped": [], "failed": []}


def test_an_export_that_fails_halfway_leaves_the_partition(world: Any, tmp_path: Any, monkeypatch: Any) -> None:
    import pyarrow.parquet as pq

    d, month, _ = _setup(world, tmp_path, n=300)
    monkeypatch.setattr(archive, "ROW_GROUP", 100)
    calls = {"n": 0}
    real_write = pq.ParquetWriter.write_table

    def failing_write(self: Any, table: Any, *args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        real_write(self, table, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetWriter, "write_table", failing_write)
    out = archive.log_archive_run()
    assert out["failed"] and "disk full" in out["failed"][0]["error"] and not out["dropped"]
    assert _partition_exists(month) and not LogArchive.objects.exists()
    assert PredictionLog.objects.filter(deployment_id=d.pk).count() == 320
    assert not list((tmp_path / "artifacts" / "tmp").glob("upload-*"))

    # a file that does not verify is not recorded either
    monkeypatch.setattr(pq.ParquetWriter, "write_table", real_write)
    monkeypatch.setattr(archive, "file_checksum", lambda path: (299, 0))
    out = archive.log_archive_run()
    assert "does not verify" in out["failed"][0]["error"] and _partition_exists(month)
    assert not LogArchive.objects.exists()

    monkeypatch.undo()
    out = archive.log_archive_run()
    assert out["dropped"] == [f"{month:%Y-%m}"] and not _partition_exists(month)


def test_a_row_committed_after_the_export_is_exported_before_the_drop(world: Any, tmp_path: Any) -> None:
    d, month, _ = _setup(world, tmp_path, n=50)
    drain.prediction_log_partition_ensure(month)
    archive.month_export(deployment_id=d.pk, month=month)
    late = dt.datetime.combine(month, dt.time(), tzinfo=dt.UTC) + dt.timedelta(days=20)
    log_predictions(d, np.zeros((1, 4)), start=late, prefix="late")
    assert not archive.partition_drop(month)  # the archive misses the late row: not dropped
    assert not LogArchive.objects.exists() and _partition_exists(month)
    out = archive.log_archive_run()
    assert out["exported"][0]["rows"] == 51 and out["dropped"] == [f"{month:%Y-%m}"]


def test_finished_days_are_counted_once_and_match_the_log(world: Any, tmp_path: Any) -> None:
    from shipyard.serving.logstore import _count_days
    from shipyard.serving.models import LogDayCount

    d = make_setup(world.project, tmp_path)
    now = timezone.now()
    rows = np.random.default_rng(8).normal(size=(300, 4))
    confidence = [float(c) for c in np.random.default_rng(9).uniform(0.5, 1.0, size=300)]
    log_predictions(d, rows, confidence=confidence, start=now - dt.timedelta(days=5), step_s=1440)
    window = LogWindow(deployment_id=d.pk, since=now - dt.timedelta(days=6))
    direct = _count_days(window, 0.8)
    assert sum(n for n, _ in direct.values()) == 300
    assert log_daily_counts(window, confidence_threshold=0.8, now=now) == direct
    kept = LogDayCount.objects.filter(deployment_id=d.pk, threshold=0.8)
    assert kept.count() >= 4 and all(c.day < now.date() for c in kept)
    # the kept days answer the next call, another threshold counts afresh
    assert log_daily_counts(window, confidence_threshold=0.8, now=now) == direct
    day = kept.order_by("day").last()
    kept.filter(pk=day.pk).update(predictions=999)
    assert log_daily_counts(window, confidence_threshold=0.8, now=now)[day.day][0] == 999
    assert log_daily_counts(window, confidence_threshold=0.9, now=now) == _count_days(window, 0.9)


def test_add_to_dataset_over_a_cold_window_reads_the_archived_inputs(world: Any, tmp_path: Any) -> None:
    import pandas as pd

    from shipyard.monitoring import feedback
    from shipyard.registry.selectors import dataset_path
    from shipyard.serving.logstore import log_rows_by_request_ids

    d, month, ids = _setup(world, tmp_path, n=100)
    wrong = ids[:6]
    for rid in wrong:  # the users' corrections, given while the month was hot
        logged = log_row_by_request_id(d.pk, rid, columns=("outputs",))
        feedback.feedback_submit(deployment=d, request_id=rid, label=(logged["outputs"] + 1) % 3)
    hot = log_rows_by_request_ids(d.pk, wrong, columns=("inputs", "created_at"))
    assert set(hot) == set(wrong)
    assert archive.log_archive_run()["dropped"] == [f"{month:%Y-%m}"]
    assert log_rows_by_request_ids(d.pk, wrong, columns=("inputs", "created_at")) == hot

    url = f"/api/v1/projects/fraud-model/deployments/{d.name}/flywheel/export/"
    client = world.client(world.owner)
    since = dt.datetime.combine(month, dt.time(), tzinfo=dt.UTC)
    until = dt.datetime.combine(drain.next_month(month), dt.time(), tzinfo=dt.UTC)
    bad = client.post(url, {"since": until.isoformat(), "until": since.isoformat()}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["fields"].keys() == {"until"}
    res = client.post(url, {"since": since.isoformat(), "until": until.isoformat()}, format="json")
    assert res.status_code == 201, res.content
    assert res.json()["examples"] == 6
    from shipyard.registry.models import DatasetVersion

    version = DatasetVersion.objects.get(dataset__name="tabular-data", number=res.json()["version"])
    added = pd.read_parquet(dataset_path(version)).tail(6)
    got = sorted(tuple(round(float(v), 5) for v in row) for row in added[["f0", "f1", "f2", "f3"]].to_numpy())
    want = sorted(tuple(round(float(v), 5) for v in hot[rid]["inputs"]) for rid in wrong)
    assert got == want
