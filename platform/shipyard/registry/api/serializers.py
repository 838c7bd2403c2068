from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from shipyard.core.serializers import StrictSerializer
from shipyard.registry.models import (
    UPLOAD_FORMATS,
    Alias,
    AliasMove,
    Dataset,
    DatasetDownload,
    DatasetFormat,
    DatasetVersion,
    FeaturePolicy,
    ModelVersion,
    PolicyMode,
    RegisteredModel,
)


class UserNameField(serializers.CharField):
    def to_representation(self, value: Any) -> str:
        return str(getattr(value, "username", "") or "")


# ---- models ---------------------------------------------------------------------------------


class AliasSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(source="version.number", read_only=True)
    updated_by = UserNameField(read_only=True, allow_null=True)

    class Meta:
        model = Alias
        fields = ["name", "version", "updated_by", "updated_at"]


class AliasMoveSerializer(serializers.ModelSerializer):
    from_version = serializers.IntegerField(source="from_version.number", read_only=True, allow_null=True)
    to_version = serializers.IntegerField(source="to_version.number", read_only=True, allow_null=True)
    moved_by = UserNameField(read_only=True, allow_null=True)

    class Meta:
        model = AliasMove
        fields = ["id", "alias_name", "from_version", "to_version", "moved_by", "moved_at", "reason"]


class RegisteredModelSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.slug", read_only=True)
    latest_version = serializers.SerializerMethodField()
    version_count = serializers.SerializerMethodField()
    aliases = AliasSerializer(many=True, read_only=True)
    created_by = UserNameField(read_only=True, allow_null=True)

    class Meta:
        model = RegisteredModel
        fields = [
            "id",
            "project",
            "name",
            "description",
            "tags",
            "latest_version",
            "version_count",
            "aliases",
            "created_by",
            "created_at",
            "updated_at",
        ]

    def get_latest_version(self, obj: RegisteredModel) -> int | None:
        latest = max((v.number for v in obj.versions.all()), default=None)
        return latest

    def get_version_count(self, obj: RegisteredModel) -> int:
        return len(obj.versions.all())


class ModelCreateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class ModelUpdateSerializer(StrictSerializer):
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    tags = serializers.DictField(child=serializers.CharField(max_length=500, allow_blank=True), required=False)


class ModelVersionSerializer(serializers.ModelSerializer):
    model = serializers.CharField(source="model.name", read_only=True)
    author = UserNameField(read_only=True, allow_null=True)
    parent = serializers.SerializerMethodField()  # type: ignore[assignment]
    training_dataset = serializers.SerializerMethodField()
    aliases = serializers.SerializerMethodField()

    class Meta:
        model = ModelVersion
        fields = [
            "id",
            "model",
            "number",
            "format",
            "framework",
            "artifact_sha256",
            "artifact_size",
            "artifact_filename",
            "code",
            "recipe",
            "recipe_config",
            "signature",
            "metrics",
            "slice_metrics",
            "params",
            "tags",
            "git_commit",
            "training_dataset",
            "environment",
            "author",
            "description",
            "parent",
            "produced_by_job_id",
            "aliases",
            "policy_check",
            "created_at",
        ]

    def get_parent(self, obj: ModelVersion) -> dict[str, Any] | None:
        if obj.parent is None:
            return None
        return {"model": obj.parent.model.name, "number": obj.parent.number}

    def get_training_dataset(self, obj: ModelVersion) -> dict[str, Any] | None:
        ds = obj.training_dataset
        if ds is None:
            return None
        return {"dataset": ds.dataset.name, "number": ds.number}

    def get_aliases(self, obj: ModelVersion) -> list[str]:
        return sorted(a.name for a in obj.aliases.all())


class ModelVersionDetailSerializer(ModelVersionSerializer):
    lineage = serializers.SerializerMethodField()
    deployments = serializers.SerializerMethodField()
    evidence = serializers.SerializerMethodField()

    class Meta(ModelVersionSerializer.Meta):
        fields = [*ModelVersionSerializer.Meta.fields, "lineage", "deployments", "evidence"]

    def get_lineage(self, obj: ModelVersion) -> dict[str, Any]:
        return self.context.get("lineage", {"nodes": [], "edges": []})

    def get_deployments(self, obj: ModelVersion) -> list[dict[str, Any]]:
        return self.context.get("deployments", [])

    def get_evidence(self, obj: ModelVersion) -> list[dict[str, Any]]:
        return self.context.get("evidence", [])


class ModelVersionCreateSerializer(StrictSerializer):
    """Multipart: ``artifact`` plus metadata; JSON-valued fields may be sent as JSON strings."""

    artifact = serializers.FileField()
    format = serializers.ChoiceField(choices=UPLOAD_FORMATS)
    framework = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    signature = serializers.JSONField(required=False)
    metrics = serializers.JSONField(required=False)
    slice_metrics = serializers.JSONField(required=False)
    params = serializers.JSONField(required=False)
    tags = serializers.JSONField(required=False)
    environment = serializers.JSONField(required=False)
    recipe = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    recipe_config = serializers.JSONField(required=False)
    git_commit = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    training_dataset = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text="'<dataset>:<number>' or '<dataset>' (latest)",
    )
    parent = serializers.IntegerField(  # type: ignore[assignment]
        required=False, allow_null=True, min_value=1, help_text="version number of this model"
    )
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    idempotency_key = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    source = serializers.CharField(required=False, help_text="not supported: upload the artifact itself")  # type: ignore[assignment]


