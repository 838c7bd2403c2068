from __future__ import annotations

from typing import Any

from rest_framework import serializers

from shipyard.core.serializers import StrictSerializer
from shipyard.serving.gate import canary_gate_weight
from shipyard.serving.models import ApiKey, Deployment, DeploymentEvent


class DeploymentSettingsSerializer(serializers.ModelSerializer):
    """The settings as the model defines them (types, ranges, choices, nullability): every one optional."""

    class Meta:
        model = Deployment
        fields = Deployment.SETTINGS_FIELDS
        extra_kwargs = {key: {"required": False} for key in Deployment.SETTINGS_FIELDS}


class ReasonField(serializers.CharField):
    """Why the change is made: required for create, deploy, canary, promote and rollback, and kept in
    the deployment's history."""

    default_error_messages = {
        "required": "Give a reason for this change (it is kept in the deployment's history).",
        "blank": "Give a reason for this change (it is kept in the deployment's history).",
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 2000)
        kwargs.setdefault("help_text", "why this change is made (required; shown in the deployment's history)")
        super().__init__(**kwargs)


def _settings_fields() -> dict[str, Any]:
    return dict(DeploymentSettingsSerializer().get_fields())


class DeploymentCreateSerializer(StrictSerializer):
    name = serializers.SlugField(max_length=50)
    model = serializers.CharField(max_length=100)
    version = serializers.IntegerField(min_value=1)
    reason = ReasonField()
    override_gate = serializers.BooleanField(required=False, default=False)

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields.update(_settings_fields())
        return fields


class DeploymentUpdateSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields.update(_settings_fields())
        return fields


class DeploySerializer(StrictSerializer):
    version = serializers.IntegerField(min_value=1)
    reason = ReasonField()
    override_gate = serializers.BooleanField(required=False, default=False)


class CanarySerializer(StrictSerializer):
    version = serializers.IntegerField(min_value=1, required=False)
    weight = serializers.IntegerField(min_value=0, max_value=100)
    reason = ReasonField()
    #: only consulted above SERVING_CANARY_GATE_WEIGHT, where the canary is gated like a promote
    override_gate = serializers.BooleanField(required=False, default=False)


class PromoteSerializer(StrictSerializer):
    reason = ReasonField()
    override_gate = serializers.BooleanField(required=False, default=False)


class RollbackSerializer(StrictSerializer):
    reason = ReasonField()


class ApiKeyCreateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=100)


def _version(v: Any) -> dict[str, Any] | None:
    if v is None:
        return None
    return {"id": v.pk, "number": v.number, "format": v.format}


class DeploymentSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.slug", read_only=True)
    model = serializers.CharField(source="model.name", read_only=True)
    live_version = serializers.SerializerMethodField()
    canary_version = serializers.SerializerMethodField()
    traffic = serializers.SerializerMethodField()
    endpoint = serializers.SerializerMethodField()
    can_rollback = serializers.SerializerMethodField()
    #: a canary weight above this percentage must pass the quality gate (SERVING_CANARY_GATE_WEIGHT)
    canary_gate_weight = serializers.SerializerMethodField()

    class Meta:
        model = Deployment
        fields = [
            "id",
            "name",
            "project",
            "model",
            "live_version",
            "canary_version",
            "canary_weight",
            "traffic",
            "endpoint",
            "can_rollback",
            "canary_gate_weight",
            "canary_started_at",
            *Deployment.SETTINGS_FIELDS,
            "canary_breaches",
            "canary_passes",
            "canary_analyzed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_live_version(self, obj: Deployment) -> dict[str, Any] | None:
        return _version(obj.live_version)

    def get_canary_version(self, obj: Deployment) -> dict[str, Any] | None:
        return _version(obj.canary_version)

    def get_traffic(self, obj: Deployment) -> list[dict[str, Any]]:
        weight = obj.canary_weight if obj.canary_version_id else 0
        out = [{"version": obj.live_version.number, "role": "live", "share": 100 - weight}]
        if obj.canary_version_id:
            out.append({"version": obj.canary_version.number, "role": "canary", "share": weight})  # type: ignore[union-attr]
        return out

    def get_endpoint(self, obj: Deployment) -> str:
        return f"/serve/{obj.project.slug}/{obj.name}/predict"

    def get_canary_gate_weight(self, obj: Deployment) -> int:
        return canary_gate_weight()

    def get_can_rollback(self, obj: Deployment) -> bool:
        return bool(obj.live_history) or (obj.canary_version_id is not None and obj.canary_weight > 0)


class DeploymentEventSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()
    from_version = serializers.SerializerMethodField()
    to_version = serializers.SerializerMethodField()

    class Meta:
        model = DeploymentEvent
        fields = [
            "id",
            "kind",
            "actor",
            "from_version",
            "to_version",
            "weight_from",
            "weight_to",
            "reason",
            "detail",
            "created_at",
        ]
        read_only_fields = fields

    def get_actor(self, obj: DeploymentEvent) -> str | None:
        return obj.actor.username if obj.actor else None

    def get_from_version(self, obj: DeploymentEvent) -> int | None:
        return obj.from_version.number if obj.from_version else None

    def get_to_version(self, obj: DeploymentEvent) -> int | None:
        return obj.to_version.number if obj.to_version else None


class ApiKeySerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiKey
        fields = ["id", "name", "prefix", "created_at", "revoked_at"]
        read_only_fields = fields
