"""Push-to-deploy API: views validate, call one service, serialize. Scoped like the deployments API
(another team's deployment is a 404); pushing needs maintainer or above, the policy an admin."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from shipyard.accounts.roles import Role
from shipyard.core.errors import DomainError
from shipyard.core.pagination import DefaultPagination, paginated_response
from shipyard.projects.models import Project
from shipyard.registry import selectors as registry_selectors
from shipyard.registry.api.views import StreamingUploadMixin
from shipyard.registry.models import DatasetVersion
from shipyard.releases import policy, selectors, services
from shipyard.releases.api import serializers as s
from shipyard.serving.selectors import deployment_for


def _dataset(project: Project, ref: str) -> DatasetVersion | None:
    if not ref:
        return None
    name, _, number = ref.partition(":")
    try:
        if number:
            if not number.isdecimal():
                raise DomainError("write '<dataset>:<number>' or '<dataset>'", field="dataset")
            return registry_selectors.dataset_version_get(project=project, dataset_name=name, number=int(number))
        return registry_selectors.dataset_version_latest(project=project, dataset_name=name)
    except NotFound as exc:
        raise DomainError(str(exc.detail), field="dataset") from None


class PushListView(StreamingUploadMixin, APIView):
    pagination_class = DefaultPagination

    @extend_schema(responses=s.PushSerializer(many=True), summary="The deployment's pushes, newest first")
    def get(self, request: Request, project: str, name: str) -> Response:
        deployment = deployment_for(user=request.user, project=project, name=name)
        return paginated_response(self, selectors.pushes_of(deployment), s.PushSerializer)

    @extend_schema(
        request={"multipart/form-data": s.PushCreateSerializer},
        responses={201: s.PushSerializer, 200: s.PushSerializer},
        summary="Push a version from CI: upload, evaluate, and canary it when the quality gate passes",
    )
    def post(self, request: Request, project: str, name: str) -> Response:
        deployment = deployment_for(
            user=request.user, project=project, name=name, minimum=Role.MAINTAINER, action="push to deployments"
        )
        ser = s.PushCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        push, created = services.push_create(
            deployment=deployment,
            artifact=data["artifact"],
            model_name=data["model"],
            format=data["format"],
            commit=data["commit"],
            branch=data["branch"],
            ci_run=data["ci_run"],
            ci_url=data["ci_url"],
            recipe=data["recipe"],
            recipe_config=data.get("recipe_config"),
            metrics=data.get("metrics"),
            signature=data.get("signature"),
            dataset=_dataset(deployment.project, data["dataset"]),
            description=data["description"],
            by=request.user,
        )
        fresh = selectors.push_get(deployment=deployment, push_id=push.pk)
        return Response(s.PushSerializer(fresh).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class PushDetailView(APIView):
    @extend_schema(responses=s.PushSerializer)
    def get(self, request: Request, project: str, name: str, push_id: int) -> Response:
        deployment = deployment_for(user=request.user, project=project, name=name)
        return Response(s.PushSerializer(selectors.push_get(deployment=deployment, push_id=push_id)).data)


class PushPolicyView(APIView):
    @extend_schema(responses=s.PushPolicySerializer, summary="Which pushes the deployment accepts")
    def get(self, request: Request, project: str, name: str) -> Response:
        deployment = deployment_for(user=request.user, project=project, name=name)
        return Response(s.PushPolicySerializer(policy.policy_of(deployment)).data)

    @extend_schema(request=s.PushPolicyUpdateSerializer, responses=s.PushPolicySerializer)
    def patch(self, request: Request, project: str, name: str) -> Response:
        deployment = deployment_for(
            user=request.user, project=project, name=name, minimum=Role.MAINTAINER, action="change deployments"
        )
        ser = s.PushPolicyUpdateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        updated = services.policy_update(deployment=deployment, values=dict(ser.validated_data), by=request.user)
        return Response(s.PushPolicySerializer(updated).data)
