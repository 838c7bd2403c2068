"""Monitoring: per-deployment configuration and reference, incremental window summaries, drift rules
and results, the other monitors' time series, alerts, user feedback and flywheel exports."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from shipyard.core.models import TimeStampedModel


class WindowKind(models.TextChoices):
    HOUR = "hour", "Last hour"
    DAY = "day", "Last day"
    LAST_N = "last_n", "Last N predictions"


class Status(models.TextChoices):
    OK = "ok", "OK"
    WARN = "warn", "Warning"
    FAIL = "fail", "Failing"
    NO_DATA = "no_data", "No data"
    ERROR = "error", "Monitor error"


#: worst first, for sorting dashboards
STATUS_RANK = {Status.ERROR: 0, Status.FAIL: 1, Status.WARN: 2, Status.NO_DATA: 3, Status.OK: 4}


class MonitorConfig(TimeStampedModel):
    """How one deployment is monitored; one row per deployment, created on first use."""

    deployment = models.OneToOneField("serving.Deployment", on_delete=models.CASCADE, related_name="monitor")
    window_kind = models.CharField(max_length=8, choices=WindowKind.choices, default=WindowKind.DAY)
    window_n = models.PositiveIntegerField(default=1000, validators=[MinValueValidator(10), MaxValueValidator(100_000)])
    staleness_limit_days = models.PositiveIntegerField(default=30, validators=[MinValueValidator(1)])
    confidence_threshold = models.FloatField(default=0.8, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    skew_sample_size = models.PositiveIntegerField(
        default=200, validators=[MinValueValidator(1), MaxValueValidator(5000)]
    )
    skew_max_mismatch = models.FloatField(default=0.01, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    #: invariant violations per prediction above which monitor-2 fails
    invariant_max_rate = models.FloatField(default=0.01, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    #: the share of scored requests the outlier detector may flag in the last hour before an alert
    outlier_max_rate = models.FloatField(default=0.05, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    #: p99 latency of the live version may be this many times the previous version's
    latency_max_ratio = models.FloatField(default=1.5, validators=[MinValueValidator(1.0)])
    #: feedback accuracy may drop this much below the previous version's
    quality_max_drop = models.FloatField(default=0.05, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    #: offline (evaluate job) and online (feedback) accuracy of a version may differ this much (model-2)
    correlation_max_gap = models.FloatField(default=0.05, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    #: fairness on labelled feedback (model-7): the largest differences between sensitive groups that pass
    fairness_max_accuracy_difference = models.FloatField(
        default=0.1, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)]
    )
    fairness_max_demographic_parity_difference = models.FloatField(
        default=0.1, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)]
    )
    fairness_max_equalized_odds_difference = models.FloatField(
        default=0.2, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)]
    )
    #: the health monitors (error rate, latency) look at the last this-many minutes of every request
    health_window_minutes = models.PositiveIntegerField(
        default=5, validators=[MinValueValidator(1), MaxValueValidator(1440)]
    )
    #: fewer requests than this in the health window is "no data", not an alert
    health_min_requests = models.PositiveIntegerField(default=20, validators=[MaxValueValidator(1_000_000)])
    #: share of failed requests (errors, timeouts, rejected inputs) above which the error-rate monitor fails
    error_rate_max = models.FloatField(default=0.05, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    #: p99 latency (ms) of the live version above which the latency monitor fails
    latency_p99_max_ms = models.FloatField(
        default=1000.0, validators=[MinValueValidator(1.0), MaxValueValidator(600_000.0)]
    )
    webhook_url = models.URLField(blank=True, default="", max_length=500)
    email_to = models.CharField(blank=True, default="", max_length=500)

    reference_version = models.ForeignKey(
        "registry.ModelVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reference_dataset = models.ForeignKey(
        "registry.DatasetVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    #: shipyard_ml.drift.Reference.to_dict(), plus "input_features": [names in model input order]
    reference = models.JSONField(default=dict, blank=True)
    #: highest PredictionLog id already folded into WindowBucket rows
    ingest_cursor = models.BigIntegerField(default=0)
    #: log rows folded so far, rows skipped as undecodable, and the request ids of the latest of those
    ingest_rows = models.BigIntegerField(default=0)
    ingest_invalid = models.BigIntegerField(default=0)
    ingest_invalid_examples = models.JSONField(default=list, blank=True)
    #: how far the ingest was behind the log at its last run: rows, and age of the oldest in seconds
    ingest_lag_rows = models.BigIntegerField(default=0)
    ingest_lag_s = models.FloatField(default=0.0)
    ingest_checked_at = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")

    def __str__(self) -> str:
        return f"monitor:{self.deployment_id}"


class WindowBucket(models.Model):
    """Mergeable summaries of the prediction log for one deployment, version and 5-minute bucket."""

    deployment = models.ForeignKey("serving.Deployment", on_delete=models.CASCADE, related_name="+")
    version_id = models.BigIntegerField()
    bucket_start = models.DateTimeField()
    rows = models.BigIntegerField(default=0)
    #: {"<feature>": "<base64 of shipyard_ml.drift.pack(summary)>"}
    summaries = models.JSONField(default=dict)
    #: {"violations": {"<feature>": {"<kind>": n}}, "nan_outputs": n, "inf_outputs": n,
    #:  "confidence_n": n, "confident": n}
    counters = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["deployment", "version_id", "bucket_start"], name="monitoring_bucket_unique"
            )
        ]
        indexes = [models.Index(fields=["deployment", "bucket_start"], name="monitoring_bucket_q")]

    def __str__(self) -> str:
        return f"{self.deployment_id}:{self.version_id}@{self.bucket_start:%Y-%m-%dT%H:%M}"


class DriftMetric(models.TextChoices):
    KL = "kl", "Kullback-Leibler divergence"
    PSI = "psi", "Population stability index"
    JS = "js", "Jensen-Shannon distance"
    KS = "ks", "Kolmogorov-Smirnov statistic"
    KS_PVALUE = "ks_pvalue", "Kolmogorov-Smirnov p-value"
    WASSERSTEIN = "wasserstein", "Wasserstein distance"
    WASSERSTEIN_NORM = "wasserstein_norm", "Wasserstein distance / reference std"


class Operator(models.TextChoices):
    GT = "gt", "greater than"
    GTE = "gte", "at least"
    LT = "lt", "less than"
    LTE = "lte", "at most"


class DriftRule(TimeStampedModel):
    """The rule one monitored feature (or the model's output, feature ``prediction``) is held to."""

    deployment = models.ForeignKey("serving.Deployment", on_delete=models.CASCADE, related_name="drift_rules")
    feature = models.CharField(max_length=200)
    metric = models.CharField(max_length=20, choices=DriftMetric.choices, default=DriftMetric.PSI)
    operator = models.CharField(max_length=4, choices=Operator.choices, default=Operator.GT)
    threshold = models.FloatField(default=0.2)
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["deployment", "feature"], name="monitoring_rule_unique")]


