"""Deployments API: views validate, call one service, serialize. Scoped by project (another team's is a 404);
changes need maintainer or above (403 for members)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from shipyard.accounts.roles import Role
from shipyard.core.errors import DomainError
from shipyard.core.pagination import DefaultPagination, paginated_response
from shipyard.projects.selectors import project_get
from shipyard.serving import gate, lifecycle, selectors
from shipyard.serving.api import serializers as s
from shipyard.serving.models import Deployment


def _model_version(model: Any, number: int, field: str = "version") -> Any:
    version = model.versions.filter(number=number).first()
    if version is None:
        raise DomainError(f"Model '{model.name}' has no version {number}.", field=field)
    return version


def _deployment(
    request: Request, project: str, name: str, minimum: Role = Role.VIEWER, action: str = "change deployments"
) -> Deployment:
    return selectors.deployment_for(user=request.user, project=project, name=name, minimum=minimum, action=action)


def _out(deployment: Deployment, code: int = 200) -> Response:
    fresh = Deployment.objects.select_related("project", "model", "live_version", "canary_version").get(
        pk=deployment.pk
    )
    return Response(s.DeploymentSerializer(fresh).data, status=code)


class TeamDeploymentListView(APIView):
    pagination_class = DefaultPagination

    @extend_schema(
        parameters=[OpenApiParameter("team", OpenApiTypes.STR, description="only this team's deployments (slug)")],
        responses=s.DeploymentSerializer(many=True),
        summary="Every deployment of the caller's teams, by project then name",
    )
    def get(self, request: Request) -> Response:
        team = request.query_params.get("team", "")
        return paginated_response(self, selectors.deployments_for(user=request.user, team=team), s.DeploymentSerializer)


class DeploymentListView(APIView):
    pagination_class = DefaultPagination

    @extend_schema(responses=s.DeploymentSerializer(many=True))
    def get(self, request: Request, project: str) -> Response:
        proj = project_get(user=request.user, ref=project)
        return paginated_response(self, selectors.deployments_of(proj), s.DeploymentSerializer)

    @extend_schema(request=s.DeploymentCreateSerializer, responses={201: s.DeploymentSerializer})
    def post(self, request: Request, project: str) -> Response:
        proj = project_get(user=request.user, ref=project, minimum=Role.MAINTAINER, action="create deployments")
        ser = s.DeploymentCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        model = proj.registered_models.filter(name=data["model"]).first()
        if model is None:
            raise DomainError(f"No model '{data['model']}' in project '{proj.slug}'.", field="model")
        version = _model_version(model, data["version"])
        settings_values = {k: v for k, v in data.items() if k in Deployment.SETTINGS_FIELDS}
        deployment = lifecycle.deployment_create(
            project=proj,
            name=data["name"],
            model=model,
            version=version,
            by=request.user,
            reason=data["reason"],
            override_gate=data["override_gate"],
            settings=settings_values,
        )
        return _out(deployment, status.HTTP_201_CREATED)


class DeploymentDetailView(APIView):
    @extend_schema(responses=s.DeploymentSerializer)
    def get(self, request: Request, project: str, name: str) -> Response:
        return _out(_deployment(request, project, name))

    @extend_schema(request=s.DeploymentUpdateSerializer, responses=s.DeploymentSerializer)
    def patch(self, request: Request, project: str, name: str) -> Response:
        deployment = _deployment(request, project, name, Role.MAINTAINER)
        ser = s.DeploymentUpdateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        reason = data.pop("reason", "")
        return _out(lifecycle.deployment_update(deployment=deployment, values=data, by=request.user, reason=reason))


class DeployView(APIView):
    @extend_schema(request=s.DeploySerializer, responses=s.DeploymentSerializer)
    def post(self, request: Request, project: str, name: str) -> Response:
        deployment = _deployment(request, project, name, Role.MAINTAINER)
        ser = s.DeploySerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        version = _model_version(deployment.model, ser.validated_data["version"])
        return _out(
            lifecycle.deployment_deploy(
                deployment=deployment,
                version=version,
                by=request.user,
                reason=ser.validated_data["reason"],
                override_gate=ser.validated_data["override_gate"],
            )
        )


class CanaryView(APIView):
    @extend_schema(request=s.CanarySerializer, responses=s.DeploymentSerializer)
    def post(self, request: Request, project: str, name: str) -> Response:
        deployment = _deployment(request, project, name, Role.MAINTAINER)
        ser = s.CanarySerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        number = ser.validated_data.get("version")
        if number is None:
            if deployment.canary_version is None:
                raise DomainError("Name the version to canary.", field="version")
            version = deployment.canary_version
        else:
            version = _model_version(deployment.model, number)
        return _out(
            lifecycle.deployment_canary(
                deployment=deployment,
                version=version,
                weight=ser.validated_data["weight"],
                by=request.user,
                reason=ser.validated_data["reason"],
                override_gate=ser.validated_data["override_gate"],
            )
        )


class PromoteView(APIView):
    @extend_schema(request=s.PromoteSerializer, responses=s.DeploymentSerializer)
    def post(self, request: Request, project: str, name: str) -> Response:
        deployment = _deployment(request, project, name, Role.MAINTAINER)
        ser = s.PromoteSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        return _out(
            lifecycle.deployment_promote(
                deployment=deployment,
                by=request.user,
                reason=ser.validated_data["reason"],
                override_gate=ser.validated_data["override_gate"],
            )
        )


class RollbackView(APIView):
    @extend_schema(request=s.RollbackSerializer, responses=s.DeploymentSerializer)
    def post(self, request: Request, project: str, name: str) -> Response:
        deployment = _deployment(request, project, name, Role.MAINTAINER)
        ser = s.RollbackSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        return _out(
            lifecycle.deployment_rollback(deployment=deployment, by=request.user, reason=ser.validated_data["reason"])
        )


class EventListView(APIView):
    pagination_class = DefaultPagination

    @extend_schema(responses=s.DeploymentEventSerializer(many=True))
    def get(self, request: Request, project: str, name: str) -> Response:
        deployment = _deployment(request, project, name)
        return paginated_response(self, selectors.events_of(deployment), s.DeploymentEventSerializer)


class MetricsView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("minutes", OpenApiTypes.INT, description="window, 1..10080 (default 60)")],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request, project: str, name: str) -> Response:
        deployment = _deployment(request, project, name)
        raw = request.query_params.get("minutes", "60")
        if not raw.isdecimal() or not 1 <= int(raw) <= 7 * 24 * 60:
            raise DomainError("minutes must be an integer between 1 and 10080.", field="minutes")
        return Response(selectors.deployment_timeseries(deployment=deployment, minutes=int(raw)))


class GateView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("version", OpenApiTypes.INT, required=True, description="version number")],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request, project: str, name: str) -> Response:
        deployment = _deployment(request, project, name)
        raw = request.query_params.get("version", "")
        if not raw.isdecimal():
            raise DomainError("version must be a version number.", field="version")
        version = _model_version(deployment.model, int(raw))
        live = deployment.live_version if deployment.live_version_id != version.pk else None
        return Response(gate.quality_gate(deployment=deployment, version=version, live=live).as_dict())


class ApiKeyListView(APIView):
    @extend_schema(responses=inline_serializer("ApiKeyList", {"results": s.ApiKeySerializer(many=True)}))
    def get(self, request: Request, project: str, name: str) -> Response:
        deployment = _deployment(request, project, name, Role.MAINTAINER)
        return Response({"results": s.ApiKeySerializer(deployment.api_keys.all(), many=True).data})

    @extend_schema(request=s.ApiKeyCreateSerializer, responses={201: OpenApiTypes.OBJECT})
    def post(self, request: Request, project: str, name: str) -> Response:
        deployment = _deployment(request, project, name, Role.MAINTAINER)
        ser = s.ApiKeyCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        key, raw = lifecycle.api_key_create(deployment=deployment, name=ser.validated_data["name"], by=request.user)
        return Response({**s.ApiKeySerializer(key).data, "key": raw}, status=status.HTTP_201_CREATED)


class ApiKeyRevokeView(APIView):
    @extend_schema(request=None, responses=s.ApiKeySerializer)
    def post(self, request: Request, project: str, name: str, key_id: int) -> Response:
        deployment = _deployment(request, project, name, Role.MAINTAINER)
        key = deployment.api_keys.filter(pk=key_id).first()
        if key is None:
            raise NotFound("No such API key.")
        with transaction.atomic():
            key = lifecycle.api_key_revoke(key=key, by=request.user)
        return Response(s.ApiKeySerializer(key).data)


class FeatureLeadTimeView(APIView):
    @extend_schema(
        responses={200: OpenApiTypes.OBJECT},
        summary="Feature lead time (rubric data-6): dataset column added -> first deployed version using it",
    )
    def get(self, request: Request, project: str) -> Response:
        from shipyard.serving.lead_time import feature_lead_time

        return Response(feature_lead_time(project_get(user=request.user, ref=project)))
