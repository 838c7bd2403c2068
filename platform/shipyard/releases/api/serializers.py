from __future__ import annotations

from rest_framework import serializers

from shipyard.ci.models import CIRun
from shipyard.core.serializers import StrictSerializer
from shipyard.registry.models import ArtifactFormat
from shipyard.releases.models import Push, PushPolicy, PushStatus


class PushCreateSerializer(StrictSerializer):
    """Multipart: ``artifact`` plus where it came from; JSON-valued fields may be sent as JSON strings."""

    artifact = serializers.FileField()
    model = serializers.CharField(max_length=100, help_text="the registered model the artifact is a version of")
    format = serializers.ChoiceField(choices=ArtifactFormat.choices)
    commit = serializers.CharField(max_length=64, help_text="the commit the artifact was built from (hex)")
    branch = serializers.CharField(max_length=300)
    ci_run = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", help_text="the CI run's id as CI reports it"
    )
    ci_url = serializers.URLField(max_length=1000, required=False, allow_blank=True, default="")
    recipe = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    recipe_config = serializers.JSONField(required=False)
    metrics = serializers.JSONField(required=False)
    signature = serializers.JSONField(required=False)
    dataset = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text="evaluation dataset '<dataset>:<number>' or '<dataset>' (latest); default: the version's own",
    )
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class PushCIRunSerializer(serializers.ModelSerializer):
    """The CI run the policy checked for the push's commit."""

    class Meta:
        model = CIRun
        fields = ("id", "external_id", "status", "url")
        read_only_fields = fields


class PushSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="deployment.project.slug", read_only=True)
    deployment = serializers.CharField(source="deployment.name", read_only=True)
    model = serializers.CharField(source="version.model.name", read_only=True)
    version = serializers.IntegerField(source="version.number", read_only=True)
    artifact_sha256 = serializers.CharField(source="version.artifact_sha256", read_only=True)
    ci_run = PushCIRunSerializer(read_only=True, allow_null=True)
    status = serializers.ChoiceField(choices=PushStatus.choices, read_only=True)
    final = serializers.BooleanField(read_only=True)
    evaluate_job = serializers.IntegerField(source="evaluate_job_id", read_only=True, allow_null=True)
    deployment_url = serializers.SerializerMethodField()
    created_by = serializers.CharField(source="created_by.username", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Push
        fields = (
            "id",
            "project",
            "deployment",
            "model",
            "version",
            "artifact_sha256",
            "commit",
            "branch",
            "ci_run",
            "ci_url",
            "status",
            "final",
            "message",
            "evaluate_job",
            "gate",
            "canary_weight",
            "canary_started_at",
            "finished_at",
            "created_at",
            "created_by",
            "deployment_url",
        )
        read_only_fields = fields

    def get_deployment_url(self, obj: Push) -> str:
        """The deployment's page in the UI (a path on the Shipyard origin)."""
        return f"/deployments/{obj.deployment.project.slug}/{obj.deployment.name}"


class PushPolicySerializer(serializers.ModelSerializer):
    allowed_models = serializers.ListField(child=serializers.CharField(), read_only=True)
    effective_default_branch = serializers.SerializerMethodField()

    class Meta:
        model = PushPolicy
        fields = (
            "enabled",
            "default_branch_only",
            "default_branch",
            "allowed_models",
            "require_ci_pass",
            "canary_weight",
            "effective_default_branch",
        )
        read_only_fields = fields

    def get_effective_default_branch(self, obj: PushPolicy) -> str:
        from shipyard.releases.policy import default_branch_of

        return default_branch_of(obj)


class PushPolicyUpdateSerializer(StrictSerializer):
    enabled = serializers.BooleanField(required=False)
    default_branch_only = serializers.BooleanField(required=False)
    default_branch = serializers.CharField(max_length=200, required=False, allow_blank=True)
    allowed_models = serializers.ListField(
        child=serializers.CharField(max_length=100), max_length=100, required=False, allow_empty=True
    )
    require_ci_pass = serializers.BooleanField(required=False)
    canary_weight = serializers.IntegerField(min_value=1, max_value=100, required=False)
