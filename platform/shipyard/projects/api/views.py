from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from shipyard.accounts.roles import Role
from shipyard.accounts.scoping import TeamScopedViewSet, require_role, teams_of
from shipyard.projects import services
from shipyard.projects.api.serializers import ProjectCreateSerializer, ProjectSerializer, ProjectUpdateSerializer
from shipyard.projects.models import Project
from shipyard.projects.selectors import project_get


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("team", OpenApiTypes.STR, description="only this team's projects"),
            OpenApiParameter("search", OpenApiTypes.STR, description="match name, slug or description"),
        ]
    ),
    create=extend_schema(request=ProjectCreateSerializer, responses={201: ProjectSerializer}),
    partial_update=extend_schema(request=ProjectUpdateSerializer, responses={200: ProjectSerializer}),
    update=extend_schema(request=ProjectUpdateSerializer, responses={200: ProjectSerializer}),
)
class ProjectViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    TeamScopedViewSet,
):
    queryset = Project.objects.select_related("team").order_by("slug")
    serializer_class = ProjectSerializer
    lookup_field = "slug"
    lookup_url_kwarg = "project"
    lookup_value_regex = r"[^/]+"

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        if self.action == "create":
            return ProjectCreateSerializer
        if self.action in {"update", "partial_update"}:
            return ProjectUpdateSerializer
        return ProjectSerializer

    def get_queryset(self) -> QuerySet[Project]:
        queryset = super().get_queryset()
        if self.action == "list":
            team = self.request.query_params.get("team")
            if team:
                queryset = queryset.filter(team__slug=team)
            search = self.request.query_params.get("search", "").strip()
            if search:
                queryset = queryset.filter(
                    Q(name__icontains=search) | Q(slug__icontains=search) | Q(description__icontains=search)
                )
        return queryset

    def get_object(self) -> Project:
        project = project_get(user=self.request.user, ref=self.kwargs["project"])
        self.check_object_permissions(self.request, project)
        return project

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = ProjectCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        team = teams_of(request.user).filter(slug=data.pop("team")).first()
        if team is None:
            raise serializers.ValidationError({"team": ["You are not a member of this team."]})
        require_role(request.user, team, Role.MEMBER, action="create projects")
        project = services.project_create(team=team, **data)
        return Response(ProjectSerializer(project).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        project = self.get_object()
        serializer = ProjectUpdateSerializer(project, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        project = services.project_update(project=project, **serializer.validated_data)
        return Response(ProjectSerializer(project).data)

    def perform_destroy(self, instance: Project) -> None:
        services.project_delete(project=instance)
