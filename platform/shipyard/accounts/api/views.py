from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate, get_user_model, login, logout
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import ensure_csrf_cookie
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, status
from rest_framework.authentication import CSRFCheck
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from shipyard.accounts import services
from shipyard.accounts.api.serializers import (
    CredentialsSerializer,
    LoginResponseSerializer,
    MemberSerializer,
    MeSerializer,
    TeamSerializer,
    TokenCreateSerializer,
    TokenSerializer,
)
from shipyard.accounts.authentication import ExpiringTokenAuthentication
from shipyard.accounts.models import Team
from shipyard.accounts.roles import Role
from shipyard.accounts.scoping import TeamScopedViewSet, require_role
from shipyard.accounts.throttles import LOGIN_THROTTLES

BAD_CREDENTIALS = "Unable to log in with the provided credentials."
# The key of the API token issued while this browser session existed; logout revokes it.
SESSION_TOKEN_KEY = "shipyard_api_token"


def _enforce_csrf(request: Request) -> None:
    """Login CSRF: the browser login must carry the CSRF token even though nobody is logged in yet."""
    check = CSRFCheck(lambda _request: None)  # type: ignore[arg-type]
    check.process_request(request._request)
    reason = check.process_view(request._request, None, (), {})  # type: ignore[arg-type]
    if reason:
        raise exceptions.PermissionDenied(
            f"CSRF failed: {reason.reason_phrase if hasattr(reason, 'reason_phrase') else reason}"
        )


def _authenticate(request: Request, data: dict[str, Any]) -> Any:
    user = authenticate(request._request, username=data["username"], password=data["password"])
    if user is None or not user.is_active:
        raise exceptions.AuthenticationFailed(BAD_CREDENTIALS)
    return user


def _validated(serializer_class: type[CredentialsSerializer], request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class TokenView(APIView):
    """API tokens: issue one for a username and password, or revoke the caller's."""

    permission_classes = [AllowAny]
    throttle_classes = list(LOGIN_THROTTLES)

    def _method(self) -> str | None:
        # None while the schema generator builds its mock request.
        request = getattr(self, "request", None)
        return request.method if request is not None else None

    def get_authenticators(self) -> list[Any]:
        if self._method() == "DELETE":
            return super().get_authenticators()
        return []

    def get_permissions(self) -> list[Any]:
        if self._method() == "DELETE":
            return [IsAuthenticated()]
        return [AllowAny()]

    def get_throttles(self) -> list[Any]:
        if self._method() == "DELETE":
            return []
        return super().get_throttles()

    def get_authenticate_header(self, request: Request) -> str:
        return "Token"

    @extend_schema(request=TokenCreateSerializer, responses={200: TokenSerializer})
    def post(self, request: Request) -> Response:
        """Exchange a username and password for the user's API token (``Authorization: Token <t>``),
        optionally expiring ``expires_in_days`` from now."""
        data = _validated(TokenCreateSerializer, request)
        user = _authenticate(request, data)
        token, created = services.token_issue(user=user, expires_in_days=data.get("expires_in_days"))
        session = getattr(request._request, "session", None)
        if created and session is not None and session.session_key:
            session[SESSION_TOKEN_KEY] = token.key
        return Response({"token": token.key})

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request) -> Response:
        """Revoke the token this request is authenticated with (with a session: the token issued
        for that session, if any)."""
        if isinstance(request.successful_authenticator, ExpiringTokenAuthentication):
            services.token_revoke(key=request.auth.key)
        else:
            key = request._request.session.pop(SESSION_TOKEN_KEY, None)
            if isinstance(key, str):
                services.token_revoke(key=key)
        return Response(status=status.HTTP_204_NO_CONTENT)


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
    throttle_classes = list(LOGIN_THROTTLES)

    @extend_schema(request=CredentialsSerializer, responses={200: LoginResponseSerializer})
    def post(self, request: Request) -> Response:
        _enforce_csrf(request)
        user = _authenticate(request, _validated(CredentialsSerializer, request))
        login(request._request, user)
        return Response({"user": MeSerializer(user).data})


class LogoutView(APIView):
    """Ends the browser session and revokes the API token issued while it existed, if any."""

    permission_classes = [AllowAny]

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        key = request._request.session.get(SESSION_TOKEN_KEY)
        if isinstance(key, str):
            services.token_revoke(key=key)
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
        from shipyard.accounts.scoping import teams_of

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
