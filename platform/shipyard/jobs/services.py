"""Writes for jobs: create/cancel/retry (web) and claim/progress/finish/recover (workers)."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from shipyard.core.errors import DomainConflict, DomainError
from shipyard.jobs import params as job_params
from shipyard.jobs.models import (
    LOG_MAX_LINES,
    TERMINAL,
    TIME_LIMITS,
    EdgeProfile,
    Job,
    JobDevice,
    JobKind,
    JobQueue,
    JobStatus,
)
from shipyard.jobs.signals import job_finished
from shipyard.projects.models import Project
from shipyard.registry.models import DatasetVersion, ModelVersion


def _enqueue(job: Job) -> None:
    """Send "run job N" to the job's queue once the surrounding transaction commits."""
    from shipyard.jobs.tasks import run_job

    job_id, queue, limit = job.pk, job.queue, job.time_limit_s
    transaction.on_commit(
        lambda: run_job.apply_async(args=[job_id], queue=queue, soft_time_limit=limit, time_limit=limit + 30)
    )


#: edge exports: the runtime each is for (the error message names it)
EDGE_KINDS: dict[str, str] = {
    JobKind.EXPORT_EXECUTORCH: "An ExecuTorch",
    JobKind.EXPORT_COREML: "A Core ML",
    JobKind.EXPORT_TFLITE: "A LiteRT",
}


def _check_edge_export(kind: str, model_version: Any, project: Any, params: dict[str, Any]) -> None:
    """An edge export needs a PyTorch version, and names only edge profiles the project has."""
    if not (
        model_version.format in ("torchscript", "torch_export")
        or (model_version.format in ("state_dict", "safetensors") and model_version.recipe)
    ):
        raise DomainError(
            f"{EDGE_KINDS[kind]} export needs a PyTorch version (a state_dict with its recipe, TorchScript or a "
            f"torch.export program); version {model_version.number} is {model_version.format}",
            field="model_version",
        )
    wanted = params.get("edge_profiles")
    if wanted:
        known = set(EdgeProfile.objects.filter(project=project).values_list("name", flat=True))
        missing = [name for name in wanted if name not in known]
        if missing:
            raise DomainError(f"no edge profile named '{missing[0]}' in this project", field="params.edge_profiles")


@transaction.atomic
def job_create(
    *,
    project: Project,
    kind: str,
    model_version: ModelVersion,
    dataset_version: DatasetVersion | None = None,
    params: dict[str, Any] | None = None,
    queue: str | None = None,
    device: str = JobDevice.AUTO,
    retry_of: Job | None = None,
    by: Any = None,
) -> Job:
    if kind not in JobKind.values:
        raise DomainError(f"must be one of: {', '.join(JobKind.values)}", field="kind")
    if model_version.model.project_id != project.pk:
        raise DomainError("no such model version in this project", field="model_version")
    if dataset_version is not None and dataset_version.dataset.project_id != project.pk:
        raise DomainError("no such dataset version in this project", field="dataset_version")
    if device not in JobDevice.values:
        raise DomainError(f"must be one of: {', '.join(JobDevice.values)}", field="device")
    if queue is None or queue == "":
        queue = JobQueue.GPU if device == JobDevice.CUDA else JobQueue.CPU
    if queue not in JobQueue.values:
        raise DomainError(f"must be one of: {', '.join(JobQueue.values)}", field="queue")
    if device == JobDevice.CUDA and queue != JobQueue.GPU:
        raise DomainError("device 'cuda' runs on the gpu queue", field="queue")
    normalised = job_params.normalise(kind, params)
    if kind in (JobKind.PRUNE,) and model_version.format not in ("state_dict", "safetensors"):
        raise DomainError(
            "pruning needs a state_dict or safetensors version with a built-in recipe", field="model_version"
        )
    if kind in (JobKind.EXPORT_ONNX, JobKind.EXPORT_TORCHSCRIPT) and model_version.format == "onnx":
        raise DomainError("this version is already ONNX; export needs a PyTorch version", field="model_version")
    if kind in EDGE_KINDS:
        _check_edge_export(kind, model_version, project, normalised)
    if kind in (JobKind.TRAINING_TESTS, JobKind.TUNE):
        job_params.check_recipe(
            normalised["recipe"], version_recipe=model_version.recipe, allowlist=settings.SHIPYARD_RECIPE_ALLOWLIST
        )
    job = Job.objects.create(
        project=project,
        kind=kind,
        model_version=model_version,
        dataset_version=dataset_version,
        params=normalised,
        queue=queue,
        device=device,
        time_limit_s=TIME_LIMITS[kind],
        retry_of=retry_of,
        created_by=by if getattr(by, "is_authenticated", False) else None,
        message="queued",
    )
    _enqueue(job)
    return job


