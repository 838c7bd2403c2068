"""Every job kind end to end through a real Celery worker on real Postgres and Redis; failures,
cancellation, devices, and a worker SIGKILLed mid-export."""

from __future__ import annotations

import hashlib
import os
import signal
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from shipyard.jobs.models import Job
from shipyard.registry.models import ModelVersion
from shipyard.rubric.models import Evidence
from tests.jobs.conftest import digits_eval_rows, register_mlp, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def create(world: Any, body: dict[str, Any], user: Any = None) -> dict[str, Any]:
    res = world.client(user or world.owner).post("/api/v1/jobs/", {"project": "fraud-model", **body}, format="json")
    assert res.status_code == 201, res.json()
    return res.json()


def detail(world: Any, job_id: int) -> dict[str, Any]:
    return world.client(world.owner).get(f"/api/v1/jobs/{job_id}/").json()


def test_every_kind_end_to_end(world: Any, celery_worker: Any, mlp_weights: Path, digits_dataset: Any) -> None:
    version = register_mlp(world.project, mlp_weights, by=world.owner)
    mv = version.pk
    jobs = {
        "training_tests": create(
            world, {"kind": "training_tests", "model_version": mv, "params": {"config": {"epochs": 15}}}
        ),
        "evaluate": create(
            world,
            {
                "kind": "evaluate",
                "model_version": mv,
                "dataset_version": digits_dataset.pk,
                "params": {"min_slice_accuracy": 0.5},
            },
        ),
        "export_onnx": create(world, {"kind": "export_onnx", "model_version": mv, "params": {"latency_repeats": 3}}),
        "export_torchscript": create(
            world, {"kind": "export_torchscript", "model_version": mv, "params": {"latency_repeats": 3}}
        ),
        "quantize": create(
            world,
            {
                "kind": "quantize",
                "model_version": mv,
                "params": {"mode": "static", "latency_repeats": 3, "max_metric_drop": 0.05},
            },
        ),
        "prune": create(
            world,
            {
                "kind": "prune",
                "model_version": mv,
                "params": {
                    "target_sparsity": 0.5,
                    "fine_tune_epochs": 1,
                    "latency_repeats": 3,
                    "max_metric_drop": 0.05,
                },
            },
        ),
        "distill": create(
            world,
            {
                "kind": "distill",
                "model_version": mv,
                "params": {"student_config": {"hidden": [16], "epochs": 5}, "latency_repeats": 2},
            },
        ),
    }
    finished = {kind: wait_for(j["id"], timeout=300, worker=celery_worker) for kind, j in jobs.items()}
    for kind, job in finished.items():
        assert job.status == "succeeded", (kind, job.message, job.log[-15:])
        assert job.progress == 100.0 and job.passed is True and job.attempts == 1 and job.device_used == "cpu"
        assert job.worker.startswith(celery_worker.hostname) and job.started_at and job.finished_at
        assert any("device cpu" in line["msg"] for line in job.log)

    tt = finished["training_tests"].result
    assert {c["name"] for c in tt["checks"]} >= {
        "reproducibility",
        "overfit_one_batch",
        "numerical_stability",
        "simpler_baseline",
    }
    assert tt["checks"][0]["details"]["max_weight_diff"] == 0.0
    ev = finished["evaluate"].result
    assert set(ev["slice_metrics"]) == {"zeros_and_ones", "eights"} and ev["metrics"]["n"] == 600

    produced = {
        kind: ModelVersion.objects.get(produced_by_job_id=job.pk)
        for kind, job in finished.items()
        if kind not in ("training_tests", "evaluate")
    }
    assert produced["export_onnx"].format == "onnx" and produced["export_onnx"].parent_id == mv
    assert produced["export_torchscript"].format == "torchscript" and produced["export_torchscript"].code is True
    assert (
        produced["quantize"].format == "onnx"
        and produced["quantize"].artifact_size < produced["export_onnx"].artifact_size
    )
    assert produced["prune"].format == "state_dict" and produced["prune"].recipe == "digits_mlp"
    assert produced["distill"].model.name == "digits-mlp-student" and produced["distill"].recipe == "digits_mlp"
    for kind, v in produced.items():
        assert finished[kind].produced_versions == [v.pk]
        assert finished[kind].result["version"]["id"] == v.pk
    onnx_detail = detail(world, finished["export_onnx"].pk)
    assert onnx_detail["result"]["max_abs_diff"] <= 1e-4 and set(onnx_detail["result"]["latency_ms"]) == {
        "pytorch",
        "onnx",
    }
    assert onnx_detail["produced"][0]["format"] == "onnx"

    import onnxruntime as ort

    from shipyard.registry.selectors import artifact_path

    session = ort.InferenceSession(str(artifact_path(produced["export_onnx"])), providers=["CPUExecutionProvider"])
    assert session.run(None, {"input": digits_eval_rows()[:7]})[0].shape == (7, 10)

    evidence = {(e.test_id, e.passed) for e in Evidence.objects.filter(project=world.project, source="job")}
    assert {
        ("infra-1", True),
        ("infra-2", True),
        ("model-5", True),
        ("monitor-5", True),
        ("model-6", True),
        ("infra-3", True),
        ("infra-4", True),
    } <= evidence
    assert Evidence.objects.filter(test_id="infra-1").first().link == f"/jobs/{finished['training_tests'].pk}"


