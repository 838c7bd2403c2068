"""CI integration: secrets, raw deliveries, runs and their test cases, metrics, dependency diffs."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from shipyard.core.crypto import EncryptedTextField
from shipyard.core.models import TimeStampedModel


class Provider(models.TextChoices):
    SHIPYARD = "shipyard", "Shipyard"
    GITHUB = "github", "GitHub Actions"
    GITLAB = "gitlab", "GitLab CI"
    CIRCLECI = "circleci", "CircleCI"
    BUILDKITE = "buildkite", "Buildkite"
    GENERIC = "generic", "Jenkins / other (bearer)"


#: the branches that count as the default one while a project has not named its own
AUTO_DEFAULT_BRANCHES = ("main", "master")


class CIConfig(TimeStampedModel):
    """Per-project CI settings, including the webhook secret.

    Verifying an HMAC needs the raw key, so the secrets are stored encrypted (Fernet under a key
    derived from SECRET_KEY, see ``shipyard.core.crypto``), not hashed: a database dump alone does
    not let anyone forge CI deliveries. The API never returns a secret except once, right after a
    rotation.
    """

    project = models.OneToOneField("projects.Project", on_delete=models.CASCADE, related_name="ci_config")
    secret = EncryptedTextField(blank=True, default="")
    previous_secret = EncryptedTextField(blank=True, default="")
    previous_valid_until = models.DateTimeField(null=True, blank=True)
    rotated_at = models.DateTimeField(null=True, blank=True)
    #: the branch whose runs count as rubric evidence and form metric baselines; "" means
    #: AUTO_DEFAULT_BRANCHES (``main`` or ``master``)
    default_branch = models.CharField(max_length=200, blank=True, default="")
    #: how many recent default-branch runs form a metric's baseline
    baseline_runs = models.PositiveIntegerField(default=5)
    #: outbound webhook (Slack-compatible JSON `{"text": ...}`) for dependency changes and regressions
    notify_url = models.URLField(max_length=1000, blank=True, default="")
    #: globs naming the project's feature code in coverage reports (rubric data-7), e.g. ["src/features/*"]
    feature_code_globs = models.JSONField(default=list, blank=True)
    #: the line coverage (0..1) every feature-code file must reach for data-7 to pass
    feature_coverage_min = models.FloatField(default=0.8, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])

    def __str__(self) -> str:
        return f"ci config of {self.project_id}"

    @property
    def default_branches(self) -> list[str]:
        """The branch(es) whose runs are evidence and baselines: the configured one, else main or master."""
        return [self.default_branch] if self.default_branch else list(AUTO_DEFAULT_BRANCHES)


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    PROCESSED = "processed", "Processed"
    FAILED = "failed", "Failed"
    IGNORED = "ignored", "Ignored"


class Delivery(models.Model):
    """One verified webhook delivery, stored raw before it is parsed in a worker."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="ci_deliveries")
    provider = models.CharField(max_length=16, choices=Provider.choices)
    delivery_id = models.CharField(max_length=200)
    event = models.CharField(max_length=100, blank=True, default="")
    content_type = models.CharField(max_length=100, blank=True, default="")
    query = models.JSONField(default=dict, blank=True)
    body = models.BinaryField()
    size = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED)
    error = models.TextField(blank=True, default="")
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    run = models.ForeignKey("ci.CIRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries")
    #: SHA-256 of the verified signature (``Verified.replay_key``); "" for token schemes. Unique per
    #: project: a captured request sent again under a new delivery id is refused as a replay.
    signature_digest = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "provider", "delivery_id"], name="ci_delivery_once"),
            models.UniqueConstraint(
                fields=["project", "signature_digest"],
                condition=~models.Q(signature_digest=""),
                name="ci_delivery_signature_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.delivery_id}"


class RunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"
    CANCELED = "canceled", "Canceled"
    UNKNOWN = "unknown", "Unknown"


class CIRun(TimeStampedModel):
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="ci_runs")
    provider = models.CharField(max_length=16, choices=Provider.choices)
    external_id = models.CharField(max_length=200)
    name = models.CharField(max_length=300, blank=True, default="")
    branch = models.CharField(max_length=300, blank=True, default="", db_index=True)
    commit = models.CharField(max_length=64, blank=True, default="")
    url = models.CharField(max_length=1000, blank=True, default="")
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.UNKNOWN)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_s = models.FloatField(null=True, blank=True)
    tests_total = models.PositiveIntegerField(default=0)
    tests_failed = models.PositiveIntegerField(default=0)
    tests_errored = models.PositiveIntegerField(default=0)
    tests_skipped = models.PositiveIntegerField(default=0)
    #: the raw lockfile / requirements text this run carried ("" when none)
    lockfile = models.TextField(blank=True, default="")
    packages = models.JSONField(default=dict, blank=True)
    #: the run's coverage report: {"tool", "line_rate", "lines_valid", "lines_covered", "files": {name: rate}}
    #: ({} when the run carried none)
    coverage = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["project", "provider", "external_id"], name="ci_run_once")]
        indexes = [models.Index(fields=["project", "branch", "-created_at"], name="ci_run_branch")]

    def __str__(self) -> str:
        return f"{self.provider}:{self.external_id}"


