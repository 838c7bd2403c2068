from __future__ import annotations

import hashlib
import json
from typing import Any, Protocol, cast

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from shipyard.accounts.roles import Role
from shipyard.ci import deliveries, selectors, services
from shipyard.ci.api.serializers import (
    CIConfigSerializer,
    CIRunDetailSerializer,
    CIRunSerializer,
    DeliverySerializer,
    DependencyChangeSerializer,
    MetricPolicySerializer,
    NotificationSerializer,
    SecretRotatedSerializer,
    SecretRotateSerializer,
    SecretStatusSerializer,
    TagRuleSerializer,
    TestCaseSerializer,
    WebhookAcceptedSerializer,
)
from shipyard.ci.junit import JunitError, parse
from shipyard.ci.models import AUTO_DEFAULT_BRANCHES, MetricPolicy, TagRule
from shipyard.ci.payloads import PayloadError, coverage_of
from shipyard.ci.signatures import SignatureError, Verified, identify_and_verify
from shipyard.core.errors import error_body
from shipyard.core.pagination import DefaultPagination, paginated_response
from shipyard.projects.models import Project
from shipyard.projects.selectors import project_get

QUERY_FIELDS = ("id", "run_id", "name", "branch", "commit", "url", "status", "started_at", "finished_at", "duration")
CHUNK = 64 * 1024


class _Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


def _read_limited(stream: _Readable, limit: int) -> bytes | None:
    """The raw body, read in chunks; None as soon as it exceeds ``limit`` bytes."""
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > limit:
            return None
        chunks.append(chunk)


def _body_stream(request: HttpRequest) -> _Readable | None:
    """Where to read the body from; None for a chunked body the server cannot end for us.

    With a Content-Length, Django's own stream (bounded by it). Without one (``Transfer-Encoding:
    chunked``), the WSGI input itself when the server de-chunks it and marks its end
    (``wsgi.input_terminated``: gunicorn, uWSGI with chunked input, mod_wsgi); Django's stream
    would read nothing there. Reading an unterminated input would wait for a close that never
    comes, so that case is refused with 411.
    """
    environ = request.META
    if (environ.get("CONTENT_LENGTH") or "").strip():
        return request
    if environ.get("wsgi.input_terminated"):
        return cast(_Readable, environ["wsgi.input"])
    if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return None
    return request


def _too_large(limit: int) -> Response:
    return Response(
        error_body("too_large", f"The body is larger than the limit of {limit} bytes."),
        status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    )


def _coverage_refused(body: bytes) -> str:
    """Why a native JSON body's ``coverage`` field is refused ("" when it is Cobertura XML, or when the
    body is not JSON at all: the worker then records that on the delivery)."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return ""
    if not isinstance(data, dict):
        return ""
    try:
        coverage_of(data)
    except PayloadError as exc:
        return str(exc)
    return ""


class WebhookView(APIView):
    """Signed deliveries from CI. The signature is the authentication: no session, no token, no CSRF."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    parser_classes: list[Any] = []
    throttle_classes: list[Any] = []

    @extend_schema(
        request={"application/json": OpenApiTypes.OBJECT, "application/xml": OpenApiTypes.STR},
        responses={200: WebhookAcceptedSerializer, 202: WebhookAcceptedSerializer},
        auth=[],
    )
    def post(self, request: Request, project: str) -> Response:
        limit = int(settings.CI_WEBHOOK_MAX_BYTES)
        raw_length = request.META.get("CONTENT_LENGTH") or ""
        if raw_length.strip().isdecimal() and int(raw_length) > limit:
            return _too_large(limit)
        stream = _body_stream(request._request)
        if stream is None:
            return Response(
                error_body(
                    "length_required",
                    "This server cannot read a chunked body: send a Content-Length (or run Shipyard behind gunicorn).",
                ),
                status=status.HTTP_411_LENGTH_REQUIRED,
            )
        body = _read_limited(stream, limit)
        if body is None:
            return _too_large(limit)
        target: Project | None
        if request.headers.get("Authorization", "").startswith("Token ") and not request.headers.get(
            "X-Shipyard-Signature"
        ):
            try:
                target, verified = self._token_sender(request, project, body)
            except AuthenticationFailed as exc:
                return Response(error_body("unauthenticated", str(exc.detail)), status=status.HTTP_401_UNAUTHORIZED)
        else:
            target = Project.objects.filter(slug=project).first()
            secrets = selectors.secrets_valid(selectors.config_of(target) if target else None, timezone.now())
            try:
                verified = identify_and_verify(secrets, body, request.headers)
            except SignatureError as exc:
                return Response(error_body("unauthenticated", str(exc)), status=status.HTTP_401_UNAUTHORIZED)
        assert target is not None  # no project, no secret: verification failed above
        content_type = (request.content_type or "").split(";")[0].strip().lower()
        if verified.provider in {"shipyard", "generic"} and content_type in {"application/xml", "text/xml"}:
            try:
                parse(body)
            except JunitError as exc:
                return Response(error_body("invalid", str(exc), {"body": [str(exc)]}), status=400)
        elif verified.provider in {"shipyard", "generic"} and b'"coverage"' in body:
            refused = _coverage_refused(body)
            if refused:
                return Response(error_body("invalid", refused, {"coverage": [refused]}), status=400)
        query = {k: request.query_params[k][:1000] for k in QUERY_FIELDS if k in request.query_params}
        delivery, created = deliveries.delivery_receive(
            project=target,
            provider=verified.provider,
            delivery_id=verified.delivery_id,
            event=verified.event,
            body=body,
            content_type=content_type,
            query=query,
            replay_key=verified.replay_key,
        )
        if not created and delivery.status == "queued":
            # A retry of a delivery whose enqueue may have failed: queue it again (processing is idempotent).
            from shipyard.ci.tasks import process_delivery

            process_delivery.delay(delivery.pk)
        return Response(
            {
                "delivery": delivery.pk,
                "provider": verified.provider,
                "status": delivery.status,
                "duplicate": not created,
            },
            status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK,
        )

    @staticmethod
    def _token_sender(request: Request, project: str, body: bytes) -> tuple[Project, Verified]:
        """An API token of a project member instead of a signature (for `shipyard ci report` with SHIPYARD_TOKEN)."""
        from rest_framework.authentication import TokenAuthentication

        authenticated = TokenAuthentication().authenticate(request)
        if not authenticated:
            raise AuthenticationFailed("Invalid token.")
        user = authenticated[0]
        target = project_get(user=user, ref=project, minimum=Role.MEMBER, action="report CI runs")
        delivery = request.headers.get("X-Shipyard-Delivery") or "sha256:" + hashlib.sha256(body).hexdigest()
        return target, Verified("shipyard", delivery, request.headers.get("X-Shipyard-Event") or "report")


