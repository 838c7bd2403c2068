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
    fresh = Deployment.objects.select_related(
        "project", "model", "live_version", "canary_version", "shadow_version"
    ).get(pk=deployment.pk)
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


class ComparisonView(APIView):
    @extend_schema(
        responses={200: OpenApiTypes.OBJECT},
        summary="The canary against live since the canary started (counts, error rates, p99, thresholds)",
    )
    def get(self, request: Request, project: str, name: str) -> Response:
        return Response(selectors.canary_comparison(deployment=_deployment(request, project, name)))


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


class BanditView(APIView):
    @extend_schema(
        responses=s.BanditReportSerializer, summary="Each bandit arm's share and posterior, now and over time"
    )
    def get(self, request: Request, project: str, name: str) -> Response:
        from shipyard.serving.bandit_report import bandit_report

        deployment = _deployment(request, project, name)
        return Response(s.BanditReportSerializer(bandit_report(deployment=deployment)).data)

    @extend_schema(
        request=s.BanditSerializer, responses=s.DeploymentSerializer, summary="Route among versions with a bandit"
    )
    def post(self, request: Request, project: str, name: str) -> Response:
        from shipyard.serving.bandit_service import bandit_start

        deployment = _deployment(request, project, name, Role.MAINTAINER)
        ser = s.BanditSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = ser.validated_data
        if len(data["versions"]) < 2:
            raise DomainError("A bandit needs two versions or more to choose between.", field="versions")
        versions = [_model_version(deployment.model, n, field="versions") for n in data["versions"]]
        return _out(
            bandit_start(
                deployment=deployment,
                versions=versions,
                policy=data["policy"],
                epsilon=data["epsilon"],
                min_share=data["min_share"],
                by=request.user,
                reason=data["reason"],
            )
        )

    @extend_schema(
        request=s.BanditStopSerializer,
        responses={200: s.DeploymentSerializer},
        summary="Stop the bandit",
        description="The body {reason} is optional; answers with the deployment.",
    )
    def delete(self, request: Request, project: str, name: str) -> Response:
        from shipyard.serving.bandit_service import bandit_stop

        deployment = _deployment(request, project, name, Role.MAINTAINER)
        ser = s.BanditStopSerializer(data=request.data or {})
        ser.is_valid(raise_exception=True)
        return _out(bandit_stop(deployment=deployment, by=request.user, reason=ser.validated_data["reason"]))


class EnsembleCreateView(APIView):
    @extend_schema(
        request=s.EnsembleCreateSerializer,
        responses={201: s.EnsembleVersionSerializer},
        summary="Register an ensemble of versions as the model's next version",
    )
    def post(self, request: Request, project: str, model: str) -> Response:
        from shipyard.serving.ensembles import ensemble_version_create

        proj = project_get(user=request.user, ref=project, minimum=Role.MEMBER, action="register model versions")
        registered = proj.registered_models.filter(name=model).first()
        if registered is None:
            raise NotFound(f"No model '{model}' in project '{proj.slug}'.")
        ser = s.EnsembleCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = ser.validated_data
        if len(data["members"]) < 2:
            raise DomainError("An ensemble needs two versions or more.", field="members")
        members = [_model_version(registered, n, field="members") for n in data["members"]]
        version = ensemble_version_create(
            model=registered,
            members=members,
            combine=data["combine"],
            weights=data.get("weights"),
            metrics=data.get("metrics"),
            description=data["description"],
            by=request.user,
        )
        return Response(s.EnsembleVersionSerializer(version).data, status=status.HTTP_201_CREATED)


class ShadowView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("minutes", OpenApiTypes.INT, description="per-minute series over the last N (1-1440)")
        ],
        responses=s.ShadowReportSerializer,
        summary="The shadow's agreement with live and both latencies",
    )
    def get(self, request: Request, project: str, name: str) -> Response:
        from shipyard.serving.shadow_service import shadow_report

        deployment = _deployment(request, project, name)
        try:
            minutes = int(request.query_params.get("minutes", 60))
        except ValueError:
            raise DomainError("Must be a whole number of minutes.", field="minutes") from None
        if not 1 <= minutes <= 1440:
            raise DomainError("Must be between 1 and 1440.", field="minutes")
        return Response(s.ShadowReportSerializer(shadow_report(deployment=deployment, minutes=minutes)).data)

    @extend_schema(
        request=s.ShadowSerializer, responses=s.DeploymentSerializer, summary="Mirror a share of requests to a version"
    )
    def post(self, request: Request, project: str, name: str) -> Response:
        from shipyard.serving.shadow_service import shadow_start

        deployment = _deployment(request, project, name, Role.MAINTAINER)
        ser = s.ShadowSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = ser.validated_data
        version = _model_version(deployment.model, data["version"])
        return _out(
            shadow_start(
                deployment=deployment, version=version, share=data["share"], by=request.user, reason=data["reason"]
            )
        )

    @extend_schema(
        request=s.BanditStopSerializer,
        responses={200: s.DeploymentSerializer},
        summary="Stop the shadow",
        description="The body {reason} is optional; answers with the deployment.",
    )
    def delete(self, request: Request, project: str, name: str) -> Response:
        from shipyard.serving.shadow_service import shadow_stop

        deployment = _deployment(request, project, name, Role.MAINTAINER)
        ser = s.BanditStopSerializer(data=request.data or {})
        ser.is_valid(raise_exception=True)
        return _out(shadow_stop(deployment=deployment, by=request.user, reason=ser.validated_data["reason"]))


class OutlierView(APIView):
    @extend_schema(responses=s.OutlierReportSerializer, summary="The outlier detector and the last hour's outlier rate")
    def get(self, request: Request, project: str, name: str) -> Response:
        from shipyard.serving.outlier_service import detector_report

        deployment = _deployment(request, project, name)
        return Response(s.OutlierReportSerializer(detector_report(deployment=deployment)).data)

    @extend_schema(
        request=s.OutlierDetectorRequestSerializer,
        responses={202: s.OutlierReportSerializer},
        summary="Fit an outlier detector on the live version's training dataset (on a worker)",
    )
    def post(self, request: Request, project: str, name: str) -> Response:
        from shipyard.serving.outlier_service import detector_report, detector_request

        deployment = _deployment(request, project, name, Role.MAINTAINER)
        ser = s.OutlierDetectorRequestSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        detector_request(deployment=deployment, quantile=ser.validated_data["quantile"], by=request.user)
        return Response(
            s.OutlierReportSerializer(detector_report(deployment=deployment)).data, status=status.HTTP_202_ACCEPTED
        )

    @extend_schema(request=None, responses={204: None}, summary="Remove the outlier detector")
    def delete(self, request: Request, project: str, name: str) -> Response:
        from shipyard.serving.outlier_service import detector_remove

        detector_remove(deployment=_deployment(request, project, name, Role.MAINTAINER))
        return Response(status=status.HTTP_204_NO_CONTENT)


class FeatureLeadTimeView(APIView):
    @extend_schema(
        responses={200: OpenApiTypes.OBJECT},
        summary="Feature lead time (rubric data-6): dataset column added -> first deployed version using it",
    )
    def get(self, request: Request, project: str) -> Response:
        from shipyard.serving.lead_time import feature_lead_time

        return Response(feature_lead_time(project_get(user=request.user, ref=project)))
