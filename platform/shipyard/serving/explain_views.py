"""``POST /serve/<project>/<deployment>/explain`` and ``GET .../explain/<job>``: per-feature attributions for
the predicted class, computed by a worker (an ``explain`` job), never in this process.

The body is predict's (``{inputs, routing_key?}``: the version is chosen as predict would) or
``{request_id}`` (a logged prediction, explained on the version that served it), plus optional
explainer settings (``method``, ``baseline``, ``nsamples``, ``background_size``, ``seed``,
``tolerance``). Same credentials as predict (``serving.auth.authorize_caller``). The call waits up
to ``debugging.WAIT_S`` for the job: 200 with the explanation, else 202 with the job's id, which
``GET .../explain/<job>`` answers the same way. A version no explainer can run on is a 422 saying why.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from shipyard.core.errors import DomainError
from shipyard.serving import debugging
from shipyard.serving.auth import authorize_caller, error
from shipyard.serving.bodies import body_too_large, read_body
from shipyard.serving.validation import InputError, loads_body

MAX_BODY = 256 * 1024
BODY_KEYS = ("inputs", "routing_key", "request_id", *debugging.EXPLAIN_OPTIONS)


def _user(user_id: int | None) -> Any:
    from django.contrib.auth import get_user_model

    return None if user_id is None else get_user_model().objects.filter(pk=user_id).first()


def _respond(job: Any) -> JsonResponse:
    status, body = debugging.job_answer(job)
    return JsonResponse(body, status=status)


def _wait(request: HttpRequest) -> float:
    raw = request.GET.get("wait")
    if raw is None:
        return debugging.WAIT_S
    try:
        value = float(raw)
    except ValueError:
        raise DomainError("must be a number of seconds", field="wait") from None
    if not 0 <= value <= debugging.WAIT_S:
        raise DomainError(f"must be between 0 and {debugging.WAIT_S:g}", field="wait")
    return value


@csrf_exempt  # the session path runs Django's CSRF check inside authorize_caller
def explain(request: HttpRequest, project: str, deployment: str) -> JsonResponse:
    from shipyard.registry.models import ModelVersion
    from shipyard.serving.models import Deployment
    from shipyard.serving.selectors import version_route

    if request.method != "POST":
        response = error(405, "method_not_allowed", "Use POST.")
        response["Allow"] = "POST"
        return response
    too_large = body_too_large(request, limit=MAX_BODY)
    if too_large is not None:
        return too_large
    caller = authorize_caller(request, project=project, deployment=deployment, cached=False)
    if isinstance(caller, JsonResponse):
        return caller
    raw = read_body(request, limit=MAX_BODY)
    if isinstance(raw, JsonResponse):
        return raw
    try:
        wait = _wait(request)
        body = loads_body(raw, max_depth=8, field="inputs")
        if not isinstance(body, dict):
            raise DomainError("Expected a JSON object {inputs} or {request_id}.", field="body")
        unknown = [k for k in body if k not in BODY_KEYS]
        if unknown:
            raise DomainError("Unknown field.", field=unknown[0])
        if ("inputs" in body) == ("request_id" in body):
            raise DomainError(
                "Send either inputs (as for predict) or the request_id of a logged prediction.", field="inputs"
            )
        options = {k: body[k] for k in debugging.EXPLAIN_OPTIONS if k in body}
        d = Deployment.objects.select_related("project", "model").get(pk=caller.route.deployment_id)
        if "request_id" in body:
            log = debugging.logged_request(deployment_id=d.pk, request_id=body["request_id"])
            version = ModelVersion.objects.select_related("model", "training_dataset").filter(pk=log.version_id).first()
            if version is None:
                raise debugging.NotLogged("The version that served this request no longer exists.", field="request_id")
            job = debugging.explanation_start(
                deployment=d,
                version=version,
                route=version_route(version),
                inputs=debugging.row_of(log),
                request_id=body["request_id"],
                options=options,
                by=_user(caller.user_id),
            )
        else:
            routing_key = body.get("routing_key")
            if routing_key is not None and not isinstance(routing_key, str):
                raise DomainError("Must be a string.", field="routing_key")
            picked = caller.route.pick(routing_key)
            version = ModelVersion.objects.select_related("model", "training_dataset").get(pk=picked.version_id)
            job = debugging.explanation_start(
                deployment=d,
                version=version,
                route=picked,
                inputs=body["inputs"],
                options=options,
                by=_user(caller.user_id),
            )
    except InputError as exc:
        return error(400, "invalid", exc.message, exc.field)
    except DomainError as exc:
        return error(exc.status_code, exc.code, exc.message, exc.field)
    return _respond(debugging.wait_for_job(job.pk, wait))


@csrf_exempt
def explanation(request: HttpRequest, project: str, deployment: str, job_id: int) -> JsonResponse:
    from shipyard.jobs.models import Job, JobKind

    if request.method != "GET":
        response = error(405, "method_not_allowed", "Use GET.")
        response["Allow"] = "GET"
        return response
    caller = authorize_caller(request, project=project, deployment=deployment, cached=False)
    if isinstance(caller, JsonResponse):
        return caller
    job = (
        Job.objects.select_related("model_version")
        .filter(pk=job_id, kind=JobKind.EXPLAIN, project_id=caller.route.project_id)
        .first()
    )
    if job is None:
        return error(404, "not_found", "No such explanation.")
    return _respond(job)