class SecretView(APIView):
    @extend_schema(responses=SecretStatusSerializer)
    def get(self, request: Request, project: str) -> Response:
        config = selectors.config_of(project_get(user=request.user, ref=project))
        return Response(
            {
                "configured": bool(config and config.secret),
                "rotated_at": config.rotated_at if config else None,
                "previous_valid_until": config.previous_valid_until if config else None,
            }
        )

    @extend_schema(request=SecretRotateSerializer, responses={201: SecretRotatedSerializer})
    def post(self, request: Request, project: str) -> Response:
        target = project_get(user=request.user, ref=project, minimum=Role.MAINTAINER, action="rotate the CI secret")
        serializer = SecretRotateSerializer(data=request.data or {})
        serializer.is_valid(raise_exception=True)
        config, secret = services.secret_rotate(
            project=target, grace_hours=serializer.validated_data.get("grace_hours")
        )
        return Response(
            {
                "secret": secret,
                "configured": True,
                "rotated_at": config.rotated_at,
                "previous_valid_until": config.previous_valid_until,
            },
            status=status.HTTP_201_CREATED,
        )


class ConfigView(APIView):
    @extend_schema(responses=CIConfigSerializer)
    def get(self, request: Request, project: str) -> Response:
        target = project_get(user=request.user, ref=project)
        config = selectors.config_of(target)
        if config is None:
            return Response(CIConfigSerializer(services.config_for(project=target)).data)
        return Response(CIConfigSerializer(config).data)

    @extend_schema(request=CIConfigSerializer, responses=CIConfigSerializer)
    def patch(self, request: Request, project: str) -> Response:
        target = project_get(user=request.user, ref=project, minimum=Role.MAINTAINER, action="change CI settings")
        serializer = CIConfigSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        config = services.config_update(project=target, **serializer.validated_data)
        return Response(CIConfigSerializer(config).data)


def _page(view: APIView, request: Request, queryset: Any, serializer: type) -> Response:
    return paginated_response(view, queryset, serializer)


class RunListView(APIView):
    pagination_class = DefaultPagination

    @extend_schema(
        parameters=[OpenApiParameter("branch", OpenApiTypes.STR), OpenApiParameter("status", OpenApiTypes.STR)],
        responses=CIRunSerializer(many=True),
    )
    def get(self, request: Request, project: str) -> Response:
        target = project_get(user=request.user, ref=project)
        queryset = selectors.runs_for(
            target, branch=request.query_params.get("branch", ""), status=request.query_params.get("status", "")
        )
        return _page(self, request, queryset, CIRunSerializer)


def _run_or_404(user: Any, project: str, run: str) -> Any:
    from rest_framework.exceptions import NotFound

    found = selectors.run_get(project_get(user=user, ref=project), run)
    if found is None:
        raise NotFound(f"No CI run '{run}'.")
    return found


class RunDetailView(APIView):
    @extend_schema(responses=CIRunDetailSerializer)
    def get(self, request: Request, project: str, run: str) -> Response:
        return Response(CIRunDetailSerializer(_run_or_404(request.user, project, run)).data)


