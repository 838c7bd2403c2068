"""Monitoring API: drift table and rules, monitors and settings, flywheel, alerts, overview.

Every view resolves the project through ``project_get`` (the caller's teams only: another team's
project or deployment is a 404) and checks roles after scoping.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from shipyard.accounts.roles import Role
from shipyard.accounts.scoping import require_role
from shipyard.core.serializers import StrictSerializer
from shipyard.monitoring import alerts, feedback, reference, selectors
from shipyard.monitoring.models import AlertStatus, DriftMetric, MonitorConfig, Operator, WindowKind


def _deployment(request: Request, project: str, deployment: str, minimum: Role = Role.VIEWER, action: str = "") -> Any:
    from shipyard.serving.selectors import deployment_for

    return deployment_for(
        user=request.user, project=project, name=deployment, minimum=minimum, action=action or "change monitoring"
    )


class RuleSerializer(StrictSerializer):
    metric = serializers.ChoiceField(choices=DriftMetric.choices)
    operator = serializers.ChoiceField(choices=Operator.choices)
    threshold = serializers.FloatField()
    enabled = serializers.BooleanField(required=False, default=True)

    def validate_threshold(self, value: float) -> float:
        import math

        if not math.isfinite(value):
            raise serializers.ValidationError("Must be a finite number.")
        return value


class ConfigSerializer(serializers.ModelSerializer):
    class Meta:
        model = MonitorConfig
        fields = [
            *sorted(reference.CONFIG_FIELDS),
            "correlation_max_gap",
            "last_run_at",
            "last_error",
            "reference_version",
            "reference_dataset",
        ]
        read_only_fields = ["last_run_at", "last_error", "reference_version", "reference_dataset"]


class ConfigUpdateSerializer(StrictSerializer):
    window_kind = serializers.ChoiceField(choices=WindowKind.choices, required=False)
    window_n = serializers.IntegerField(min_value=10, max_value=100_000, required=False)
    staleness_limit_days = serializers.IntegerField(min_value=1, max_value=3650, required=False)
    confidence_threshold = serializers.FloatField(min_value=0.0, max_value=1.0, required=False)
    skew_sample_size = serializers.IntegerField(min_value=1, max_value=5000, required=False)
    skew_max_mismatch = serializers.FloatField(min_value=0.0, max_value=1.0, required=False)
    invariant_max_rate = serializers.FloatField(min_value=0.0, max_value=1.0, required=False)
    outlier_max_rate = serializers.FloatField(min_value=0.0, max_value=1.0, required=False)
    latency_max_ratio = serializers.FloatField(min_value=1.0, max_value=100.0, required=False)
    quality_max_drop = serializers.FloatField(min_value=0.0, max_value=1.0, required=False)
    correlation_max_gap = serializers.FloatField(
        min_value=0.0,
        max_value=1.0,
        required=False,
        help_text="how far a version's online accuracy may be from its evaluate job's (rubric model-2)",
    )
    fairness_max_accuracy_difference = serializers.FloatField(
        min_value=0.0,
        max_value=1.0,
        required=False,
        help_text="fairness on feedback (model-7): accuracy gap between groups",
    )
    fairness_max_demographic_parity_difference = serializers.FloatField(
        min_value=0.0, max_value=1.0, required=False, help_text="fairness on feedback: demographic parity difference"
    )
    fairness_max_equalized_odds_difference = serializers.FloatField(
        min_value=0.0, max_value=1.0, required=False, help_text="fairness on feedback: equalized odds difference"
    )
    health_window_minutes = serializers.IntegerField(min_value=1, max_value=1440, required=False)
    health_min_requests = serializers.IntegerField(min_value=0, max_value=1_000_000, required=False)
    error_rate_max = serializers.FloatField(min_value=0.0, max_value=1.0, required=False)
    latency_p99_max_ms = serializers.FloatField(min_value=1.0, max_value=600_000.0, required=False)
    webhook_url = serializers.URLField(allow_blank=True, max_length=500, required=False)
    email_to = serializers.CharField(allow_blank=True, max_length=500, required=False)

    def validate_email_to(self, value: str) -> str:
        from django.core.exceptions import ValidationError
        from django.core.validators import validate_email

        for address in [a.strip() for a in value.split(",") if a.strip()]:
            try:
                validate_email(address)
            except ValidationError:
                raise serializers.ValidationError(f"'{address}' is not an email address.") from None
        return value


class DriftView(APIView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT}, summary="Drift table: per-feature metrics, rules, status")
    def get(self, request: Request, project: str, deployment: str) -> Response:
        d = _deployment(request, project, deployment)
        return Response(selectors.drift_table(deployment=d))


class DriftRuleView(APIView):
    @extend_schema(request=RuleSerializer, responses={200: OpenApiTypes.OBJECT}, summary="Set a feature's drift rule")
    def put(self, request: Request, project: str, deployment: str, feature: str) -> Response:
        d = _deployment(request, project, deployment, Role.MEMBER, "edit drift rules")
        serializer = RuleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        names = {f["name"] for f in (reference.config_for(d).reference or {}).get("features", [])}
        if names and feature not in names:
            raise NotFound(f"No monitored feature '{feature}'.")
        rule = reference.drift_rule_update(deployment=d, feature=feature, **serializer.validated_data)
        return Response(
            {
                "feature": rule.feature,
                "metric": rule.metric,
                "operator": rule.operator,
                "threshold": rule.threshold,
                "enabled": rule.enabled,
            }
        )

    patch = put


class MonitoringView(APIView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT}, summary="Every monitor's latest status and series")
    def get(self, request: Request, project: str, deployment: str) -> Response:
        d = _deployment(request, project, deployment)
        config = reference.config_for(d)
        return Response(
            {
                "project": d.project.slug,
                "deployment": d.name,
                "live_version": d.live_version.number,
                "config": ConfigSerializer(config).data,
                "ingest": selectors.ingest_status(config),
                **selectors.monitor_status(deployment=d),
            }
        )

    @extend_schema(request=ConfigUpdateSerializer, responses={200: OpenApiTypes.OBJECT}, summary="Monitor settings")
    def patch(self, request: Request, project: str, deployment: str) -> Response:
        d = _deployment(request, project, deployment, Role.MEMBER, "change monitoring settings")
        serializer = ConfigUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        config = reference.config_update(deployment=d, values=dict(serializer.validated_data), by=request.user)
        return Response(ConfigSerializer(config).data)


class MonitoringRunView(APIView):
    @extend_schema(request=None, responses={202: OpenApiTypes.OBJECT}, summary="Run every monitor now")
    def post(self, request: Request, project: str, deployment: str) -> Response:
        from shipyard.monitoring.tasks import run_deployment, skew_deployment

        d = _deployment(request, project, deployment, Role.MEMBER, "run monitors")
        transaction.on_commit(lambda: run_deployment.delay(d.pk, True))
        transaction.on_commit(lambda: skew_deployment.delay(d.pk))
        return Response({"queued": True}, status=status.HTTP_202_ACCEPTED)


class FlywheelView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("days", OpenApiTypes.INT, description="how many days back (1-365, default 30)"),
            OpenApiParameter("slice", OpenApiTypes.STR, description="a slice of the training dataset"),
        ],
        responses={200: OpenApiTypes.OBJECT},
        summary="Flywheel: confident share, corrections, daily table, mistakes",
    )
    def get(self, request: Request, project: str, deployment: str) -> Response:
        d = _deployment(request, project, deployment)
        raw_days = request.query_params.get("days", "30")
        if not raw_days.isdecimal() or not 1 <= int(raw_days) <= 365:
            raise serializers.ValidationError({"days": ["Must be a whole number of days from 1 to 365."]})
        return Response(
            selectors.flywheel(deployment=d, days=int(raw_days), slice_name=request.query_params.get("slice", ""))
        )


class ExportSerializer(StrictSerializer):
    slice = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
    feedback_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, allow_empty=False, max_length=10_000
    )
    #: only corrections of predictions made in [since, until)
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("since") and attrs.get("until") and attrs["until"] <= attrs["since"]:
            raise serializers.ValidationError({"until": ["Must be after since."]})
        return attrs


class FlywheelExportView(APIView):
    @extend_schema(
        request=ExportSerializer, responses={201: OpenApiTypes.OBJECT}, summary="Add corrections to the dataset"
    )
    def post(self, request: Request, project: str, deployment: str) -> Response:
        d = _deployment(request, project, deployment, Role.MEMBER, "add examples to datasets")
        serializer = ExportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        export = feedback.flywheel_export(
            deployment=d,
            by=request.user,
            slice_name=serializer.validated_data.get("slice", ""),
            feedback_ids=serializer.validated_data.get("feedback_ids"),
            since=serializer.validated_data.get("since"),
            until=serializer.validated_data.get("until"),
        )
        dv = export.dataset_version
        return Response(
            {
                "id": export.pk,
                "dataset": dv.dataset.name,
                "version": dv.number,
                "parent_version": export.base_version.number,
                "examples": export.examples,
                "rows": dv.row_count,
            },
            status=status.HTTP_201_CREATED,
        )


def _alert_json(alert: Any) -> dict[str, Any]:
    return {
        "id": alert.pk,
        "project": alert.project.slug,
        "deployment": alert.deployment.name if alert.deployment_id else None,
        "key": alert.key,
        "source": alert.source,
        "severity": alert.severity,
        "status": alert.status,
        "title": alert.title,
        "message": alert.message,
        "link": alert.link,
        "evidence": (
            {"id": alert.evidence.pk, "test_id": alert.evidence.test_id, "passed": alert.evidence.passed}
            if alert.evidence_id
            else None
        ),
        "opened_at": alert.opened_at.isoformat(),
        "last_seen_at": alert.last_seen_at.isoformat(),
        "resolved_at": alert.resolved_at.isoformat() if alert.resolved_at else None,
        "occurrences": alert.occurrences,
        "deliveries": alert.deliveries,
    }


class AlertListView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, description="open or resolved"),
            OpenApiParameter("project", OpenApiTypes.STR),
            OpenApiParameter("deployment", OpenApiTypes.STR),
            OpenApiParameter("team", OpenApiTypes.STR, description="only this team's alerts (slug)"),
        ],
        responses={200: OpenApiTypes.OBJECT},
        summary="Alerts of the caller's teams, newest first",
    )
    def get(self, request: Request) -> Response:
        rows = selectors.alerts_for(user=request.user)
        state = request.query_params.get("status", "")
        if state:
            if state not in AlertStatus.values:
                raise serializers.ValidationError({"status": ["Must be 'open' or 'resolved'."]})
            rows = rows.filter(status=state)
        if request.query_params.get("project"):
            rows = rows.filter(project__slug=request.query_params["project"])
        if request.query_params.get("deployment"):
            rows = rows.filter(deployment__name=request.query_params["deployment"])
        if request.query_params.get("team"):
            rows = rows.filter(project__team__slug=request.query_params["team"])
        return Response({"results": [_alert_json(a) for a in rows[:200]]})


class AlertResolveView(APIView):
    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT}, summary="Resolve an alert by hand")
    def post(self, request: Request, alert_id: int) -> Response:
        alert = selectors.alerts_for(user=request.user).filter(pk=alert_id).first()
        if alert is None:
            raise NotFound("No such alert.")
        require_role(request.user, alert.project.team, Role.MEMBER, action="resolve alerts")
        alerts.alert_resolve(project=alert.project, key=alert.key)
        alert.refresh_from_db()
        return Response(_alert_json(alert))


class OverviewView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("team", OpenApiTypes.STR)],
        responses={200: OpenApiTypes.OBJECT},
        summary="Every deployment of the caller's teams, worst status first",
    )
    def get(self, request: Request) -> Response:
        return Response({"results": selectors.overview(user=request.user, team=request.query_params.get("team", ""))})
