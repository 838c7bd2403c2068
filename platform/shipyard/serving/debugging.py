"""Debugging a deployment: explain a prediction (per-feature attributions for the predicted class) and
replay a logged request on any version of the model. Rubric infra-5 ("the model is debuggable").

Both start a job (kinds ``explain`` and ``replay``) that a worker runs with the kind's time limit;
the web process never loads a model. Inputs are checked here against the chosen version's schema
(a 400 naming the field), a version that cannot be explained is a 422 that says why, and the
caller waits a bounded time for the job (``wait_for_job``) before getting its id to poll.
"""

from __future__ import annotations

import time
from typing import Any

from shipyard.core.errors import DomainError
from shipyard.jobs.models import TERMINAL, Job, JobKind
from shipyard.registry.models import ModelVersion
from shipyard.serving.models import Deployment, PredictionLog
from shipyard.serving.routing import VersionRoute
from shipyard.serving.validation import InputError, validate
from shipyard_ml.job_params import MAX_DEBUG_ROWS

#: how long an explain or replay call waits for its job before answering 202 with the job's id
WAIT_S = 20.0
POLL_S = 0.1
#: the fields an explain body may carry besides predict's
EXPLAIN_OPTIONS = ("method", "baseline", "nsamples", "background_size", "seed", "tolerance")


class Unexplainable(DomainError):
    status_code = 422
    code = "unexplainable"


class NotLogged(DomainError):
    status_code = 404
    code = "not_found"


def logged_request(*, deployment_id: int, request_id: Any) -> PredictionLog:
    """The logged prediction ``request_id`` of the deployment; a 404 DomainError when there is none."""
    if not isinstance(request_id, str) or not request_id or len(request_id) > 40:
        raise DomainError("must be a request id returned by predict", field="request_id")
    log = PredictionLog.objects.filter(deployment_id=deployment_id, request_id=request_id, status="ok").first()
    if log is None:
        raise NotLogged(f"No logged prediction '{request_id}' for this deployment.", field="request_id")
    return log


def row_of(log: PredictionLog) -> Any:
    """A logged request's inputs: one row (as predict logged it)."""
    inputs = log.inputs
    if isinstance(inputs, list) and len(inputs) == 1 and isinstance(inputs[0], list | dict):
        return inputs[0]
    return inputs


def _rows(inputs: Any, route: VersionRoute, field: str) -> list[list[Any]]:
    try:
        rows, _ = validate(inputs, route.schema, reject=False, max_rows=MAX_DEBUG_ROWS)
    except InputError as exc:
        raise DomainError(exc.message, field=exc.field or field) from None
    return rows


def explainable_or_why(version: ModelVersion) -> None:
    """Raise Unexplainable when no explainer can run on ``version`` (said before a job is started)."""
    if version.format == "onnx" and version.training_dataset_id is None:
        bundled = (version.tags or {}).get("sklearn_dataset") or (version.params or {}).get("sklearn_dataset")
        if not bundled:
            raise Unexplainable(
                f"v{version.number} is ONNX (no gradients for Integrated Gradients) and records no training "
                "dataset, which the model-agnostic KernelSHAP explainer needs as background",
                field="model_version",
            )
    if version.format not in ("onnx", "torchscript", "torch_export", "state_dict", "safetensors"):
        raise Unexplainable(f"format {version.format!r} cannot be explained", field="model_version")


def explanation_start(
    *,
    deployment: Deployment,
    version: ModelVersion,
    route: VersionRoute,
    inputs: Any = None,
    request_id: str = "",
    options: dict[str, Any] | None = None,
    by: Any = None,
) -> Job:
    """Start an ``explain`` job for ``inputs`` (or the logged request ``request_id``) on ``version``."""
    from shipyard.jobs.services import job_create

    if request_id:
        rows = _rows(inputs, route, "request_id")
        ids = [request_id]
    else:
        rows = _rows(inputs, route, "inputs")
        ids = []
    explainable_or_why(version)
    params = {"rows": rows, "request_ids": ids, **(options or {})}
    try:
        return job_create(project=deployment.project, kind=JobKind.EXPLAIN, model_version=version, params=params, by=by)
    except DomainError as exc:
        # an explainer setting in the body: name it as the caller sent it
        if exc.field and exc.field.startswith("params."):
            exc.field = exc.field.removeprefix("params.")
        raise


def replay_start(*, deployment: Deployment, request_ids: list[str], version: ModelVersion, by: Any = None) -> Job:
    """Start a ``replay`` job: the logged requests re-run on ``version`` (any version of the deployed model)."""
    from shipyard.jobs.services import job_create
    from shipyard.serving.selectors import version_route

    if version.model_id != deployment.model_id:
        raise DomainError(f"must be a version of the deployed model '{deployment.model.name}'", field="version")
    route = version_route(version)
    requests = []
    numbers = dict(ModelVersion.objects.filter(model_id=deployment.model_id).values_list("pk", "number"))
    for rid in request_ids:
        log = logged_request(deployment_id=deployment.pk, request_id=rid)
        row = _rows(row_of(log), route, "version")[0]
        requests.append(
            {
                "request_id": rid,
                "inputs": row,
                "version": numbers.get(log.version_id, 1),
                "output": log.outputs[0] if isinstance(log.outputs, list) and len(log.outputs) == 1 else log.outputs,
                "confidence": log.confidence,
            }
        )
    return job_create(
        project=deployment.project, kind=JobKind.REPLAY, model_version=version, params={"requests": requests}, by=by
    )


def wait_for_job(job_id: int, timeout_s: float = WAIT_S) -> Job:
    """The job once it finished, or as it is after ``timeout_s`` (polling the row; no model in this process)."""
    deadline = time.monotonic() + timeout_s
    while True:
        job = Job.objects.get(pk=job_id)
        if job.status in TERMINAL or time.monotonic() >= deadline:
            return job
        time.sleep(POLL_S)


def job_answer(job: Job) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body) for an explain or replay job: 200 with the report once it has one, 202 while it
    runs, 422 when the version could not be explained or run, 503 when it was cancelled or timed out."""
    base = {"job": job.pk, "status": job.status, "model_version": job.model_version.number}
    if job.status not in TERMINAL:
        return 202, {**base, "message": job.message or "queued", "progress": job.progress}
    result = job.result or {}
    if job.kind == JobKind.EXPLAIN and result.get("kind") == "explain" and "rows" in result:
        return 200, {**base, "explanation": result}
    if job.kind == JobKind.REPLAY and result.get("kind") == "replay" and "rows" in result:
        return 200, {**base, "replay": result}
    if job.status == "cancelled" or "time limit" in (job.message or ""):
        return 503, {"error": {"code": "unavailable", "message": job.message or "the job did not finish"}}
    return 422, {
        "error": {"code": "unexplainable" if job.kind == JobKind.EXPLAIN else "unreplayable", "message": job.message}
    }