class RunCasesView(APIView):
    pagination_class = DefaultPagination

    @extend_schema(
        parameters=[OpenApiParameter("status", OpenApiTypes.STR, description="passed, failed, error or skipped")],
        responses=TestCaseSerializer(many=True),
    )
    def get(self, request: Request, project: str, run: str) -> Response:
        found = _run_or_404(request.user, project, run)
        return _page(
            self, request, selectors.cases_of(found, status=request.query_params.get("status", "")), TestCaseSerializer
        )


class TagRuleListView(APIView):
    @extend_schema(responses=TagRuleSerializer(many=True))
    def get(self, request: Request, project: str) -> Response:
        target = project_get(user=request.user, ref=project)
        return Response(TagRuleSerializer(TagRule.objects.filter(project=target), many=True).data)

    @extend_schema(request=TagRuleSerializer, responses={201: TagRuleSerializer})
    def post(self, request: Request, project: str) -> Response:
        target = project_get(user=request.user, ref=project, minimum=Role.MEMBER, action="edit tag rules")
        serializer = TagRuleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rule = services.tag_rule_create(project=target, **serializer.validated_data)
        return Response(TagRuleSerializer(rule).data, status=status.HTTP_201_CREATED)


class TagRuleDetailView(APIView):
    def _rule(self, request: Request, project: str, rule: str, minimum: Role) -> TagRule:
        from rest_framework.exceptions import NotFound

        target = project_get(user=request.user, ref=project, minimum=minimum, action="edit tag rules")
        found = TagRule.objects.filter(project=target, pk=int(rule)).first() if rule.isdecimal() else None
        if found is None:
            raise NotFound(f"No tag rule '{rule}'.")
        return found

    @extend_schema(request=TagRuleSerializer, responses=TagRuleSerializer)
    def patch(self, request: Request, project: str, rule: str) -> Response:
        found = self._rule(request, project, rule, Role.MEMBER)
        serializer = TagRuleSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        return Response(TagRuleSerializer(services.tag_rule_update(rule=found, **serializer.validated_data)).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, project: str, rule: str) -> Response:
        services.tag_rule_delete(rule=self._rule(request, project, rule, Role.MEMBER))
        return Response(status=status.HTTP_204_NO_CONTENT)


class MetricPolicyListView(APIView):
    @extend_schema(responses=MetricPolicySerializer(many=True))
    def get(self, request: Request, project: str) -> Response:
        target = project_get(user=request.user, ref=project)
        return Response(MetricPolicySerializer(MetricPolicy.objects.filter(project=target), many=True).data)

    @extend_schema(request=MetricPolicySerializer, responses={200: MetricPolicySerializer})
    def post(self, request: Request, project: str) -> Response:
        """Create or replace the policy of one metric."""
        target = project_get(user=request.user, ref=project, minimum=Role.MEMBER, action="edit metric policies")
        serializer = MetricPolicySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(
            MetricPolicySerializer(services.metric_policy_set(project=target, **serializer.validated_data)).data
        )


class MetricPolicyDetailView(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request: Request, project: str, metric: str) -> Response:
        from rest_framework.exceptions import NotFound

        target = project_get(user=request.user, ref=project, minimum=Role.MEMBER, action="edit metric policies")
        policy = MetricPolicy.objects.filter(project=target, metric=metric).first()
        if policy is None:
            raise NotFound(f"No policy for metric '{metric}'.")
        services.metric_policy_delete(policy=policy)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MetricsView(APIView):
    @extend_schema(parameters=[OpenApiParameter("branch", OpenApiTypes.STR)], responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, project: str) -> Response:
        target = project_get(user=request.user, ref=project)
        config = selectors.config_of(target)
        return Response(
            {
                "default_branch": config.default_branch if config else "",
                "default_branches": config.default_branches if config else list(AUTO_DEFAULT_BRANCHES),
                "series": selectors.metric_series(target, branch=request.query_params.get("branch", "")),
            }
        )


class DependencyChangeListView(APIView):
    pagination_class = DefaultPagination

    @extend_schema(responses=DependencyChangeSerializer(many=True))
    def get(self, request: Request, project: str) -> Response:
        target = project_get(user=request.user, ref=project)
        return _page(self, request, selectors.dependency_changes_for(target), DependencyChangeSerializer)


class DeliveryListView(APIView):
    pagination_class = DefaultPagination

    @extend_schema(parameters=[OpenApiParameter("status", OpenApiTypes.STR)], responses=DeliverySerializer(many=True))
    def get(self, request: Request, project: str) -> Response:
        target = project_get(user=request.user, ref=project)
        return _page(
            self,
            request,
            selectors.deliveries_for(target, status=request.query_params.get("status", "")),
            DeliverySerializer,
        )


class NotificationListView(APIView):
    pagination_class = DefaultPagination

    @extend_schema(responses=NotificationSerializer(many=True))
    def get(self, request: Request, project: str) -> Response:
        target = project_get(user=request.user, ref=project)
        return _page(self, request, selectors.notifications_for(target), NotificationSerializer)
