from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate, get_user_model, login, logout
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import ensure_csrf_cookie
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, status
from rest_framework.authentication import CSRFCheck
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from shipyard.accounts import services
from shipyard.accounts.api.serializers import (
    CredentialsSerializer,
    LoginResponseSerializer,
    MemberSerializer,
    MeSerializer,
    TeamSerializer,
    TokenSerializer,
)
from shipyard.accounts.models import Team
from shipyard.accounts.roles import Role
from shipyard.core.scoping import TeamScopedViewSet, require_role

BAD_CREDENTIALS = "Unable to log in with the provided credentials."


def _enforce_csrf(request: Request) -> None:
    """Login CSRF: the browser login must carry the CSRF token even though nobody is logged in yet."""
    check = CSRFCheck(lambda _request: None)  # type: ignore[arg-type]
    check.process_request(request._request)
    reason = check.process_view(request._request, None, (), {})  # type: ignore[arg-type]
    if reason:
        raise exceptions.PermissionDenied(
            f"CSRF failed: {reason.reason_phrase if hasattr(reason, 'reason_phrase') else reason}"
        )


def _authenticate(request: Request) -> Any:
    serializer = CredentialsSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    user = authenticate(request._request, **serializer.validated_data)
    if user is None or not user.is_active:
        raise exceptions.AuthenticationFailed(BAD_CREDENTIALS)
    return user


class TokenView(APIView):
    """Exchange a username and password for an API token (``Authorization: Token <t>``)."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    def get_authenticate_header(self, request: Request) -> str:
        return "Token"

    @extend_schema(request=CredentialsSerializer, responses={200: TokenSerializer})
    def post(self, request: Request) -> Response:
        user = _authenticate(request)
        return Response({"token": services.token_for(user=user)})


@method_decorator(ensure_csrf_cookie, name="dispatch")
class CsrfView(APIView):
    """Sets the ``csrftoken`` cookie for the browser app."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(responses={200: None})
    def get(self, request: Request) -> Response:
        return Response({})


class LoginView(APIView):
    """Session login for the browser (CSRF-protected)."""

    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(request=CredentialsSerializer, responses={200: LoginResponseSerializer})
    def post(self, request: Request) -> Response:
        _enforce_csrf(request)
        user = _authenticate(request)
        login(request._request, user)
        return Response({"user": MeSerializer(user).data})


class LogoutView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    @extend_schema(responses={200: MeSerializer})
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)


class TeamViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, TeamScopedViewSet):
    """Teams the caller belongs to. Creating a team makes the caller its admin."""

    queryset = Team.objects.all()
    serializer_class = TeamSerializer
    lookup_field = "slug"
    team_path = "pk"

    def team_of(self, obj: Any) -> Any:
        return obj

    def get_queryset(self) -> Any:
        from shipyard.core.scoping import teams_of

        return teams_of(self.request.user).order_by("slug")

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.team_create(owner=self.request.user, **serializer.validated_data)

    @extend_schema(request=MemberSerializer, responses={200: MemberSerializer})
    @action(detail=True, methods=["post"])
    def members(self, request: Request, slug: str | None = None) -> Response:
        """Add a user to the team or change their role (team admins only)."""
        team = self.get_object()
        require_role(request.user, team, Role.ADMIN, action="manage members")
        serializer = MemberSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = get_user_model().objects.get(username=serializer.validated_data["username"])
        membership = services.membership_set(team=team, user=user, role=serializer.validated_data["role"])
        return Response({"username": user.username, "role": membership.role})
