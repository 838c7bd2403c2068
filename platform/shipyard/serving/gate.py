"""The quality gate: who may change or override it, and whether a version passes it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings as django_settings

from shipyard.accounts.roles import Role, role_at_least
from shipyard.accounts.scoping import role_of
from shipyard.core.errors import DomainConflict, DomainError
from shipyard.serving.models import (
    Deployment,
)

logger = logging.getLogger(__name__)

SETTINGS_FIELDS = Deployment.SETTINGS_FIELDS

#: the settings that decide whether a version passes the quality gate; changing one is an admin's
#: decision with a written reason, the same as overriding the gate
GATE_FIELDS = ("quality_metric", "quality_threshold", "quality_tolerance", "quality_lower_is_better")

#: the shortest written reason accepted for an override or a gate settings change
MIN_REASON_LENGTH = 10


class DomainForbidden(DomainError):
    """The caller's role does not allow this change: a 403 with code ``forbidden`` naming the field."""

    status_code = 403
    code = "forbidden"


def require_admin(*, by: Any, project: Any, field: str, message: str) -> None:
    role = role_of(by, project.team)
    if role is None or not role_at_least(role, Role.ADMIN):
        raise DomainForbidden(message, field=field)


def require_reason(reason: str, *, action: str) -> None:
    if len(reason.strip()) < MIN_REASON_LENGTH:
        raise DomainError(f"{action} needs a written reason (at least {MIN_REASON_LENGTH} characters).", field="reason")


def canary_gate_weight() -> int:
    """A canary weight above this percentage is gated like a promote (SERVING_CANARY_GATE_WEIGHT)."""
    return int(django_settings.SERVING_CANARY_GATE_WEIGHT)


@dataclass
class GateResult:
    passed: bool
    configured: bool
    metric: str
    value: float | None
    live_value: float | None
    threshold: float | None
    source: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "configured": self.configured,
            "metric": self.metric,
            "value": self.value,
            "live_value": self.live_value,
            "threshold": self.threshold,
            "source": self.source,
            "message": self.message,
        }


def evaluation_metric(version: Any, metric: str) -> tuple[float | None, str]:
    """The version's ``metric`` from its latest succeeded Shipyard evaluation job, else from the
    metrics registered with the version. Returns (value, source)."""
    from shipyard.jobs.models import Job, JobKind, JobStatus

    job = (  # result: {"metrics": {...}, "passed": bool, ...}
        Job.objects.filter(kind=JobKind.EVALUATE, status=JobStatus.SUCCEEDED, model_version=version)
        .order_by("-id")
        .first()
    )
    if job is not None:
        result = job.result if isinstance(job.result, dict) else {}
        if result.get("passed") is False:
            return None, f"evaluation job {job.pk} did not pass"
        metrics = result.get("metrics", result)
        value = metrics.get(metric) if isinstance(metrics, dict) else None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value), f"evaluation job {job.pk}"
    value = (version.metrics or {}).get(metric)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value), "registered metrics"
    return None, "none"


def quality_gate(
    *, deployment: Deployment | None, version: Any, live: Any | None, settings: dict[str, Any] | None = None
) -> GateResult:
    cfg = settings or {
        "quality_metric": deployment.quality_metric if deployment else "accuracy",
        "quality_threshold": deployment.quality_threshold if deployment else None,
        "quality_tolerance": deployment.quality_tolerance if deployment else 0.01,
        "quality_lower_is_better": deployment.quality_lower_is_better if deployment else False,
    }
    metric = cfg["quality_metric"]
    threshold = cfg["quality_threshold"]
    lower = cfg["quality_lower_is_better"]
    value, source = evaluation_metric(version, metric)
    live_value = evaluation_metric(live, metric)[0] if live is not None and live.pk != version.pk else None
    if threshold is None:
        return GateResult(
            True, False, metric, value, live_value, None, source, "No quality threshold is set for this deployment."
        )
    if value is None:
        return GateResult(
            False,
            True,
            metric,
            None,
            live_value,
            threshold,
            source,
            f"Version {version.number} has no evaluation with '{metric}'.",
        )
    meets = value <= threshold if lower else value >= threshold
    if not meets:
        return GateResult(
            False,
            True,
            metric,
            value,
            live_value,
            threshold,
            source,
            f"{metric} {value:.4g} does not meet the threshold {threshold:.4g}.",
        )
    if live_value is not None:
        worse_by = (value - live_value) if lower else (live_value - value)
        if worse_by > cfg["quality_tolerance"]:
            return GateResult(
                False,
                True,
                metric,
                value,
                live_value,
                threshold,
                source,
                f"{metric} {value:.4g} is worse than the live version's {live_value:.4g} by more than {cfg['quality_tolerance']:.4g}.",
            )
    return GateResult(
        True, True, metric, value, live_value, threshold, source, f"{metric} {value:.4g} passes the gate."
    )


def gate_or_override(
    *,
    deployment: Deployment | None,
    project: Any,
    version: Any,
    live: Any | None,
    by: Any,
    override: bool,
    reason: str,
    settings: dict[str, Any] | None = None,
) -> tuple[GateResult, bool]:
    gate = quality_gate(deployment=deployment, version=version, live=live, settings=settings)
    if gate.passed:
        return gate, False
    if not override:
        raise DomainConflict(f"Quality gate failed: {gate.message}", field="version", code="quality_gate")
    require_admin(by=by, project=project, field="override_gate", message="Only an admin may override the quality gate.")
    require_reason(reason, action="Overriding the quality gate")
    return gate, True


def gate_evidence_record(*, deployment: Deployment, version: Any, gate: GateResult, by: Any) -> None:
    if not gate.configured or not gate.passed:
        return
    from shipyard.rubric.services import evidence_record

    evidence_record(
        project=deployment.project,
        test_id="infra-4",
        source="deployment",
        passed=True,
        title=f"Quality gate passed before serving {deployment.name} v{version.number} ({gate.message})",
        key=f"deployment:{deployment.pk}:gate",
        detail={"deployment": deployment.name, "version": version.number, **gate.as_dict()},
        by=by,
    )
