from __future__ import annotations

from typing import Any

from rest_framework import serializers

from shipyard.core.serializers import StrictSerializer
from shipyard.serving.gate import canary_gate_weight
from shipyard.serving.models import ApiKey, BanditPolicy, Deployment, DeploymentEvent


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


class BanditSerializer(StrictSerializer):
    #: the version numbers to route among (two or more)
    versions = serializers.ListField(child=serializers.IntegerField(min_value=1), max_length=8)
    policy = serializers.ChoiceField(choices=BanditPolicy.choices, required=False, default=BanditPolicy.THOMPSON)
    epsilon = serializers.FloatField(min_value=0.0, max_value=1.0, required=False, default=0.1)
    min_share = serializers.FloatField(min_value=0.0, max_value=0.5, required=False, default=0.02)
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class BanditStopSerializer(StrictSerializer):
    """The body of stopping a bandit or a shadow."""

    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class BanditArmSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    version_id = serializers.IntegerField()
    requests = serializers.IntegerField()
    share = serializers.FloatField(allow_null=True)
    successes = serializers.IntegerField()
    failures = serializers.IntegerField()
    alpha = serializers.IntegerField()
    beta = serializers.IntegerField()
    mean = serializers.FloatField()
    low = serializers.FloatField()
    high = serializers.FloatField()


class BanditPointSerializer(serializers.Serializer):
    t = serializers.DateTimeField()
    version = serializers.IntegerField()
    requests = serializers.IntegerField()
    share = serializers.FloatField(allow_null=True)
    mean = serializers.FloatField()
    low = serializers.FloatField()
    high = serializers.FloatField()


class BanditReportSerializer(serializers.Serializer):
    active = serializers.BooleanField()
    policy = serializers.CharField()
    epsilon = serializers.FloatField()
    min_share = serializers.FloatField()
    started_at = serializers.DateTimeField(allow_null=True)
    #: where the arms' counts came from: "redis", "database" (Redis lost them) or "none"
    state_source = serializers.CharField()
    arms = BanditArmSerializer(many=True)
    history = BanditPointSerializer(many=True)


class ShadowSerializer(StrictSerializer):
    version = serializers.IntegerField(min_value=1)
    #: the share of requests mirrored to the shadow (0 < share <= 1)
    share = serializers.FloatField(min_value=0.0, max_value=1.0, default=1.0)
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ShadowPointSerializer(serializers.Serializer):
    t = serializers.DateTimeField()
    count = serializers.IntegerField()
    agreement = serializers.FloatField(allow_null=True)
    live_p50_ms = serializers.FloatField(allow_null=True)
    shadow_p50_ms = serializers.FloatField(allow_null=True)


class ShadowDisagreementSerializer(serializers.Serializer):
    created_at = serializers.DateTimeField()
    request_id = serializers.CharField()
    live_output = serializers.JSONField()
    shadow_output = serializers.JSONField()


class ShadowReportSerializer(serializers.Serializer):
    active = serializers.BooleanField()
    version = serializers.IntegerField(allow_null=True)
    share = serializers.FloatField()
    started_at = serializers.DateTimeField(allow_null=True)
    count = serializers.IntegerField()
    #: mirrored rows the shadow failed to answer
    failed = serializers.IntegerField()
    agreement = serializers.FloatField(allow_null=True)
    live_p50_ms = serializers.FloatField(allow_null=True)
    live_p99_ms = serializers.FloatField(allow_null=True)
    shadow_p50_ms = serializers.FloatField(allow_null=True)
    shadow_p99_ms = serializers.FloatField(allow_null=True)
    series = ShadowPointSerializer(many=True)
    disagreements = ShadowDisagreementSerializer(many=True)


class OutlierDetectorRequestSerializer(StrictSerializer):
    #: the share of training rows the threshold lets through (0.99 flags about 1 % of such data)
    quantile = serializers.FloatField(min_value=0.5, max_value=0.9999, default=0.99)


class OutlierDetectorSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    state = serializers.CharField()
    method = serializers.CharField()
    quantile = serializers.FloatField()
    threshold = serializers.FloatField(allow_null=True)
    training_rows = serializers.IntegerField()
    error = serializers.CharField(allow_blank=True)
    updated_at = serializers.DateTimeField()


class OutlierReportSerializer(serializers.Serializer):
    detector = OutlierDetectorSerializer(allow_null=True)
    minutes = serializers.IntegerField()
    scored = serializers.IntegerField()
    outliers = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True)


class ApiKeyCreateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=100)


def _version(v: Any) -> dict[str, Any] | None:
    if v is None:
        return None
    out = {"id": v.pk, "number": v.number, "format": v.format}
    if v.format == "ensemble":
        out["ensemble"] = ensemble_summary(v)
    return out


def ensemble_summary(v: Any) -> dict[str, Any]:
    """An ensemble version's combination, weights and member version numbers."""
    from shipyard.registry.models import ModelVersion

    definition = (v.params or {}).get("ensemble") or {}
    ids = [int(m) for m in definition.get("members") or []]
    numbers = dict(ModelVersion.objects.filter(pk__in=ids).values_list("pk", "number"))
    return {
        "combine": definition.get("combine", ""),
        "weights": definition.get("weights"),
        "members": [numbers[i] for i in ids if i in numbers],
    }


class EnsembleCreateSerializer(StrictSerializer):
    #: the version numbers to combine (two or more, same signature)
    members = serializers.ListField(child=serializers.IntegerField(min_value=1), max_length=8)
    combine = serializers.ChoiceField(choices=["mean", "weighted", "vote"], default="mean")
    weights = serializers.ListField(child=serializers.FloatField(min_value=0.0), max_length=8, required=False)
    #: the ensemble's own measured metrics (the quality gate reads them, as for an uploaded version)
    metrics = serializers.DictField(child=serializers.FloatField(), required=False)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class EnsembleDefinitionSerializer(serializers.Serializer):
    combine = serializers.CharField()
    weights = serializers.ListField(child=serializers.FloatField(), allow_null=True)
    members = serializers.ListField(child=serializers.IntegerField())


class EnsembleVersionSerializer(serializers.Serializer):
    model = serializers.CharField(source="model.name")
    number = serializers.IntegerField()
    format = serializers.CharField()
    description = serializers.CharField()
    metrics = serializers.DictField()
    ensemble = serializers.SerializerMethodField()

    def get_ensemble(self, obj: Any) -> dict[str, Any]:
        return ensemble_summary(obj)


class DeploymentSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.slug", read_only=True)
    model = serializers.CharField(source="model.name", read_only=True)
    live_version = serializers.SerializerMethodField()
    canary_version = serializers.SerializerMethodField()
    traffic = serializers.SerializerMethodField()
    endpoint = serializers.SerializerMethodField()
    can_rollback = serializers.SerializerMethodField()
    #: version numbers a bandit routes among (empty without one)
    bandit_arms = serializers.SerializerMethodField()
    shadow_version = serializers.SerializerMethodField()
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
            "bandit_policy",
            "bandit_arms",
            "shadow_version",
            "shadow_share",
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

    def get_shadow_version(self, obj: Deployment) -> dict[str, Any] | None:
        return _version(obj.shadow_version)

    def get_bandit_arms(self, obj: Deployment) -> list[int]:
        if not obj.bandit_policy:
            return []
        return [a.version.number for a in obj.bandit_arms.select_related("version")]

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
