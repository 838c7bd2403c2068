"""Debugging a deployment from the control plane: the recent logged predictions, and a replay of logged
requests on any version of the deployed model (an ``explain`` runs on the data plane path,
``/serve/<p>/<d>/explain``). Viewers read; replaying starts a job, so it needs a member."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from shipyard.accounts.roles import Role
from shipyard.core.errors import DomainError
from shipyard.core.serializers import StrictSerializer
from shipyard.serving import debugging, selectors
from shipyard.serving.models import PredictionLog
from shipyard_ml.job_params import MAX_DEBUG_ROWS

#: most logged predictions one page lists
LIST_MAX = 200


class LoggedPredictionSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(source="version_number", read_only=True)
    #: the log stores them compactly (``serving.logcodec``); the model field gives them back decoded
    inputs = serializers.JSONField(read_only=True)
    outputs = serializers.JSONField(read_only=True)

    class Meta:
        model = PredictionLog
        fields = ("request_id", "created_at", "version", "inputs", "outputs", "confidence", "latency_ms", "routing_key")


class ReplayRequestSerializer(StrictSerializer):
    request_ids = serializers.ListField(
        child=serializers.CharField(max_length=40), min_length=1, max_length=MAX_DEBUG_ROWS
    )
    version = serializers.IntegerField(min_value=1, help_text="Number of the version of the deployed model to run.")


class JobAnswerSerializer(serializers.Serializer):
    job = serializers.IntegerField()
    status = serializers.CharField()
    model_version = serializers.IntegerField()
    replay = serializers.DictField(required=False, help_text="The replay job's report (kind replay) once it finished.")
    message = serializers.CharField(required=False)
    progress = serializers.FloatField(required=False)


def _limit(request: Request) -> int:
    raw = request.query_params.get("limit", "50")
    try:
        value = int(raw)
    except ValueError:
        raise DomainError("must be an integer", field="limit") from None
    if not 1 <= value <= LIST_MAX:
        raise DomainError(f"must be between 1 and {LIST_MAX}", field="limit")
    return value


class PredictionListView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("limit", OpenApiTypes.INT, description=f"most recent first, at most {LIST_MAX}"),
            OpenApiParameter("request_id", OpenApiTypes.STR, description="only this logged request"),
        ],
        responses=inline_serializer("LoggedPredictionList", {"results": LoggedPredictionSerializer(many=True)}),
        summary="The deployment's most recent logged predictions (explain or replay any of them)",
    )
    def get(self, request: Request, project: str, name: str) -> Response:
        deployment = selectors.deployment_for(user=request.user, project=project, name=name)
        limit = _limit(request)
        logs = PredictionLog.objects.filter(deployment_id=deployment.pk, status="ok")
        rid = request.query_params.get("request_id")
        if rid is not None:
            if not rid or len(rid) > 40:
                raise DomainError("must be a request id returned by predict", field="request_id")
            logs = logs.filter(request_id=rid)
        rows: list[Any] = list(logs.order_by("-created_at", "-id")[:limit])
        numbers = dict(deployment.model.versions.values_list("pk", "number"))
        for row in rows:
            row.version_number = numbers.get(row.version_id)
        return Response({"results": LoggedPredictionSerializer(rows, many=True).data})


class ReplayView(APIView):
    @extend_schema(
        request=ReplayRequestSerializer,
        responses={200: JobAnswerSerializer, 202: JobAnswerSerializer},
        summary="Re-run logged requests on a version of the deployed model; both outputs side by side",
    )
    def post(self, request: Request, project: str, name: str) -> Response:
        deployment = selectors.deployment_for(
            user=request.user, project=project, name=name, minimum=Role.MEMBER, action="replay requests"
        )
        ser = ReplayRequestSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = ser.validated_data
        version = deployment.model.versions.filter(number=data["version"]).first()
        if version is None:
            raise DomainError(f"Model '{deployment.model.name}' has no version {data['version']}.", field="version")
        job = debugging.replay_start(
            deployment=deployment, request_ids=list(data["request_ids"]), version=version, by=request.user
        )
        wait = 0.0 if request.query_params.get("wait") == "0" else debugging.WAIT_S
        status, body = debugging.job_answer(debugging.wait_for_job(job.pk, wait))
        return Response(body, status=status)
