from __future__ import annotations

from django.conf import settings
from django.db import models

from shipyard.core.models import TimeStampedModel


class EvidenceSource(models.TextChoices):
    CI = "ci", "CI run"
    JOB = "job", "Worker job"
    DEPLOYMENT = "deployment", "Deployment"
    MONITOR = "monitor", "Monitor"
    REGISTRY = "registry", "Registry"


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


class Rubric(models.Model):
    """One version of the rubric's text. Loaded by data migrations; a new version is a new row."""

    version = models.PositiveIntegerField(unique=True)
    title = models.CharField(max_length=100)
    citation = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


class RubricSection(models.Model):
    rubric = models.ForeignKey(Rubric, on_delete=models.CASCADE, related_name="sections")
    key = models.CharField(max_length=16)
    title = models.CharField(max_length=100)
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["rubric", "position"]
        constraints = [models.UniqueConstraint(fields=["rubric", "key"], name="uniq_rubric_section")]

    def __str__(self) -> str:
        return self.key


class RubricTest(models.Model):
    section = models.ForeignKey(RubricSection, on_delete=models.CASCADE, related_name="tests")
    test_id = models.CharField(max_length=16)
    title = models.CharField(max_length=200)
    guidance = models.TextField()
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["section", "position"]
        constraints = [models.UniqueConstraint(fields=["section", "test_id"], name="uniq_rubric_test")]

    def __str__(self) -> str:
        return self.test_id


class Assessment(models.Model):
    """An immutable snapshot of a project's answers to all 28 tests.

    Services only ever create these. ``answers`` always holds every test id of the rubric
    (unanswered tests are stored as ``none``); the scores are stored alongside so history needs
    no recomputation. ``base`` is the snapshot the author edited (null for the first).
    """

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="assessments")
    rubric = models.ForeignKey(Rubric, on_delete=models.PROTECT, related_name="+")
    base = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    answers = models.JSONField()
    score_data = models.FloatField()
    score_model = models.FloatField()
    score_infra = models.FloatField()
    score_monitor = models.FloatField()
    score_final = models.FloatField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["project", "-created_at"], name="assessment_history")]

    def __str__(self) -> str:
        return f"{self.project_id}#{self.pk} {self.score_final}"

    @property
    def sections(self) -> dict[str, float]:
        return {
            "data": self.score_data,
            "model": self.score_model,
            "infra": self.score_infra,
            "monitor": self.score_monitor,
        }
