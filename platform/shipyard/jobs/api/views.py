"""Jobs API: create (member), list/detail (viewer), cancel (member), retry (member), and the job
kinds with their params' JSON schema. Team-scoped: another team's job, project or version is a 404."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from shipyard.accounts.roles import Role
from shipyard.accounts.scoping import TeamScopedViewSet
from shipyard.core.errors import DomainError
from shipyard.core.pagination import DefaultPagination
from shipyard.jobs import edge, selectors, services
from shipyard.jobs import params as job_params
from shipyard.jobs.api import serializers as s
from shipyard.jobs.models import EdgeProfile, Job
from shipyard.projects.selectors import project_get
from shipyard.registry.models import DatasetVersion, ModelVersion

ErrorResponse = OpenApiResponse(description="error: {error: {code, message, fields}}")


class JobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TeamScopedViewSet):
    queryset = Job.objects.all()
    team_path = "project__team"
    pagination_class = DefaultPagination
    action_roles = {"cancel": Role.MEMBER, "retry": Role.MEMBER}

    def get_queryset(self) -> Any:
        params = self.request.query_params
        if self.action == "list":
            return selectors.jobs_filtered(
                user=self.request.user,
                kind=params.get("kind", ""),
                status=params.get("status", ""),
                project=params.get("project", ""),
                model_version=params.get("model_version", ""),
                team=params.get("team", ""),
            )
        return selectors.jobs_for(self.request.user)

    def get_serializer_class(self) -> Any:
        return s.JobSerializer if self.action == "list" else s.JobDetailSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", str, description="comma-separated kinds"),
            OpenApiParameter("status", str, description="comma-separated statuses"),
            OpenApiParameter("project", str, description="project slug"),
            OpenApiParameter("model_version", int),
            OpenApiParameter("team", str, description="team slug: only this team's jobs"),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=s.JobCreateSerializer, responses={201: s.JobDetailSerializer, 400: ErrorResponse, 404: ErrorResponse}
    )
    def create(self, request: Request) -> Response:
        data = s.JobCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        project = project_get(user=request.user, ref=v["project"], minimum=Role.MEMBER, action="run jobs")
        mv = ModelVersion.objects.select_related("model").filter(pk=v["model_version"], model__project=project).first()
        if mv is None:
            raise DomainError(
                f"no model version {v['model_version']} in project '{project.slug}'", field="model_version"
            )
        dv = None
        if v.get("dataset_version"):
            dv = (
                DatasetVersion.objects.select_related("dataset")
                .filter(pk=v["dataset_version"], dataset__project=project)
                .first()
            )
            if dv is None:
                raise DomainError(
                    f"no dataset version {v['dataset_version']} in project '{project.slug}'", field="dataset_version"
                )
        job = services.job_create(
            project=project,
            kind=v["kind"],
            model_version=mv,
            dataset_version=dv,
            params=v.get("params") or {},
            queue=v.get("queue") or None,
            device=v.get("device") or "auto",
            by=request.user,
        )
        return Response(s.JobDetailSerializer(job).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: s.JobKindSerializer(many=True)})
    @action(detail=False, methods=["get"], pagination_class=None)
    def kinds(self, request: Request) -> Response:
        """Every job kind with its params' JSON schema (types, ranges, defaults): what a start-job form offers."""
        return Response(s.JobKindSerializer(job_params.schemas(), many=True).data)

    @extend_schema(request=None, responses={200: s.JobDetailSerializer, 404: ErrorResponse, 409: ErrorResponse})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        job = services.job_cancel(job=self.get_object(), by=request.user)
        return Response(s.JobDetailSerializer(job).data)

    @extend_schema(request=None, responses={201: s.JobDetailSerializer, 404: ErrorResponse, 409: ErrorResponse})
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str | None = None) -> Response:
        job = services.job_retry(job=self.get_object(), by=request.user)
        return Response(s.JobDetailSerializer(job).data, status=status.HTTP_201_CREATED)


class EdgeProfileListView(APIView):
    """A project's edge profiles (device budgets): read by viewers, written by maintainers."""

    @extend_schema(responses=s.EdgeProfileSerializer(many=True))
    def get(self, request: Request, project: str) -> Response:
        proj = project_get(user=request.user, ref=project)
        return Response(s.EdgeProfileSerializer(EdgeProfile.objects.filter(project=proj), many=True).data)

    @extend_schema(request=s.EdgeProfileSerializer, responses={201: s.EdgeProfileSerializer, 400: ErrorResponse})
    def post(self, request: Request, project: str) -> Response:
        proj = project_get(user=request.user, ref=project, minimum=Role.MAINTAINER, action="change edge profiles")
        body = s.EdgeProfileSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        profile = edge.edge_profile_create(project=proj, **body.validated_data)
        return Response(s.EdgeProfileSerializer(profile).data, status=status.HTTP_201_CREATED)


class EdgeProfileDetailView(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request: Request, project: str, name: str) -> Response:
        proj = project_get(user=request.user, ref=project, minimum=Role.MAINTAINER, action="change edge profiles")
        profile = EdgeProfile.objects.filter(project=proj, name=name).first()
        if profile is None:
            raise NotFound(f"No edge profile '{name}' in project '{proj.slug}'.")
        edge.edge_profile_delete(profile=profile)
        return Response(status=status.HTTP_204_NO_CONTENT)
