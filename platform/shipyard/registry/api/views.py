"""Registry API. Every view resolves the project through ``project_get`` (the caller's teams only:
another team's project, model or dataset is a 404), then checks the role, then calls one service."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from shipyard.accounts.roles import Role
from shipyard.accounts.scoping import role_of
from shipyard.core.errors import DomainError
from shipyard.core.pagination import DefaultPagination, paginated_response
from shipyard.projects.models import Project
from shipyard.projects.selectors import project_get
from shipyard.registry import aliases, datasets, policy, privacy, selectors, storage, uploads, versions
from shipyard.registry.api import serializers as s
from shipyard.registry.api.downloads import ranged_response
from shipyard.registry.models import (
    EDGE_SUFFIXES,
    Alias,
    DatasetDownload,
    DatasetVersion,
    FeaturePolicy,
    ModelVersion,
)
from shipyard.registry.usage import version_users

ErrorResponse = OpenApiResponse(description="error: {error: {code, message, fields}}")


class ProjectScopedView(APIView):
    def project(self, minimum: Role = Role.VIEWER, action: str = "do this") -> Project:
        return project_get(user=self.request.user, ref=self.kwargs["project"], minimum=minimum, action=action)

    def paginate(self, queryset: Any, serializer: type[Any], **kwargs: Any) -> Response:
        return paginated_response(self, queryset, serializer, **kwargs)


class StreamingUploadMixin:
    """Stream multipart files to disk (hashing as they come) and answer 413 before reading too much."""

    parser_classes: Any = [MultiPartParser]

    def initialize_request(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Request:
        if request.method == "POST":
            uploads.install(request)
        return super().initialize_request(request, *args, **kwargs)  # type: ignore[misc]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        if request.method == "POST":
            uploads.check_content_length(request)
        super().initial(request, *args, **kwargs)  # type: ignore[misc]


# ---- models ---------------------------------------------------------------------------------


class ModelListView(ProjectScopedView):
    pagination_class = DefaultPagination

    @extend_schema(responses={200: s.RegisteredModelSerializer(many=True)})
    def get(self, request: Request, project: str) -> Response:
        proj = self.project()
        queryset = (
            selectors.models_list(project=proj)
            .select_related("project", "created_by")
            .prefetch_related("versions", Prefetch("aliases", queryset=Alias.objects.select_related("version")))
        )
        search = request.query_params.get("search", "").strip()
        if search:
            queryset = queryset.filter(Q(name__icontains=search) | Q(description__icontains=search))
        return self.paginate(queryset, s.RegisteredModelSerializer)

    @extend_schema(request=s.ModelCreateSerializer, responses={201: s.RegisteredModelSerializer, 400: ErrorResponse})
    def post(self, request: Request, project: str) -> Response:
        proj = self.project(Role.MEMBER, "register models")
        body = s.ModelCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        model = versions.model_create(project=proj, by=request.user, **body.validated_data)
        return Response(s.RegisteredModelSerializer(model).data, status=status.HTTP_201_CREATED)


class ModelDetailView(ProjectScopedView):
    @extend_schema(responses={200: s.RegisteredModelSerializer})
    def get(self, request: Request, project: str, model: str) -> Response:
        return Response(s.RegisteredModelSerializer(selectors.model_get(project=self.project(), name=model)).data)

    @extend_schema(request=s.ModelUpdateSerializer, responses={200: s.RegisteredModelSerializer, 400: ErrorResponse})
    def patch(self, request: Request, project: str, model: str) -> Response:
        proj = self.project(Role.MEMBER, "edit models")
        obj = selectors.model_get(project=proj, name=model)
        body = s.ModelUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return Response(s.RegisteredModelSerializer(versions.model_update(model=obj, **body.validated_data)).data)


def _training_dataset(proj: Project, ref: str) -> DatasetVersion | None:
    if not ref:
        return None
    name, _, number = ref.partition(":")
    try:
        if number:
            if not number.isdecimal():
                raise DomainError("write '<dataset>:<number>' or '<dataset>'", field="training_dataset")
            return selectors.dataset_version_get(project=proj, dataset_name=name, number=int(number))
        return selectors.dataset_version_latest(project=proj, dataset_name=name)
    except NotFound as exc:  # a bad reference in the body is a 400 naming the field
        raise DomainError(str(exc.detail), field="training_dataset") from None


class ModelVersionListView(StreamingUploadMixin, ProjectScopedView):
    pagination_class = DefaultPagination

    @extend_schema(responses={200: s.ModelVersionSerializer(many=True)})
    def get(self, request: Request, project: str, model: str) -> Response:
        obj = selectors.model_get(project=self.project(), name=model)
        queryset = (
            selectors.model_versions(model=obj).select_related("model", "parent__model").prefetch_related("aliases")
        )
        return self.paginate(queryset, s.ModelVersionSerializer)

    @extend_schema(
        request={"multipart/form-data": s.ModelVersionCreateSerializer},
        responses={201: s.ModelVersionSerializer, 400: ErrorResponse, 413: ErrorResponse},
    )
    def post(self, request: Request, project: str, model: str) -> Response:
        proj = self.project(Role.MEMBER, "upload model versions")
        if "source" in request.data:
            raise DomainError(
                "source URIs are not fetched by the server; upload the artifact file itself", field="source"
            )
        body = s.ModelVersionCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        parent = None
        if data.get("parent"):
            try:
                parent = selectors.model_version_get(project=proj, model_name=model, number=data["parent"])
            except NotFound:
                raise DomainError(f"model '{model}' has no version {data['parent']}", field="parent") from None
        version = versions.model_version_create(
            project=proj,
            model_name=model,
            artifact_file_or_path=data["artifact"],
            format=data["format"],
            framework=data.get("framework", ""),
            signature=data.get("signature"),
            metrics=data.get("metrics"),
            slice_metrics=data.get("slice_metrics"),
            params=data.get("params"),
            tags=data.get("tags"),
            environment=data.get("environment"),
            recipe=data.get("recipe", ""),
            recipe_config=data.get("recipe_config"),
            git_commit=data.get("git_commit", ""),
            training_dataset=_training_dataset(proj, data.get("training_dataset", "")),
            description=data.get("description", ""),
            parent=parent,
            idempotency_key=data.get("idempotency_key", ""),
            by=request.user,
        )
        return Response(s.ModelVersionSerializer(version).data, status=status.HTTP_201_CREATED)


def _evidence_of(version: ModelVersion) -> list[dict[str, Any]]:
    from shipyard.rubric.models import Evidence

    rows = Evidence.objects.filter(project_id=version.model.project_id).filter(
        Q(detail__model_version_id=version.pk)
        | Q(key__startswith=f"model_version:{version.pk}:")
        | Q(key=f"model_version:{version.pk}")
    )[:100]
    return [
        {
            "id": e.pk,
            "test_id": e.test_id,
            "source": e.source,
            "passed": e.passed,
            "title": e.title,
            "link": e.link,
            "observed_at": e.observed_at.isoformat(),
        }
        for e in rows
    ]


class ModelVersionDetailView(ProjectScopedView):
    @extend_schema(responses={200: s.ModelVersionDetailSerializer})
    def get(self, request: Request, project: str, model: str, number: int) -> Response:
        version = selectors.model_version_get(project=self.project(), model_name=model, number=number)
        context = {
            "lineage": selectors.lineage(version=version),
            "deployments": version_users(version),
            "evidence": _evidence_of(version),
        }
        return Response(s.ModelVersionDetailSerializer(version, context=context).data)


class ModelVersionArtifactView(ProjectScopedView):
    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 206: OpenApiTypes.BINARY},
        parameters=[OpenApiParameter("Range", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False)],
    )
    def get(self, request: Request, project: str, model: str, number: int) -> HttpResponse:
        version = selectors.model_version_get(project=self.project(), model_name=model, number=number)
        store = storage.store()
        return ranged_response(
            request,
            lambda: store.open(version.artifact_key),
            size=version.artifact_size,
            filename=(
                f"{model}-v{number}{EDGE_SUFFIXES[version.format]}"
                if version.format in EDGE_SUFFIXES
                else version.artifact_filename or f"{model}-v{number}.{version.format}"
            ),
            etag=version.artifact_sha256,
        )


class AliasListView(ProjectScopedView):
    @extend_schema(responses={200: s.AliasesSerializer})
    def get(self, request: Request, project: str, model: str) -> Response:
        obj = selectors.model_get(project=self.project(), name=model)
        return Response(
            {
                "aliases": s.AliasSerializer(selectors.aliases_of(model=obj), many=True).data,
                "moves": s.AliasMoveSerializer(selectors.alias_moves_of(model=obj)[:200], many=True).data,
            }
        )

    @extend_schema(
        request=s.AliasMoveRequestSerializer, responses={200: s.AliasSerializer, 400: ErrorResponse, 409: ErrorResponse}
    )
    def post(self, request: Request, project: str, model: str) -> Response:
        proj = self.project(Role.MAINTAINER, "move aliases")
        body = s.AliasMoveRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        obj = selectors.model_get(project=proj, name=model)
        version = ModelVersion.objects.filter(model=obj, number=data["version"]).first()
        if version is None:
            raise DomainError(f"model '{model}' has no version {data['version']}", field="version")
        alias = aliases.alias_set(
            version=version,
            name=data["alias"],
            by=request.user,
            expected_version=data.get("expected_version"),
            reason=data.get("reason", ""),
        )
        alias.refresh_from_db()
        return Response(s.AliasSerializer(alias).data)


class AliasDetailView(ProjectScopedView):
    @extend_schema(responses={204: None, 400: ErrorResponse})
    def delete(self, request: Request, project: str, model: str, alias: str) -> Response:
        proj = self.project(Role.MAINTAINER, "move aliases")
        aliases.alias_delete(model=selectors.model_get(project=proj, name=model), name=alias, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# ---- datasets -------------------------------------------------------------------------------


class DatasetListView(ProjectScopedView):
    pagination_class = DefaultPagination

    @extend_schema(responses={200: s.DatasetSerializer(many=True)})
    def get(self, request: Request, project: str) -> Response:
        queryset = selectors.datasets_list(project=self.project()).select_related("project", "created_by")
        return self.paginate(
            queryset.prefetch_related("versions__created_by", "versions__dataset", "versions__parent"),
            s.DatasetSerializer,
        )

    @extend_schema(request=s.DatasetCreateSerializer, responses={201: s.DatasetSerializer, 400: ErrorResponse})
    def post(self, request: Request, project: str) -> Response:
        proj = self.project(Role.MEMBER, "create datasets")
        body = s.DatasetCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        dataset = datasets.dataset_create(project=proj, by=request.user, **body.validated_data)
        return Response(s.DatasetSerializer(dataset).data, status=status.HTTP_201_CREATED)


class DatasetDetailView(ProjectScopedView):
    @extend_schema(responses={200: s.DatasetSerializer})
    def get(self, request: Request, project: str, name: str) -> Response:
        return Response(s.DatasetSerializer(selectors.dataset_get(project=self.project(), name=name)).data)


class DatasetVersionListView(StreamingUploadMixin, ProjectScopedView):
    pagination_class = DefaultPagination

    @extend_schema(responses={200: s.DatasetVersionSerializer(many=True)})
    def get(self, request: Request, project: str, name: str) -> Response:
        dataset = selectors.dataset_get(project=self.project(), name=name)
        queryset = dataset.versions.select_related("dataset", "created_by", "parent").order_by("-number")
        return self.paginate(queryset, s.DatasetVersionSerializer)

    @extend_schema(
        request={"multipart/form-data": s.DatasetVersionCreateSerializer},
        responses={201: s.DatasetVersionDetailSerializer, 400: ErrorResponse, 413: ErrorResponse},
    )
    def post(self, request: Request, project: str, name: str) -> Response:
        proj = self.project(Role.MEMBER, "upload datasets")
        body = s.DatasetVersionCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        parent = None
        if data.get("parent"):
            parent = DatasetVersion.objects.filter(
                dataset__project=proj, dataset__name=name, number=data["parent"]
            ).first()
            if parent is None:
                raise DomainError(f"dataset '{name}' has no version {data['parent']}", field="parent")
        version = datasets.dataset_version_create(
            project=proj,
            dataset_name=name,
            file_or_path=data["file"],
            format=data["format"],
            label_column=data.get("label_column", ""),
            slices=data.get("slices"),
            sensitive_features=data.get("sensitive_features"),
            tags=data.get("tags"),
            feature_costs=data.get("feature_costs"),
            description=data.get("description", ""),
            parent=parent,
            idempotency_key=data.get("idempotency_key", ""),
            feature_meta=data.get("feature_meta"),
            by=request.user,
        )
        return Response(s.DatasetVersionDetailSerializer(version).data, status=status.HTTP_201_CREATED)


class DatasetVersionDetailView(ProjectScopedView):
    @extend_schema(responses={200: s.DatasetVersionDetailSerializer})
    def get(self, request: Request, project: str, name: str, number: int) -> Response:
        version = selectors.dataset_version_get(project=self.project(), dataset_name=name, number=number)
        return Response(s.DatasetVersionDetailSerializer(version).data)


class DatasetVersionFileView(ProjectScopedView):
    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 206: OpenApiTypes.BINARY},
        parameters=[OpenApiParameter("normalized", OpenApiTypes.BOOL, description="the normalised Parquet copy")],
    )
    def get(self, request: Request, project: str, name: str, number: int) -> HttpResponse:
        proj = self.project()
        version = selectors.dataset_version_get(project=proj, dataset_name=name, number=number)
        store = storage.store()
        normalized = request.query_params.get("normalized", "") in {"1", "true"} and bool(version.normalized_key)
        role = role_of(request.user, proj.team) or Role.VIEWER
        granted = privacy.may_download(version=version, role=role)
        privacy.download_log(
            version=version,
            user=request.user,
            normalized=normalized,
            granted=granted,
            byte_range=request.META.get("HTTP_RANGE", ""),
        )
        if not granted:
            raise PermissionDenied(
                f"This version has columns declared sensitive; downloading it needs the "
                f"{privacy.sensitive_min_role(proj)} role."
            )
        key = version.normalized_key if normalized else version.file_key
        filename = (
            f"{name}-v{number}.parquet"
            if normalized
            else (version.original_filename or f"{name}-v{number}.{version.format}")
        )
        return ranged_response(
            request,
            lambda: store.open(key),
            size=store.size(key) if normalized else version.size_bytes,
            filename=filename,
            etag=key.replace("/", "")[6:],
        )


class DatasetDownloadListView(ProjectScopedView):
    """The access audit of a dataset's files (rubric data-5): admins only."""

    pagination_class = DefaultPagination

    @extend_schema(responses={200: s.DatasetDownloadSerializer(many=True), 403: ErrorResponse})
    def get(self, request: Request, project: str, name: str) -> Response:
        proj = self.project(Role.ADMIN, "read the access audit")
        dataset = selectors.dataset_get(project=proj, name=name)
        queryset = DatasetDownload.objects.filter(version__dataset=dataset).select_related("version__dataset")
        return self.paginate(queryset, s.DatasetDownloadSerializer)


class FeaturePolicyView(ProjectScopedView):
    """The project's feature policy (rubric data-4) and its data access rule (data-5)."""

    @extend_schema(responses={200: s.FeaturePolicySerializer})
    def get(self, request: Request, project: str) -> Response:
        proj = self.project()
        found = policy.policy_of(proj) or FeaturePolicy(project=proj)
        return Response(s.FeaturePolicySerializer(found).data)

    @extend_schema(
        request=s.FeaturePolicyWriteSerializer,
        responses={200: s.FeaturePolicySerializer, 400: ErrorResponse, 403: ErrorResponse},
    )
    def put(self, request: Request, project: str) -> Response:
        proj = self.project(Role.MAINTAINER, "change the feature policy")
        body = s.FeaturePolicyWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        saved = policy.feature_policy_set(project=proj, data=dict(body.validated_data), by=request.user)
        return Response(s.FeaturePolicySerializer(saved).data)

    @extend_schema(responses={204: None, 403: ErrorResponse})
    def delete(self, request: Request, project: str) -> Response:
        proj = self.project(Role.MAINTAINER, "change the feature policy")
        policy.feature_policy_delete(project=proj)
        return Response(status=status.HTTP_204_NO_CONTENT)