def test_job_code_raising_fails_with_traceback_and_registers_nothing(
    world: Any, celery_worker: Any, mlp_weights: Path
) -> None:
    version = register_mlp(world.project, mlp_weights)
    raising = create(
        world,
        {
            "kind": "training_tests",
            "model_version": version.pk,
            "params": {"recipe": "tests.jobs.broken_recipes:explode"},
        },
    )
    # weights that do not fit the recorded architecture: loading raises inside the export
    mismatched = register_mlp(world.project, mlp_weights, name="digits-mismatch", config={"hidden": [32, 32]})
    export = create(world, {"kind": "export_onnx", "model_version": mismatched.pk})
    for job_id, text in ((raising["id"], "RuntimeError: boom"), (export["id"], "ModelLoadError")):
        job = wait_for(job_id, worker=celery_worker)
        assert job.status == "failed" and job.passed is False
        log = "\n".join(line["msg"] for line in job.log)
        assert "Traceback (most recent call last)" in log and text in log, log
        assert text in job.error
    assert ModelVersion.objects.filter(produced_by_job_id__in=[raising["id"], export["id"]]).count() == 0
    assert world.client(world.owner).post(f"/api/v1/jobs/{export['id']}/retry/").status_code == 201


def test_cancel_while_running_stops_at_the_next_step(world: Any, celery_worker: Any, mlp_weights: Path) -> None:
    version = register_mlp(world.project, mlp_weights)
    job = create(
        world,
        {"kind": "training_tests", "model_version": version.pk, "params": {"recipe": "tests.jobs.broken_recipes:slow"}},
    )
    running = wait_for(job["id"], statuses=("running",), progress=0.001, worker=celery_worker)
    assert running.status == "running"
    res = world.client(world.teammate).post(f"/api/v1/jobs/{job['id']}/cancel/")
    assert res.status_code == 200 and res.json()["cancel_requested"] is True
    done = wait_for(job["id"], timeout=60, worker=celery_worker)
    assert done.status == "cancelled", (done.status, done.message)
    assert done.progress < 100.0 and "stopped at epoch" in done.message
    assert not Evidence.objects.filter(detail__job=job["id"]).exists()


@pytest.mark.skipif(os.path.exists("/dev/nvidia0"), reason="this machine has a GPU")
def test_cuda_on_a_worker_without_a_gpu_fails_clearly(world: Any, celery_worker: Any, mlp_weights: Path) -> None:
    version = register_mlp(world.project, mlp_weights)
    job = create(world, {"kind": "evaluate", "model_version": version.pk, "device": "cuda"})
    assert job["queue"] == "gpu"
    done = wait_for(job["id"], worker=celery_worker)
    assert done.status == "failed" and "sees no CUDA device" in done.message and "gpu queue" in done.message


def _descendants(pid: int) -> list[int]:
    children: list[int] = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == pid:
                children += [int(entry.name), *_descendants(int(entry.name))]
    return children


def test_worker_killed_mid_export_finishes_once_with_one_intact_version(world: Any, mlp_weights: Path) -> None:
    """SIGKILL the whole worker (main process and pool child) while it measures latency; a new worker
    finds the job orphaned (the dead worker's heartbeat expired), requeues it and runs it once more."""
    from shipyard.jobs.params import normalise
    from shipyard.jobs.tasks import run_job
    from shipyard.registry.selectors import artifact_path
    from tests.conftest import WorkerProcess

    version = register_mlp(world.project, mlp_weights)
    first = WorkerProcess("jobs-kill-test", "jobs-doomed").start()
    try:
        # The row as job_create writes it, but delivered only to the doomed worker's private queue
        # (the session worker also serves cpu and would otherwise take it).
        job = Job.objects.create(
            project=world.project,
            kind="export_onnx",
            model_version=version,
            # the most timed calls the params allow: seconds of work at >= 35 %, a window to kill in
            params=normalise("export_onnx", {"latency_repeats": 100_000}),
            queue="cpu",
            time_limit_s=600,
            created_by=world.owner,
        )
        run_job.apply_async(args=[job.pk], queue="jobs-kill-test")
        wait_for(job.pk, statuses=("running",), progress=35.0, worker=first, timeout=120)
    finally:
        assert first.proc is not None
        victims = [first.proc.pid, *_descendants(first.proc.pid)]
        for pid in victims:
            os.kill(pid, signal.SIGKILL)
        first.proc.wait()
    assert Job.objects.get(pk=job.pk).status == "running"
    second = WorkerProcess("cpu", "jobs-rescuer").start()
    try:
        done = wait_for(job.pk, timeout=150, worker=second)
    finally:
        second.stop()
    assert done.status == "succeeded", (done.message, done.log[-10:])
    assert done.attempts >= 2
    log = "\n".join(line["msg"] for line in done.log)
    assert "is gone; requeued" in log or "was lost" in log
    versions = list(ModelVersion.objects.filter(produced_by_job_id=job.pk))
    assert len(versions) == 1 and done.produced_versions == [versions[0].pk]
    path = artifact_path(versions[0])
    assert hashlib.sha256(path.read_bytes()).hexdigest() == versions[0].artifact_sha256
    import onnxruntime as ort

    logits = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(
        None, {"input": digits_eval_rows()[:5]}
    )[0]
    assert logits.shape == (5, 10) and np.isfinite(logits).all()
    # a late duplicate delivery of the same job does nothing
    from shipyard.jobs import runner

    assert runner.run(job.pk, hostname="late-duplicate@test") == "skipped"
    assert ModelVersion.objects.filter(produced_by_job_id=job.pk).count() == 1
