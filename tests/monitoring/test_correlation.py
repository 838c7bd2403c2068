"""Rubric model-2: offline (evaluate job) against online (feedback) accuracy per version, the gap and
the rank correlation, through the monitor run, the monitoring API and the evidence."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from shipyard.jobs import runner
from shipyard.jobs.models import Job
from shipyard.jobs.services import job_create
from shipyard.monitoring import feedback, monitors, reference, selectors
from shipyard.monitoring.correlation import rank_correlation
from shipyard.monitoring.models import MonitorRun
from shipyard.monitoring.reference import config_update
from shipyard.rubric.models import Evidence
from tests.monitoring.conftest import make_setup


def _second_version(d: Any) -> Any:
    from shipyard.registry.models import ModelVersion

    old = d.live_version
    new = ModelVersion.objects.create(
        model=old.model,
        number=2,
        format="onnx",
        artifact_key=old.artifact_key,
        artifact_sha256=old.artifact_sha256,
        artifact_size=old.artifact_size,
        signature=old.signature,
        training_dataset=old.training_dataset,
    )
    d.live_history = [old.pk]
    d.live_version = new
    d.save()
    return new


def _evaluate(project: Any, version: Any) -> Job:
    """A real evaluate job on the version's training dataset, run in this process."""
    job = job_create(project=project, kind="evaluate", model_version=version, dataset_version=version.training_dataset)
    runner.run(job.pk, "test")
    job.refresh_from_db()
    assert isinstance(job.result["metrics"]["accuracy"], float), (job.status, job.message)
    return job


def _feedback(d: Any, version: Any, *, right: int, wrong: int, prefix: str) -> None:
    from shipyard.serving.models import PredictionLog

    now = timezone.now()
    for i in range(right + wrong):
        PredictionLog.objects.create(
            created_at=now - dt.timedelta(minutes=1),
            deployment_id=d.pk,
            version_id=version.pk,
            request_id=f"{prefix}-{i}",
            inputs=[0.0] * 4,
            outputs=1,
            latency_ms=1,
        )
        feedback.feedback_submit(deployment=d, request_id=f"{prefix}-{i}", label=1 if i < right else 2)


def _online_like(offline: float, n: int = 20) -> int:
    """How many of ``n`` feedback items must be right for an online accuracy nearest ``offline``."""
    return round(offline * n)


def test_rank_correlation_needs_two_versions() -> None:
    assert rank_correlation([0.9], [0.8]) == (
        None,
        "rank correlation needs at least two versions with both metrics (1 so far)",
    )
    assert rank_correlation([0.7, 0.8, 0.9], [0.6, 0.75, 0.85])[0] == pytest.approx(1.0)
    rho, why = rank_correlation([0.8, 0.8], [0.7, 0.9])
    assert rho is None and "same for every version" in why


def test_gap_within_tolerance_passes_and_is_in_the_monitoring_api(world: Any, tmp_path: Any) -> None:
    d = make_setup(world.project, tmp_path)
    old = d.live_version
    new = _second_version(d)
    offline_old = _evaluate(world.project, old).result["metrics"]["accuracy"]
    offline_new = _evaluate(world.project, new).result["metrics"]["accuracy"]
    _feedback(d, old, right=_online_like(offline_old), wrong=20 - _online_like(offline_old), prefix="o")
    _feedback(d, new, right=_online_like(offline_new), wrong=20 - _online_like(offline_new), prefix="n")
    monitors.monitors_run(deployment_id=d.pk)

    run = MonitorRun.objects.get(deployment=d, kind="correlation")
    assert run.status == "ok", run.summary
    assert [v["version"] for v in run.detail["versions"]] == [1, 2]
    assert all(v["within"] and abs(v["gap"]) <= 0.05 for v in run.detail["versions"])
    evidence = Evidence.objects.get(project=world.project, test_id="model-2")
    assert evidence.passed and evidence.source == "monitor" and evidence.key == f"monitor:{d.pk}:correlation"
    assert len(evidence.detail["versions"]) == 2 and evidence.detail["tolerance"] == 0.05

    client = APIClient()
    client.force_authenticate(world.owner)
    body = client.get(f"/api/v1/projects/{world.project.slug}/deployments/{d.name}/monitoring/").json()
    correlation = {m["kind"]: m for m in body["monitors"]}["correlation"]
    assert correlation["rubric_test"] == "model-2" and correlation["status"] == "ok"
    assert correlation["detail"]["versions"][0]["offline"] == round(offline_old, 4)
    assert body["config"]["correlation_max_gap"] == 0.05


