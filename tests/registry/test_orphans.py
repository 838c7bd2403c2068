"""Orphan blob cleanup: unreferenced blobs and abandoned temp files go, only after the grace period."""

from __future__ import annotations

import hashlib
import os
import time
from io import BytesIO
from pathlib import Path
from typing import Any

from shipyard.config.celery import app
from shipyard.registry import blobs, storage, versions
from shipyard.registry.tasks import orphan_blobs_delete
from tests.factories import onnx_bytes
from tests.registry.conftest import stored_blobs

DAY = 24 * 3600


def commit_blob(content: bytes) -> Path:
    """A blob committed to storage with no row (as a crash between commit and insert leaves it)."""
    temp = storage.new_temp_path()
    temp.write_bytes(content)
    blob = storage.Blob(key=storage.key_for(hashlib.sha256(content).hexdigest()), sha256="", size=len(content))
    storage.store().commit(temp, blob)
    return storage.store().local_path(blob.key)


def age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_only_unreferenced_files_past_the_grace_period_are_removed(world: Any, artifact_root: Path) -> None:
    version = versions.model_version_create(
        project=world.project,
        model_name="scorer",
        artifact_file_or_path=BytesIO(onnx_bytes()),
        format="onnx",
        artifact_filename="m.onnx",
    )
    referenced = storage.store().local_path(version.artifact_key)
    old_orphan = commit_blob(b"left behind by a crash")
    fresh_orphan = commit_blob(b"committed by an upload still creating its row")
    old_temp = storage.new_temp_path()
    old_temp.write_bytes(b"abandoned upload")
    fresh_temp = storage.new_temp_path()
    fresh_temp.write_bytes(b"upload in flight")
    for path in (referenced, old_orphan, old_temp):
        age(path, 2 * DAY)

    assert blobs.orphan_blobs_delete() == {"blobs": 1, "temp_files": 1}
    assert not old_orphan.exists() and not old_temp.exists()
    assert referenced.exists() and fresh_orphan.exists() and fresh_temp.exists()
    assert sorted(stored_blobs(artifact_root)) == sorted([referenced, fresh_orphan])
    # safe to run twice
    assert blobs.orphan_blobs_delete() == {"blobs": 0, "temp_files": 0}
    # a shorter grace period catches the younger orphan too, never the referenced blob
    assert blobs.orphan_blobs_delete(grace_s=0, now=time.time() + 1) == {"blobs": 1, "temp_files": 1}
    assert stored_blobs(artifact_root) == [referenced]


def test_committing_existing_content_restarts_the_grace_period(world: Any) -> None:
    """An upload whose content matches an old orphan re-uses that blob: cleanup must not take it."""
    content = onnx_bytes(seed=5)
    orphan = commit_blob(content)
    age(orphan, 2 * DAY)
    # the upload commits (the blob exists: its mtime is refreshed) before its row exists
    commit_blob(content)
    assert blobs.orphan_blobs_delete() == {"blobs": 0, "temp_files": 0}
    assert orphan.exists()


def test_the_task_runs_the_cleanup_and_beat_schedules_it_daily_on_cpu(world: Any, artifact_root: Path) -> None:
    orphan = commit_blob(b"orphan")
    age(orphan, 3 * DAY)
    result = orphan_blobs_delete.apply()
    assert result.successful() and result.get() == {"blobs": 1, "temp_files": 0}
    assert not orphan.exists()

    assert orphan_blobs_delete.name == "registry.orphan_blobs_delete"
    assert orphan_blobs_delete.acks_late and orphan_blobs_delete.reject_on_worker_lost
    entries = [e for e in app.conf.beat_schedule.values() if e["task"] == "registry.orphan_blobs_delete"]
    assert len(entries) == 1
    assert entries[0]["schedule"] == 86400.0 and entries[0]["options"]["queue"] == "cpu"
    assert "registry.orphan_blobs_delete" in app.tasks