@transaction.atomic
def job_cancel(*, job: Job, by: Any = None) -> Job:
    job = Job.objects.select_for_update().get(pk=job.pk)
    if job.status in TERMINAL:
        raise DomainConflict(f"job {job.pk} has already {job.status}", field="status")
    job.cancel_requested = True
    if job.status == JobStatus.QUEUED:
        job.status = JobStatus.CANCELLED
        job.finished_at = timezone.now()
        job.message = "cancelled before it started"
    else:
        job.message = "cancel requested; stopping at the next step"
    _append_log(job, job.message)
    job.save(update_fields=["cancel_requested", "status", "finished_at", "message", "log", "updated_at"])
    return job


def job_retry(*, job: Job, by: Any = None) -> Job:
    if job.status not in (JobStatus.FAILED, JobStatus.CANCELLED):
        raise DomainConflict(
            f"only failed or cancelled jobs can be retried; job {job.pk} is {job.status}", field="status"
        )
    return job_create(
        project=job.project,
        kind=job.kind,
        model_version=job.model_version,
        dataset_version=job.dataset_version,
        params=job.params,
        queue=job.queue,
        device=job.device,
        retry_of=job,
        by=by,
    )


# --------------------------------------------------------------------------- worker side


def _append_log(job: Job, line: str) -> None:
    job.log = [*(job.log or []), {"t": timezone.now().isoformat(timespec="seconds"), "msg": str(line)[:4000]}][
        -LOG_MAX_LINES:
    ]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def holder_alive(worker: str, live_hosts: set[str], me: str) -> bool:
    """Is the process recorded as running a job (``host:pid``) still alive?

    On this worker's own host the pid is checked directly (a killed pool child is seen at once);
    elsewhere the host's heartbeat in Redis decides (a SIGKILLed worker stops beating)."""
    host, _, pid = worker.rpartition(":")
    if not host:
        return False
    my_host = me.rpartition(":")[0]
    if host == my_host and pid.isdecimal():
        return _pid_alive(int(pid))
    return "*" in live_hosts or host in live_hosts


@transaction.atomic
def job_claim(*, job_id: int, worker: str, live_hosts: set[str]) -> Job | None:
    """Take a job for this worker process, or None when it must not run here.

    None when it is finished or cancelled, or when another live process is already running it
    (a duplicate delivery). A job whose holder died is taken over: attempts counts the takeovers."""
    job = Job.objects.select_for_update().filter(pk=job_id).first()
    if job is None or job.status in TERMINAL:
        return None
    if job.cancel_requested:
        job.status, job.finished_at, job.message = JobStatus.CANCELLED, timezone.now(), "cancelled"
        _append_log(job, "cancelled before it started")
        job.save()
        return None
    if (
        job.status == JobStatus.RUNNING
        and job.worker
        and job.worker != worker
        and holder_alive(job.worker, live_hosts, worker)
    ):
        return None
    if job.status == JobStatus.RUNNING:
        _append_log(job, f"worker {job.worker or '?'} was lost; restarting on {worker} (attempt {job.attempts + 1})")
    job.status = JobStatus.RUNNING
    job.worker = worker
    job.attempts += 1
    job.progress = 0.0
    job.message = "starting"
    job.started_at = job.started_at or timezone.now()
    job.heartbeat_at = timezone.now()
    _append_log(job, f"started on {worker} (attempt {job.attempts})")
    job.save()
    return job


