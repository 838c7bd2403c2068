from __future__ import annotations

from rest_framework import serializers

from shipyard.ci.models import (
    CIConfig,
    CIRun,
    Delivery,
    DependencyChange,
    Direction,
    MetricKind,
    MetricPolicy,
    MetricValue,
    Notification,
    TagRule,
    TestCase,
)
from shipyard.core.serializers import StrictModelSerializer, StrictSerializer
from shipyard.rubric.ids import RUBRIC_TEST_IDS


class SecretRotateSerializer(StrictSerializer):
    grace_hours = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=24 * 30,
        help_text="how long the previous secret stays valid (default 24)",
    )


class SecretStatusSerializer(serializers.Serializer):
    configured = serializers.BooleanField()
    rotated_at = serializers.DateTimeField(allow_null=True)
    previous_valid_until = serializers.DateTimeField(allow_null=True)


class SecretRotatedSerializer(SecretStatusSerializer):
    secret = serializers.CharField(help_text="shown once; store it in your CI's secret store")


class CIConfigSerializer(StrictModelSerializer):
    default_branches = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text='the branches whose runs are rubric evidence and metric baselines ("main" and "master" while '
        "default_branch is empty)",
    )
    feature_code_globs = serializers.ListField(
        child=serializers.CharField(max_length=500, trim_whitespace=True),
        max_length=100,
        required=False,
        help_text='globs naming the feature code in coverage reports (rubric data-7), e.g. ["src/features/*"]',
    )

    class Meta:
        model = CIConfig
        fields = [
            "default_branch",
            "default_branches",
            "baseline_runs",
            "notify_url",
            "feature_code_globs",
            "feature_coverage_min",
            "rotated_at",
            "previous_valid_until",
        ]
        read_only_fields = ["rotated_at", "previous_valid_until"]
        extra_kwargs = {
            "baseline_runs": {"min_value": 1, "max_value": 100},
            "feature_coverage_min": {
                "min_value": 0.0,
                "max_value": 1.0,
                "help_text": "the line coverage (0..1) every feature-code file must reach (rubric data-7)",
            },
        }


class CIRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = CIRun
        fields = [
            "id",
            "provider",
            "external_id",
            "name",
            "branch",
            "commit",
            "url",
            "status",
            "started_at",
            "finished_at",
            "duration_s",
            "tests_total",
            "tests_failed",
            "tests_errored",
            "tests_skipped",
            "created_at",
            "updated_at",
        ]


class TestCaseSerializer(serializers.ModelSerializer):
    class Meta:
        model = TestCase
        fields = ["id", "name", "classname", "status", "duration_s", "message", "rubric_ids"]


class MetricValueSerializer(serializers.ModelSerializer):
    class Meta:
        model = MetricValue
        fields = ["name", "value", "baseline", "regression", "verdict", "kind", "direction"]


class DependencyChangeSerializer(serializers.ModelSerializer):
    branch = serializers.CharField(source="run.branch", read_only=True)
    commit = serializers.CharField(source="run.commit", read_only=True)
    previous_commit = serializers.CharField(source="previous_run.commit", read_only=True, default="")

    class Meta:
        model = DependencyChange
        fields = [
            "id",
            "run",
            "previous_run",
            "branch",
            "commit",
            "previous_commit",
            "added",
            "removed",
            "changed",
            "created_at",
        ]


class CIRunDetailSerializer(CIRunSerializer):
    metrics = MetricValueSerializer(many=True, read_only=True)
    dependency_change = serializers.SerializerMethodField()
    lockfile_packages = serializers.SerializerMethodField()

    class Meta(CIRunSerializer.Meta):
        fields = [*CIRunSerializer.Meta.fields, "metrics", "dependency_change", "lockfile_packages", "coverage"]

    def get_dependency_change(self, run: CIRun) -> dict | None:
        change = DependencyChange.objects.filter(run=run).select_related("run", "previous_run").first()
        return DependencyChangeSerializer(change).data if change else None

    def get_lockfile_packages(self, run: CIRun) -> int:
        return len(run.packages or {})


class TagRuleSerializer(StrictModelSerializer):
    rubric_id = serializers.ChoiceField(choices=list(RUBRIC_TEST_IDS))
    pattern = serializers.CharField(max_length=500, trim_whitespace=True)

    class Meta:
        model = TagRule
        fields = ["id", "pattern", "rubric_id", "created_at"]
        read_only_fields = ["id", "created_at"]


class MetricPolicySerializer(StrictModelSerializer):
    metric = serializers.CharField(max_length=200)
    direction = serializers.ChoiceField(choices=Direction.choices)
    kind = serializers.ChoiceField(choices=MetricKind.choices)
    tolerance = serializers.FloatField(min_value=0)
    #: required like the other fields: a policy is created or replaced whole
    relative = serializers.BooleanField()

    class Meta:
        model = MetricPolicy
        fields = ["metric", "direction", "tolerance", "relative", "kind"]


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = Delivery
        fields = [
            "id",
            "provider",
            "delivery_id",
            "event",
            "content_type",
            "size",
            "status",
            "error",
            "received_at",
            "processed_at",
            "run",
        ]


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "text", "run", "outbound_status", "created_at"]


class WebhookAcceptedSerializer(serializers.Serializer):
    delivery = serializers.IntegerField()
    provider = serializers.CharField()
    status = serializers.CharField()
    duplicate = serializers.BooleanField()
