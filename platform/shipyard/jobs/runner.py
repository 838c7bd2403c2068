"""Run one job inside a Celery worker: claim the row, run the kind's handler (``handlers``), finish the row.

Imported only by the worker task (the handlers import torch through shipyard_ml, lazily, per kind).
Order for every kind: claim the row -> resolve the device -> load inputs -> compute into a temp
directory -> (on success only) register produced versions with an idempotency key of
``job:<id>:<output>`` -> store the report -> record rubric evidence -> finish the row.
A redelivered job re-runs from the start; registering again returns the version already
registered, so a job never produces a version twice.
"""

from __future__ import annotations

import logging
import os
import site
import sysconfig
import tempfile
import traceback
from pathlib import Path
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from shipyard.jobs import services
from shipyard.jobs.context import Context, JobFailed
from shipyard.jobs.handlers import HANDLERS
from shipyard.jobs.models import Job, JobKind, JobStatus

logger = logging.getLogger("shipyard.jobs")


# --------------------------------------------------------------------------- entry point


def _host_prefixes() -> list[tuple[str, str]]:
    """(absolute directory, what it becomes) for the directories a traceback names, longest first."""
    places: dict[str, str] = {}
    for key in ("purelib", "platlib", "stdlib", "platstdlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            places[path] = ""
    for path in (*site.getsitepackages(), site.getusersitepackages()):
        places[path] = ""
    places[str(settings.ARTIFACT_ROOT)] = "artifacts"
    places[tempfile.gettempdir()] = "tmp"
    places[str(settings.REPO_ROOT)] = ""
    places[str(Path.home())] = "~"
    found = [(os.path.realpath(p), r) for p, r in places.items() if p and p != os.sep]
    found += [(p, r) for p, r in places.items() if p and p != os.sep]
    return sorted(set(found), key=lambda item: len(item[0]), reverse=True)


def host_relative(text: str) -> str:
    """``text`` (a traceback, an error message) with the host's absolute directories made relative.

    The team keeps the traceback; the layout of the worker's machine (where the code, the Python
    installation, the artifacts and temporary files live) stays out of it.
    """
    for prefix, replacement in _host_prefixes():
        text = text.replace(prefix + os.sep, f"{replacement}/" if replacement else "")
    return text


def live_hosts() -> set[str]:
    from shipyard.core import heartbeat
    from shipyard.core.redis import client

    try:
        return {w["hostname"] for w in heartbeat.live_workers(client())}
    except Exception:  # Redis unreachable: treat every other host as alive (never steal a job by mistake)
        logger.warning("cannot read worker heartbeats", exc_info=True)
        return {"*"}


def run(job_id: int, hostname: str) -> str:
    from shipyard_ml.devices import DeviceUnavailable, resolve
    from shipyard_ml.recipe_types import Cancelled
    from shipyard_ml.reports import NoReport

    me = f"{hostname}:{os.getpid()}"
    hosts = live_hosts()
    job = services.job_claim(job_id=job_id, worker=me, live_hosts=hosts)
    if job is None:
        logger.info("job %s: not claimed by %s (finished, cancelled or running elsewhere)", job_id, me)
        return "skipped"
    job = Job.objects.select_related(
        "project",
        "model_version__model",
        "dataset_version__dataset",
        "model_version__training_dataset__dataset",
        "created_by",
    ).get(pk=job_id)
    ctx = Context(job_id)
    try:
        try:
            device = resolve(job.device)
        except DeviceUnavailable as exc:
            raise JobFailed(str(exc), NoReport(kind=job.kind, device=job.device).to_dict()) from None
        Job.objects.filter(pk=job_id).update(device_used=device)
        ctx.log(f"device {device} (asked: {job.device}); queue {job.queue}")
        with tempfile.TemporaryDirectory(prefix=f"shipyard-job-{job_id}-") as work:
            outcome = HANDLERS[job.kind](job, ctx, device, Path(work))
    except Cancelled as exc:
        services.job_finish(job_id=job_id, status=JobStatus.CANCELLED, message=f"cancelled: {exc}")
        return "cancelled"
    except JobFailed as exc:
        services.job_finish(
            job_id=job_id, status=JobStatus.FAILED, result=exc.result, passed=False, message=host_relative(str(exc))
        )
        _record_failure_evidence(job, exc.result)
        return "failed"
    except SoftTimeLimitExceeded:
        services.job_finish(
            job_id=job_id,
            status=JobStatus.FAILED,
            passed=False,
            message=f"time limit of {job.time_limit_s} s exceeded",
            error=host_relative(traceback.format_exc()),
        )
        return "failed"
    except Exception as exc:
        logger.exception("job %s failed", job_id)
        services.job_finish(
            job_id=job_id,
            status=JobStatus.FAILED,
            passed=False,
            message=host_relative(f"{type(exc).__name__}: {exc}")[:500],
            error=host_relative(traceback.format_exc()),
        )
        return "failed"
    status = JobStatus.SUCCEEDED if outcome.passed else JobStatus.FAILED
    services.job_finish(
        job_id=job_id, status=status, result=outcome.result, passed=outcome.passed, message=outcome.message
    )
    job.refresh_from_db()
    services.evidence_for(job, outcome.evidence, outcome.evidence_detail)
    return str(status)


def _record_failure_evidence(job: Job, result: dict[str, Any]) -> None:
    """A failed gate or parity check is evidence too (it shows the check runs and catches problems)."""
    if (
        job.kind in (JobKind.QUANTIZE, JobKind.PRUNE, JobKind.DISTILL)
        or (
            job.kind in (JobKind.EXPORT_EXECUTORCH, JobKind.EXPORT_TFLITE) and result.get("max_metric_drop") is not None
        )
    ) and result.get("summary"):
        services.evidence_for(job, [("infra-4", False, f"{job.kind} quality gate: {result['summary']}")])
    elif (
        job.kind in (JobKind.EXPORT_ONNX, JobKind.EXPORT_TORCHSCRIPT, JobKind.EXPORT_EXECUTORCH, JobKind.EXPORT_TFLITE)
        and result.get("max_abs_diff") is not None
    ):
        services.evidence_for(
            job, [("infra-3", False, f"export parity failed: max abs diff {result['max_abs_diff']:.3g}")]
        )