class DriftResult(models.Model):
    """One drift check of one feature: every metric, the rule's value and the status (a time series)."""

    deployment = models.ForeignKey("serving.Deployment", on_delete=models.CASCADE, related_name="+")
    run = models.ForeignKey("MonitorRun", on_delete=models.CASCADE, related_name="drift_results")
    computed_at = models.DateTimeField(db_index=True)
    feature = models.CharField(max_length=200)
    kind = models.CharField(max_length=16)
    metric = models.CharField(max_length=20)
    operator = models.CharField(max_length=4)
    threshold = models.FloatField()
    value = models.FloatField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices)
    n_current = models.BigIntegerField(default=0)
    metrics = models.JSONField(default=dict)
    #: {"labels": [...], "reference": [...], "current": [...]} (proportions)
    histogram = models.JSONField(default=dict)

    class Meta:
        ordering = ["-computed_at", "id"]
        indexes = [models.Index(fields=["deployment", "feature", "-computed_at"], name="monitoring_drift_q")]

    def __str__(self) -> str:
        return f"{self.deployment_id}:{self.feature} {self.status}"


class MonitorKind(models.TextChoices):
    DRIFT = "drift", "Drift"
    INVARIANTS = "invariants", "Data invariants"
    SKEW = "skew", "Training/serving skew"
    STALENESS = "staleness", "Staleness"
    NUMERICS = "numerics", "Numerical stability (NaN/Inf)"
    PERFORMANCE = "performance", "Computing performance"
    QUALITY = "quality", "Prediction quality"
    CORRELATION = "correlation", "Offline/online correlation"
    OUTLIERS = "outliers", "Outlier rate"
    FAIRNESS = "fairness", "Fairness across groups"
    ERROR_RATE = "error_rate", "Error rate"
    LATENCY = "latency", "Latency"


