from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from shipyard.accounts.models import Membership, Team, slug_validator
from shipyard.accounts.roles import Role
from shipyard.core.serializers import StrictSerializer


class CredentialsSerializer(StrictSerializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})


class TokenCreateSerializer(CredentialsSerializer):
    expires_in_days = serializers.IntegerField(
        min_value=1,
        max_value=3650,
        required=False,
        help_text="Days until the token stops being accepted (1-3650). Omit for no expiry of its own.",
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class MeTeamSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices)


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.CharField()
    teams = serializers.SerializerMethodField()

    @extend_schema_field(MeTeamSerializer(many=True))
    def get_teams(self, user: Any) -> list[dict[str, str]]:
        rows = Membership.objects.filter(user=user).select_related("team").order_by("team__slug")
        return [{"slug": m.team.slug, "name": m.team.name, "role": m.role} for m in rows]


class LoginResponseSerializer(serializers.Serializer):
    user = MeSerializer()


class TeamSerializer(StrictSerializer):
    slug = serializers.CharField(max_length=50, validators=[slug_validator])
    name = serializers.CharField(max_length=100)
    role = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(read_only=True)

    def get_role(self, team: Team) -> str | None:
        request = self.context.get("request")
        if request is None:
            return None
        return Membership.objects.filter(team=team, user=request.user).values_list("role", flat=True).first()


class MemberSerializer(StrictSerializer):
    username = serializers.CharField(max_length=150)
    role = serializers.ChoiceField(choices=Role.choices)

    def validate_username(self, value: str) -> str:
        if not get_user_model().objects.filter(username=value).exists():
            raise serializers.ValidationError("No user with this username.")
        return value
