from __future__ import annotations

from django.conf import settings
from django.db import models

from shipyard.core.models import TimeStampedModel


class EvidenceSource(models.TextChoices):
    CI = "ci", "CI run"
    JOB = "job", "Worker job"
    DEPLOYMENT = "deployment", "Deployment"
    MONITOR = "monitor", "Monitor"


class Evidence(TimeStampedModel):
    """Something Shipyard saw itself that bears on one rubric test of one project.

    Sources plug in through :func:`shipyard.rubric.services.evidence_record`; the rubric app
    decides what the evidence means for the score. ``key`` identifies the thing observed
    (a CI test case, a job, a deployment, a monitor) so its latest observation supersedes the
    earlier ones.
    """

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="evidence")
    test_id = models.CharField(max_length=16, db_index=True)
    source = models.CharField(max_length=16, choices=EvidenceSource.choices)
    key = models.CharField(max_length=300, default="", blank=True)
    passed = models.BooleanField()
    title = models.CharField(max_length=300)
    link = models.CharField(max_length=1000, blank=True, default="")
    detail = models.JSONField(default=dict, blank=True)
    observed_at = models.DateTimeField(db_index=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-observed_at", "-id"]
        indexes = [models.Index(fields=["project", "test_id", "-observed_at"], name="evidence_lookup")]

    def __str__(self) -> str:
        return f"{self.project_id}:{self.test_id} {'pass' if self.passed else 'fail'} ({self.source})"