#: the rubric test each monitor is evidence for (see docs/monitoring.md)
RUBRIC_TEST = {
    MonitorKind.DRIFT: "monitor-3",
    MonitorKind.INVARIANTS: "monitor-2",
    MonitorKind.SKEW: "monitor-3",
    MonitorKind.STALENESS: "monitor-4",
    MonitorKind.NUMERICS: "monitor-5",
    MonitorKind.PERFORMANCE: "monitor-6",
    MonitorKind.QUALITY: "monitor-7",
    MonitorKind.CORRELATION: "model-2",
    MonitorKind.OUTLIERS: "monitor-2",
    MonitorKind.FAIRNESS: "model-7",
    MonitorKind.ERROR_RATE: "monitor-6",
    MonitorKind.LATENCY: "monitor-6",
}


class MonitorRun(models.Model):
    """One run of one monitor on one deployment: its status, headline value and details (a time series)."""

    deployment = models.ForeignKey("serving.Deployment", on_delete=models.CASCADE, related_name="monitor_runs")
    kind = models.CharField(max_length=16, choices=MonitorKind.choices)
    computed_at = models.DateTimeField(db_index=True)
    status = models.CharField(max_length=8, choices=Status.choices)
    value = models.FloatField(null=True, blank=True)
    summary = models.CharField(max_length=300, blank=True, default="")
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-computed_at", "-id"]
        indexes = [models.Index(fields=["deployment", "kind", "-computed_at"], name="monitoring_run_q")]

    def __str__(self) -> str:
        return f"{self.deployment_id}:{self.kind} {self.status}"


class AlertStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"


class Alert(TimeStampedModel):
    """A condition that fired: deduplicated by ``key`` while open, resolved when it clears."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="alerts")
    deployment = models.ForeignKey(
        "serving.Deployment", null=True, blank=True, on_delete=models.CASCADE, related_name="alerts"
    )
    key = models.CharField(max_length=300)
    source = models.CharField(max_length=32, default="monitor")
    severity = models.CharField(max_length=8, default="warning")
    status = models.CharField(max_length=8, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    title = models.CharField(max_length=300)
    message = models.TextField(blank=True, default="")
    link = models.CharField(max_length=500, blank=True, default="")
    evidence = models.ForeignKey("rubric.Evidence", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    detail = models.JSONField(default=dict, blank=True)
    opened_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    occurrences = models.PositiveIntegerField(default=1)
    #: outbound delivery results: [{"channel": "webhook"|"email", "ok": bool, "error": str, "at": iso}]
    deliveries = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "key"], condition=models.Q(status="open"), name="monitoring_alert_one_open"
            )
        ]


class Feedback(TimeStampedModel):
    """A user's confirmation or correction of one logged prediction (idempotent per request id)."""

    deployment = models.ForeignKey("serving.Deployment", on_delete=models.CASCADE, related_name="feedback")
    request_id = models.CharField(max_length=40)
    version_id = models.BigIntegerField()
    predicted_at = models.DateTimeField()
    inputs = models.JSONField()
    prediction = models.JSONField()
    label = models.JSONField()
    confidence = models.FloatField(null=True, blank=True)
    correct = models.BooleanField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-predicted_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["deployment", "request_id"], name="monitoring_feedback_unique")]
        indexes = [models.Index(fields=["deployment", "predicted_at"], name="monitoring_feedback_q")]


class FlywheelExport(TimeStampedModel):
    """ "Add to dataset": a new dataset version = the base version + corrected examples."""

    deployment = models.ForeignKey("serving.Deployment", on_delete=models.CASCADE, related_name="flywheel_exports")
    base_version = models.ForeignKey("registry.DatasetVersion", on_delete=models.PROTECT, related_name="+")
    dataset_version = models.ForeignKey("registry.DatasetVersion", on_delete=models.PROTECT, related_name="+")
    examples = models.PositiveIntegerField()
    feedback_ids = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
