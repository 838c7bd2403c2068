"""Rubric API views: validate, call one service or selector, serialize.

Every project-scoped view looks the project up with ``project_get`` (the caller's teams only), so
another team's project is a 404 from every endpoint; writing needs the member role (403 for a
viewer of a project they can see).
"""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import renderers, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from shipyard.accounts.models import SLUG_PATTERN
from shipyard.accounts.roles import Role
from shipyard.accounts.scoping import teams_of
from shipyard.core.pagination import DefaultPagination
from shipyard.projects.selectors import project_get
from shipyard.rubric import reports, scoring, selectors, services
from shipyard.rubric.api.serializers import (
    AssessmentCreateDocSerializer,
    AssessmentCreateSerializer,
    AssessmentSerializer,
    EvidenceSerializer,
    RubricDocumentSerializer,
    ScoreSerializer,
    TeamOverviewSerializer,
)
from shipyard.rubric.ids import RUBRIC_TEST_IDS
from shipyard.rubric.models import Assessment, EvidenceSource


def assessment_data(assessment: Assessment, *, with_answers: bool) -> dict[str, Any]:
    sections = assessment.sections
    final = scoring.final_score(sections)
    data: dict[str, Any] = {
        "id": assessment.pk,
        "project": assessment.project.slug,
        "rubric_version": assessment.rubric.version,
        "base": assessment.base_id,
        "created_at": assessment.created_at.isoformat(),
        "created_by": assessment.created_by.get_username() if assessment.created_by else None,
        "sections": sections,
        "final": final,
        "band": selectors.band_dict(scoring.band_for(final)),
    }
    if with_answers:
        data["answers"] = assessment.answers
    return data


class RubricView(APIView):
    @extend_schema(responses=RubricDocumentSerializer, summary="The rubric: 4 sections of 7 tests, bands, statuses")
    def get(self, request: Request) -> Response:
        return Response(selectors.rubric_document())


class AssessmentListView(GenericAPIView):
    pagination_class = DefaultPagination
    serializer_class = AssessmentCreateDocSerializer  # for OPTIONS; responses are documented below

    @extend_schema(
        responses=AssessmentSerializer(many=True),
        parameters=[OpenApiParameter("answers", OpenApiTypes.BOOL, description="include each snapshot's answers")],
        summary="A project's assessment snapshots, newest first",
    )
    def get(self, request: Request, project: str) -> Response:
        found = project_get(user=request.user, ref=project)
        with_answers = request.query_params.get("answers", "").lower() in ("1", "true", "yes")
        queryset = selectors.assessments_of(found).select_related("project", "rubric")
        page = self.paginate_queryset(queryset)
        items = [assessment_data(a, with_answers=with_answers) for a in (page if page is not None else queryset)]
        return self.get_paginated_response(items) if page is not None else Response(items)

    @extend_schema(
        request=AssessmentCreateDocSerializer,
        responses={
            201: AssessmentSerializer,
            200: OpenApiResponse(AssessmentSerializer, description="nothing changed since the latest snapshot"),
            409: OpenApiResponse(description="stale base: someone saved since"),
        },
        summary="Save a new immutable snapshot of the answers",
    )
    def post(self, request: Request, project: str) -> Response:
        found = project_get(user=request.user, ref=project, minimum=Role.MEMBER, action="assess projects")
        serializer = AssessmentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        assessment, created = services.assessment_create(
            project=found,
            answers=serializer.validated_data["answers"],
            base_id=serializer.validated_data.get("base"),
            by=request.user,
        )
        assessment = selectors.assessments_of(found).select_related("project", "rubric").get(pk=assessment.pk)
        return Response(
            assessment_data(assessment, with_answers=True),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class AssessmentDetailView(APIView):
    @extend_schema(responses=AssessmentSerializer, summary="One snapshot with its answers")
    def get(self, request: Request, project: str, assessment: str) -> Response:
        found = project_get(user=request.user, ref=project)
        snapshot = selectors.assessment_get(project=found, assessment_id=assessment)
        return Response(assessment_data(snapshot, with_answers=True))


class MarkdownRenderer(renderers.BaseRenderer):
    media_type = "text/markdown"
    format = "md"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        return str(data).encode("utf-8")


class AssessmentReportView(APIView):
    renderer_classes = [MarkdownRenderer]

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # Always Markdown, whatever the Accept header says.
        return (MarkdownRenderer(), MarkdownRenderer.media_type)

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        # Errors keep the API's JSON envelope, like every other endpoint.
        if response.status_code >= 400:
            request.accepted_renderer = renderers.JSONRenderer()
            request.accepted_media_type = "application/json"
        return super().finalize_response(request, response, *args, **kwargs)

    @extend_schema(
        responses={(200, "text/markdown"): OpenApiTypes.STR},
        summary="A Markdown report of one snapshot (to paste into a README, a wiki or a review)",
    )
    def get(self, request: Request, project: str, assessment: str) -> Response:
        found = project_get(user=request.user, ref=project)
        snapshot = selectors.assessment_get(project=found, assessment_id=assessment)
        latest = selectors.assessment_latest(found)
        verification = selectors.project_score(found) if latest and latest.pk == snapshot.pk else None
        text = reports.assessment_markdown(
            project=found,
            assessment=snapshot,
            section_titles=selectors.section_titles(),
            test_titles=selectors.test_titles(),
            verification=verification,
        )
        response = Response(text, content_type="text/markdown; charset=utf-8")
        response["Content-Disposition"] = f'inline; filename="{found.slug}-assessment-{snapshot.pk}.md"'
        return response


class ScoreView(APIView):
    @extend_schema(responses=ScoreSerializer, summary="Claimed and verified score, and per test which holds and why")
    def get(self, request: Request, project: str) -> Response:
        found = project_get(user=request.user, ref=project)
        return Response(selectors.project_score(found))


class EvidenceListView(GenericAPIView):
    pagination_class = DefaultPagination
    serializer_class = EvidenceSerializer

    @extend_schema(
        responses=EvidenceSerializer(many=True),
        parameters=[
            OpenApiParameter("test", OpenApiTypes.STR, description="a rubric test id, e.g. infra-1"),
            OpenApiParameter("source", OpenApiTypes.STR, enum=list(EvidenceSource.values)),
        ],
        summary="Evidence Shipyard recorded for a project, newest first",
    )
    def get(self, request: Request, project: str) -> Response:
        found = project_get(user=request.user, ref=project)
        test_id = request.query_params.get("test") or None
        source = request.query_params.get("source") or None
        if test_id is not None and test_id not in RUBRIC_TEST_IDS:
            raise serializers.ValidationError({"test": ["Unknown rubric test id; expected data-1..monitor-7."]})
        if source is not None and source not in EvidenceSource.values:
            raise serializers.ValidationError({"source": [f"Must be one of: {', '.join(EvidenceSource.values)}."]})
        queryset = selectors.evidence_of(found, test_id=test_id, source=source)
        page = self.paginate_queryset(queryset)
        assert page is not None
        return self.get_paginated_response([selectors.evidence_dict(e) for e in page])


class TeamRubricView(APIView):
    @extend_schema(responses=TeamOverviewSerializer, summary="A team's projects side by side and the per-test heat map")
    def get(self, request: Request, team: str) -> Response:
        found = teams_of(request.user).filter(slug=team).first() if re.fullmatch(SLUG_PATTERN, team) else None
        if found is None:
            raise NotFound(f"No team '{team}'.")
        return Response(selectors.team_overview(found))
