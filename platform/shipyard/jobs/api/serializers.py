from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from shipyard.core.serializers import StrictModelSerializer, StrictSerializer
from shipyard.jobs.api.schema import PARAMS_SCHEMA, RESULT_SCHEMA
from shipyard.jobs.models import EdgeProfile, Job, JobDevice, JobKind, JobQueue


@extend_schema_field(PARAMS_SCHEMA)
class ParamsField(serializers.DictField):
    """A job's params: the model of its kind (``shipyard_ml.job_params``), validated by ``jobs.params``."""


@extend_schema_field(RESULT_SCHEMA)
class ResultField(serializers.JSONField):
    """A job's report: the report of its kind (``shipyard_ml.reports``)."""


class JobCreateSerializer(StrictSerializer):
    project = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=JobKind.choices)
    model_version = serializers.IntegerField(min_value=1)
    dataset_version = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    params = ParamsField(required=False, default=dict)
    queue = serializers.ChoiceField(choices=JobQueue.choices, required=False, allow_blank=True)
    device = serializers.ChoiceField(choices=JobDevice.choices, required=False, default=JobDevice.AUTO)


class JobSerializer(serializers.ModelSerializer):
    project: Any = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    model = serializers.SerializerMethodField()
    dataset = serializers.SerializerMethodField()
    created_by: Any = serializers.SlugRelatedField(slug_field="username", read_only=True)
    params = ParamsField(read_only=True)

    class Meta:
        model = Job
        fields = [
            "id",
            "project",
            "kind",
            "model_version",
            "model",
            "dataset_version",
            "dataset",
            "params",
            "queue",
            "device",
            "device_used",
            "status",
            "progress",
            "message",
            "passed",
            "produced_versions",
            "attempts",
            "worker",
            "time_limit_s",
            "cancel_requested",
            "retry_of",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
            "log_tail",
        ]
        read_only_fields = fields

    log_tail = serializers.SerializerMethodField()

    def get_model(self, job: Job) -> dict[str, Any]:
        mv = job.model_version
        return {"name": mv.model.name, "number": mv.number, "format": mv.format}

    def get_dataset(self, job: Job) -> dict[str, Any] | None:
        dv = job.dataset_version
        return {"name": dv.dataset.name, "number": dv.number} if dv else None

    def get_log_tail(self, job: Job) -> list[dict[str, str]]:
        return list((job.log or [])[-5:])


class JobDetailSerializer(JobSerializer):
    produced = serializers.SerializerMethodField()
    result = ResultField(read_only=True)

    class Meta(JobSerializer.Meta):
        fields = [*JobSerializer.Meta.fields, "log", "result", "error", "produced"]
        read_only_fields = fields

    def get_produced(self, job: Job) -> list[dict[str, Any]]:
        from shipyard.registry.models import ModelVersion

        versions = ModelVersion.objects.filter(pk__in=job.produced_versions).select_related("model")
        return [
            {"id": v.pk, "model": v.model.name, "number": v.number, "format": v.format, "size_bytes": v.artifact_size}
            for v in versions
        ]


class JobKindSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=JobKind.choices)
    params = serializers.JSONField(help_text="JSON schema of the kind's params: types, ranges, defaults, descriptions.")


class EdgeProfileSerializer(StrictModelSerializer):
    """A device budget; the model's validators are the ranges (an impossible value is a 400 naming the field)."""

    class Meta:
        model = EdgeProfile
        fields = ("id", "name", "max_size_bytes", "max_latency_ms", "min_accuracy", "created_at")
        read_only_fields = ("id", "created_at")
        # uniqueness is the service's (a 409 naming the name), not the serializer's
        validators: list[Any] = []
