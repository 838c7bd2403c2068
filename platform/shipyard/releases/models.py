"""Releases: push-to-deploy. A deployment's push policy, and each push from CI (a version uploaded
with its commit, branch and CI run, evaluated, gated, canaried and followed to its outcome).

Field names are part of the contract the CLI and the CI recipes rely on (docs/push.md).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from shipyard.core.models import TimeStampedModel


class PushPolicy(TimeStampedModel):
    """Which pushes a deployment accepts. A deployment without a row has the defaults (the strict ones)."""

    deployment = models.OneToOneField("serving.Deployment", on_delete=models.CASCADE, related_name="push_policy")
    #: accept pushes at all
    enabled = models.BooleanField(default=True)
    #: only pushes from the default branch
    default_branch_only = models.BooleanField(default=True)
    #: the default branch; empty: the project's CI default branch, else "main"
    default_branch = models.CharField(max_length=200, blank=True, default="")
    #: model names a push may name; empty: only the deployment's own model
    allowed_models = models.JSONField(default=list, blank=True)
    #: only with a passing CI run recorded for the pushed commit
    require_ci_pass = models.BooleanField(default=True)
    #: percent of the traffic the pushed version gets as a canary once its gate passes
    canary_weight = models.PositiveSmallIntegerField(
        default=10, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )

    def __str__(self) -> str:
        return f"push policy of {self.deployment_id}"


class PushStatus(models.TextChoices):
    EVALUATING = "evaluating", "Evaluating"
    CANARY = "canary", "Canary under analysis"
    PROMOTED = "promoted", "Promoted"
    ROLLED_BACK = "rolled_back", "Rolled back"
    GATE_FAILED = "gate_failed", "Quality gate failed"
    FAILED = "failed", "Failed"
    SUPERSEDED = "superseded", "Superseded by another change"


#: the statuses a push never leaves
FINAL_STATUSES = (
    PushStatus.PROMOTED,
    PushStatus.ROLLED_BACK,
    PushStatus.GATE_FAILED,
    PushStatus.FAILED,
    PushStatus.SUPERSEDED,
)


class Push(TimeStampedModel):
    """One push: a version for a deployment and its rollout, from upload to promotion or rollback."""

    deployment = models.ForeignKey("serving.Deployment", on_delete=models.CASCADE, related_name="pushes")
    version = models.ForeignKey("registry.ModelVersion", on_delete=models.PROTECT, related_name="pushes")
    commit = models.CharField(max_length=64)
    branch = models.CharField(max_length=300)
    ci_run = models.ForeignKey("ci.CIRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="pushes")
    #: the CI run's page as the pushing CI named it
    ci_url = models.CharField(max_length=1000, blank=True, default="")
    status = models.CharField(max_length=16, choices=PushStatus.choices, default=PushStatus.EVALUATING)
    message = models.TextField(blank=True, default="", max_length=2000)
    evaluate_job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    #: the quality gate's verdict once the evaluation finished (GateResult.as_dict)
    gate = models.JSONField(default=dict, blank=True)
    canary_weight = models.PositiveSmallIntegerField(default=10)
    canary_started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["deployment", "version"], name="releases_push_one_rollout_per_version")
        ]
        indexes = [models.Index(fields=["status"], name="releases_push_status")]

    def __str__(self) -> str:
        return f"push {self.pk} of {self.version_id} to {self.deployment_id}"

    @property
    def final(self) -> bool:
        return self.status in FINAL_STATUSES