def job_progress(*, job_id: int, percent: float, message: str, log: bool = True) -> bool:
    """Record progress; returns whether a cancel was requested (one round trip for both)."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).only("id", "log", "cancel_requested", "status").first()
        if job is None:
            return True
        fields: dict[str, Any] = {
            "progress": max(0.0, min(100.0, float(percent))),
            "message": message[:500],
            "heartbeat_at": timezone.now(),
            "updated_at": timezone.now(),
        }
        if log:
            _append_log(job, f"[{percent:5.1f}%] {message}")
            fields["log"] = job.log
        Job.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(**fields)
        return bool(job.cancel_requested)


def job_log(*, job_id: int, line: str) -> None:
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).only("id", "log").first()
        if job is not None:
            _append_log(job, line)
            Job.objects.filter(pk=job_id).update(log=job.log, updated_at=timezone.now())


def cancel_requested(*, job_id: int) -> bool:
    return bool(Job.objects.filter(pk=job_id).values_list("cancel_requested", flat=True).first())


@transaction.atomic
def job_finish(
    *,
    job_id: int,
    status: str,
    result: dict[str, Any] | None = None,
    passed: bool | None = None,
    message: str = "",
    error: str = "",
) -> Job:
    job = Job.objects.select_for_update().get(pk=job_id)
    job.status = status
    job.finished_at = timezone.now()
    job.heartbeat_at = timezone.now()
    if result is not None:
        job.result = result
    job.passed = passed
    if status == JobStatus.SUCCEEDED:
        job.progress = 100.0
    job.message = (message or status)[:500]
    if error:
        job.error = error[-20000:]
        for line in error.rstrip().splitlines()[-60:]:
            _append_log(job, line)
    _append_log(job, job.message)
    job.save()
    transaction.on_commit(lambda: job_finished.send(sender=Job, job_id=job_id, status=status))
    return job


def job_add_produced(*, job_id: int, version_id: int) -> None:
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job_id)
        if version_id not in job.produced_versions:
            job.produced_versions = [*job.produced_versions, version_id]
            job.save(update_fields=["produced_versions", "updated_at"])


def jobs_recover_orphans(*, live_hosts: set[str], me: str, older_than_s: float = 5.0) -> list[int]:
    """Requeue running jobs whose process is gone (SIGKILLed worker or pool child). Safe to run anywhere,
    any number of times: each job is locked (skip_locked) and re-checked before it is requeued."""
    recovered: list[int] = []
    cutoff = timezone.now() - timedelta(seconds=older_than_s)
    candidates = list(
        Job.objects.filter(status=JobStatus.RUNNING, heartbeat_at__lt=cutoff).values_list("pk", flat=True)[:100]
    )
    for pk in candidates:
        with transaction.atomic():
            job = Job.objects.select_for_update(skip_locked=True).filter(pk=pk, status=JobStatus.RUNNING).first()
            if job is None or holder_alive(job.worker, live_hosts, me):
                continue
            _append_log(job, f"worker {job.worker} is gone; requeued on {job.queue}")
            job.status = JobStatus.QUEUED
            job.message = "requeued after its worker was lost"
            job.save()
            _enqueue(job)
            recovered.append(pk)
    return recovered


def evidence_for(job: Job, checks: list[tuple[str, bool, str]], detail: dict[str, Any] | None = None) -> None:
    """Record rubric evidence for a finished job: (test_id, passed, title) per observation, with the
    measured ``detail`` the verdict rests on."""
    from shipyard.rubric.services import evidence_record

    mv = job.model_version
    for test_id, ok, title in checks:
        evidence_record(
            project=job.project,
            test_id=test_id,
            source="job",
            passed=ok,
            title=title,
            link=f"/jobs/{job.pk}",
            key=f"job:{job.kind}:{mv.model.name}:{mv.number}:{test_id}",
            detail={**(detail or {}), "job": job.pk, "kind": job.kind, "model": mv.model.name, "version": mv.number},
        )