class AliasMoveRequestSerializer(StrictSerializer):
    alias = serializers.CharField(max_length=64)
    version = serializers.IntegerField(min_value=1)
    expected_version = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class AliasesSerializer(serializers.Serializer):
    aliases = AliasSerializer(many=True)
    moves = AliasMoveSerializer(many=True)


# ---- datasets -------------------------------------------------------------------------------


class DatasetVersionSerializer(serializers.ModelSerializer):
    dataset = serializers.CharField(source="dataset.name", read_only=True)
    created_by = UserNameField(read_only=True, allow_null=True)
    parent = serializers.IntegerField(source="parent.number", read_only=True, allow_null=True)  # type: ignore[assignment]

    class Meta:
        model = DatasetVersion
        fields = [
            "id",
            "dataset",
            "number",
            "format",
            "sha256",
            "size_bytes",
            "original_filename",
            "row_count",
            "label_column",
            "slices",
            "sensitive_features",
            "tags",
            "description",
            "parent",
            "produced_by_job_id",
            "created_by",
            "created_at",
        ]


class DatasetVersionDetailSerializer(DatasetVersionSerializer):
    class Meta(DatasetVersionSerializer.Meta):
        fields = [*DatasetVersionSerializer.Meta.fields, "schema", "stats", "feature_meta", "policy_check", "pii_scan"]


class DatasetSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.slug", read_only=True)
    latest_version = serializers.SerializerMethodField()
    created_by = UserNameField(read_only=True, allow_null=True)

    class Meta:
        model = Dataset
        fields = ["id", "project", "name", "description", "latest_version", "created_by", "created_at", "updated_at"]

    @extend_schema_field(DatasetVersionSerializer(allow_null=True))
    def get_latest_version(self, obj: Dataset) -> dict[str, Any] | None:
        latest = max(obj.versions.all(), key=lambda v: v.number, default=None)
        return dict(DatasetVersionSerializer(latest).data) if latest else None


class DatasetCreateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class DatasetVersionCreateSerializer(StrictSerializer):
    file = serializers.FileField()
    format = serializers.ChoiceField(choices=DatasetFormat.choices)
    label_column = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    slices = serializers.JSONField(required=False, help_text='[{"name": "de", "filter": "country == \\"DE\\""}]')
    sensitive_features = serializers.JSONField(
        required=False, help_text='Columns describing groups of people, for fairness reports: ["sex", "age_band"]'
    )
    tags = serializers.JSONField(required=False)
    feature_costs = serializers.JSONField(
        required=False,
        help_text='Declared cost per feature: {"<feature>": {"latency_ms": 2.5, "price": 0.001, '
        '"storage_bytes": 100, "dependency": "geo-service"}} (storage_bytes is also measured).',
    )
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    parent = serializers.IntegerField(required=False, allow_null=True, min_value=1)  # type: ignore[assignment]
    idempotency_key = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    feature_meta = serializers.JSONField(
        required=False,
        help_text='per column: {"email": {"owner": "crm-team", "source": "crm.contacts", "sensitive": true}}; '
        "when omitted, the latest version's declarations carry over",
    )


# ---- governance -----------------------------------------------------------------------------


class FeaturePolicySerializer(serializers.ModelSerializer):
    updated_by = UserNameField(read_only=True, allow_null=True)
    updated_at = serializers.DateTimeField(read_only=True, allow_null=True)
    configured = serializers.SerializerMethodField()
    forbidden_features = serializers.ListField(child=serializers.CharField(), read_only=True)
    allowed_owners = serializers.ListField(child=serializers.CharField(), read_only=True)
    approved_sources = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = FeaturePolicy
        fields = [
            "configured",
            "mode",
            "forbidden_features",
            "require_owner",
            "allowed_owners",
            "approved_sources",
            "forbid_sensitive_inputs",
            "sensitive_min_role",
            "updated_by",
            "updated_at",
        ]

    def get_configured(self, obj: FeaturePolicy) -> bool:
        return obj.pk is not None


class FeaturePolicyWriteSerializer(StrictSerializer):
    mode = serializers.ChoiceField(choices=PolicyMode.choices, default=PolicyMode.BLOCK)
    forbidden_features = serializers.ListField(
        child=serializers.CharField(max_length=200), max_length=200, required=False, default=list
    )
    require_owner = serializers.BooleanField(required=False, default=False)
    allowed_owners = serializers.ListField(
        child=serializers.CharField(max_length=200), max_length=200, required=False, default=list
    )
    approved_sources = serializers.ListField(
        child=serializers.CharField(max_length=200), max_length=200, required=False, default=list
    )
    forbid_sensitive_inputs = serializers.BooleanField(required=False, default=False)
    sensitive_min_role = serializers.ChoiceField(
        choices=["viewer", "member", "maintainer", "admin"], required=False, default="maintainer"
    )


class DatasetDownloadSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(source="version.number", read_only=True)
    dataset = serializers.CharField(source="version.dataset.name", read_only=True)

    class Meta:
        model = DatasetDownload
        fields = ["id", "dataset", "version", "username", "at", "normalized", "granted", "sensitive", "byte_range"]
