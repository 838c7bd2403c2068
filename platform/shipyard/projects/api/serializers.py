from __future__ import annotations

from rest_framework import serializers

from shipyard.accounts.models import slug_validator
from shipyard.core.serializers import StrictModelSerializer
from shipyard.projects.models import Project


class ProjectSerializer(StrictModelSerializer):
    team: serializers.Field = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    slug = serializers.CharField(max_length=50, validators=[slug_validator])

    class Meta:
        model = Project
        fields = [
            "id",
            "slug",
            "name",
            "team",
            "description",
            "evidence_window_days",
            "feature_lead_time_target_days",
            "badge_public",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "team", "created_at", "updated_at"]


class ProjectCreateSerializer(ProjectSerializer):
    team = serializers.CharField(max_length=50, help_text="slug of one of your teams")  # type: ignore[assignment]

    class Meta(ProjectSerializer.Meta):
        read_only_fields = ["id", "created_at", "updated_at"]


class ProjectUpdateSerializer(ProjectSerializer):
    slug = serializers.CharField(read_only=True)  # type: ignore[assignment]

    class Meta(ProjectSerializer.Meta):
        read_only_fields = ["id", "slug", "team", "created_at", "updated_at"]