def test_one_version_says_so_and_a_large_gap_fails(world: Any, tmp_path: Any) -> None:
    d = make_setup(world.project, tmp_path)
    offline = _evaluate(world.project, d.live_version).result["metrics"]["accuracy"]
    right = max(0, _online_like(offline) - 8)  # online accuracy about 0.4 below offline
    _feedback(d, d.live_version, right=right, wrong=20 - right, prefix="f")
    monitors.monitors_run(deployment_id=d.pk)

    run = MonitorRun.objects.get(deployment=d, kind="correlation")
    assert run.status == "fail"
    assert run.detail["spearman"] is None
    assert run.detail["spearman_note"] == "rank correlation needs at least two versions with both metrics (1 so far)"
    assert run.detail["versions"][0]["within"] is False
    evidence = Evidence.objects.get(project=world.project, test_id="model-2")
    assert not evidence.passed and evidence.detail["versions"][0]["gap"] == run.detail["versions"][0]["gap"]

    # a looser tolerance, set through the API, lets the same versions pass on the next run
    client = APIClient()
    client.force_authenticate(world.owner)
    url = f"/api/v1/projects/{world.project.slug}/deployments/{d.name}/monitoring/"
    response = client.patch(url, {"correlation_max_gap": 1.5}, format="json")
    assert response.status_code == 400 and "correlation_max_gap" in response.json()["error"]["fields"]
    response = client.patch(url, {"correlation_max_gap": 0.9}, format="json")
    assert response.status_code == 200 and response.json()["correlation_max_gap"] == 0.9
    monitors.monitors_run(deployment_id=d.pk, now=timezone.now() + dt.timedelta(minutes=1))
    assert MonitorRun.objects.filter(deployment=d, kind="correlation").first().status == "ok"  # type: ignore[union-attr]


def test_no_evaluate_job_is_no_data(world: Any, tmp_path: Any) -> None:
    d = make_setup(world.project, tmp_path)
    monitors.monitors_run(deployment_id=d.pk)
    run = MonitorRun.objects.get(deployment=d, kind="correlation")
    assert (run.status, run.summary) == ("no_data", "no feedback yet: online accuracy comes from feedback")
    _feedback(d, d.live_version, right=5, wrong=5, prefix="x")
    monitors.monitors_run(deployment_id=d.pk, now=timezone.now() + dt.timedelta(minutes=1))
    run = MonitorRun.objects.filter(deployment=d, kind="correlation").first()  # type: ignore[assignment]
    assert run.status == "no_data"
    assert run.summary == "no version has both an evaluate job's accuracy and feedback"
    assert run.detail["without_offline"] == [d.live_version_id]
    assert not Evidence.objects.filter(test_id="model-2").exists()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_monitor_on_a_real_worker_fails_then_passes(world: Any, tmp_path: Any, celery_worker: Any) -> None:
    from shipyard.monitoring.tasks import run_deployment

    d = make_setup(world.project, tmp_path)
    reference.reference_ensure(reference.config_for(d))  # the worker does not share this test's artifacts
    offline = _evaluate(world.project, d.live_version).result["metrics"]["accuracy"]
    right = max(0, _online_like(offline) - 8)
    _feedback(d, d.live_version, right=right, wrong=20 - right, prefix="w")

    def wait_for(count: int) -> MonitorRun:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            runs = list(MonitorRun.objects.filter(deployment=d, kind="correlation"))
            if len(runs) >= count:
                return runs[0]
            time.sleep(0.3)
        raise AssertionError(celery_worker.log()[-2000:])

    run_deployment.delay(d.pk, True)
    assert wait_for(1).status == "fail"
    assert not Evidence.objects.get(project=world.project, test_id="model-2").passed
    config_update(deployment=d, values={"correlation_max_gap": 0.9})
    run_deployment.delay(d.pk, True)
    assert wait_for(2).status == "ok"
    latest = Evidence.objects.filter(project=world.project, test_id="model-2").order_by("-observed_at", "-id")[0]
    assert latest.passed
    assert selectors.offline_accuracy_by_version(version_ids=[d.live_version_id])[d.live_version_id]["value"] == offline