class CaseStatus(models.TextChoices):
    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"
    ERROR = "error", "Error"
    SKIPPED = "skipped", "Skipped"


class TestCase(models.Model):
    __test__ = False  # not a pytest class

    run = models.ForeignKey(CIRun, on_delete=models.CASCADE, related_name="cases")
    name = models.CharField(max_length=1000)
    classname = models.CharField(max_length=1000, blank=True, default="")
    status = models.CharField(max_length=16, choices=CaseStatus.choices)
    duration_s = models.FloatField(default=0.0)
    message = models.TextField(blank=True, default="")
    rubric_ids = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.classname}::{self.name}"


class TagRule(TimeStampedModel):
    """A glob on a test case's class or name (or "class::name") that tags it with a rubric test."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="ci_tag_rules")
    pattern = models.CharField(max_length=500)
    rubric_id = models.CharField(max_length=16)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["project", "pattern", "rubric_id"], name="ci_tag_rule_once")]

    def __str__(self) -> str:
        return f"{self.pattern} -> {self.rubric_id}"


class Direction(models.TextChoices):
    HIGHER = "higher", "Higher is better"
    LOWER = "lower", "Lower is better"


class MetricKind(models.TextChoices):
    QUALITY = "quality", "Prediction quality (monitor-7)"
    PERFORMANCE = "performance", "Computing performance (monitor-6)"


class MetricPolicy(TimeStampedModel):
    """How a metric is judged: direction, tolerance (absolute or relative) and which rubric test it feeds."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="ci_metric_policies")
    metric = models.CharField(max_length=200)
    direction = models.CharField(max_length=8, choices=Direction.choices)
    tolerance = models.FloatField()
    relative = models.BooleanField(default=False)
    kind = models.CharField(max_length=16, choices=MetricKind.choices)

    class Meta:
        ordering = ["metric"]
        constraints = [models.UniqueConstraint(fields=["project", "metric"], name="ci_metric_policy_once")]

    def __str__(self) -> str:
        return self.metric


class Verdict(models.TextChoices):
    BASELINE = "baseline", "Establishes the baseline (first value on the default branch)"
    OK = "ok", "Within tolerance of the baseline"
    REGRESSION = "regression", "Regressed against the baseline"
    UNJUDGED = "unjudged", "No baseline yet (the default branch has not reported this metric)"


class MetricValue(models.Model):
    run = models.ForeignKey(CIRun, on_delete=models.CASCADE, related_name="metrics")
    name = models.CharField(max_length=200)
    value = models.FloatField()
    baseline = models.FloatField(null=True, blank=True)
    regression = models.BooleanField(default=False)
    verdict = models.CharField(max_length=16, choices=Verdict.choices, default=Verdict.UNJUDGED)
    kind = models.CharField(max_length=16, choices=MetricKind.choices)
    direction = models.CharField(max_length=8, choices=Direction.choices)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["run", "name"], name="ci_metric_once")]

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class DependencyChange(TimeStampedModel):
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="ci_dependency_changes")
    run = models.OneToOneField(CIRun, on_delete=models.CASCADE, related_name="dependency_change")
    previous_run = models.ForeignKey(CIRun, null=True, on_delete=models.SET_NULL, related_name="+")
    added = models.JSONField(default=dict)
    removed = models.JSONField(default=dict)
    changed = models.JSONField(default=dict)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"deps of run {self.run_id}"


class Notification(TimeStampedModel):
    """An in-app notice (dependency change, metric regression), also sent to the outbound webhook if set."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="ci_notifications")
    run = models.ForeignKey(CIRun, null=True, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32)
    text = models.TextField()
    outbound_status = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.text[:60]
