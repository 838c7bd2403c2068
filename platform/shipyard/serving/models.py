"""Serving: deployments, their audit history, per-deployment API keys, the prediction log and its rollups.

Field names are part of the contract the monitoring app relies on (see docs/serving.md).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from shipyard.core.models import TimeStampedModel
from shipyard.serving import logcodec, protocol


class ValidationPolicy(models.TextChoices):
    REJECT = "reject", "Reject invalid inputs with a 400 naming the feature"
    ACCEPT = "accept", "Accept invalid inputs and count the violations"


class BanditPolicy(models.TextChoices):
    THOMPSON = "thompson", "Thompson sampling"
    EPSILON_GREEDY = "epsilon_greedy", "Epsilon-greedy"


class Deployment(TimeStampedModel):
    """A named endpoint of a project serving one live model version and optionally a canary."""

    #: The deployment's settings: the one list the API, the services and (through the OpenAPI
    #: schema) the frontend derive from. Each field's validators are its allowed range.
    SETTINGS_FIELDS: tuple[str, ...] = (
        "max_batch_size",
        "max_delay_ms",
        "request_timeout_ms",
        "validation_policy",
        "log_sample_rate",
        "log_hot_days",
        "quality_metric",
        "quality_threshold",
        "quality_tolerance",
        "quality_lower_is_better",
        "canary_interval_s",
        "canary_breach_intervals",
        "canary_window_intervals",
        "canary_max_error_rate_delta",
        "canary_max_p99_ratio",
        "canary_max_quality_drop",
        "canary_min_requests",
        "canary_auto_promote",
    )

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="deployments")
    name = models.CharField(max_length=50)
    model = models.ForeignKey("registry.RegisteredModel", on_delete=models.PROTECT, related_name="deployments")
    live_version = models.ForeignKey("registry.ModelVersion", on_delete=models.PROTECT, related_name="live_in")
    canary_version = models.ForeignKey(
        "registry.ModelVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="canary_in"
    )
    #: percent of requests routed to the canary (0-100)
    canary_weight = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(100)])
    canary_started_at = models.DateTimeField(null=True, blank=True)
    #: ids of the versions that were live before the current one, oldest first (rollback pops)
    live_history = models.JSONField(default=list, blank=True)

    # batching
    max_batch_size = models.PositiveIntegerField(default=32, validators=[MinValueValidator(1), MaxValueValidator(4096)])
    max_delay_ms = models.FloatField(default=5.0, validators=[MinValueValidator(0.0), MaxValueValidator(1000.0)])
    request_timeout_ms = models.PositiveIntegerField(
        default=5000, validators=[MinValueValidator(50), MaxValueValidator(120_000)]
    )
    validation_policy = models.CharField(
        max_length=16, choices=ValidationPolicy.choices, default=ValidationPolicy.REJECT
    )
    #: share of served requests written to the prediction log (0..1); rollups count every request
    log_sample_rate = models.FloatField(default=1.0, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    #: retention of the prediction log in PostgreSQL: a month of rows is exported to Parquet on the
    #: artifact storage (and its partition dropped) once its last day is this many days old
    log_hot_days = models.PositiveIntegerField(default=62, validators=[MinValueValidator(1), MaxValueValidator(3650)])

    # quality gate
    quality_metric = models.CharField(max_length=64, default="accuracy")
    #: the metric a version needs to go live; null = gate needs only a passing evaluation when one exists
    quality_threshold = models.FloatField(null=True, blank=True)
    #: how much worse than the live version a new live version may be
    quality_tolerance = models.FloatField(default=0.01, validators=[MinValueValidator(0.0)])
    #: true when the metric is an error (lower is better), e.g. "mae"
    quality_lower_is_better = models.BooleanField(default=False)

    # canary analysis
    canary_interval_s = models.PositiveIntegerField(
        default=60, validators=[MinValueValidator(10), MaxValueValidator(86_400)]
    )
    canary_breach_intervals = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    canary_window_intervals = models.PositiveSmallIntegerField(
        default=10, validators=[MinValueValidator(1), MaxValueValidator(1000)]
    )
    canary_max_error_rate_delta = models.FloatField(
        default=0.02, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)]
    )
    canary_max_p99_ratio = models.FloatField(default=1.5, validators=[MinValueValidator(1.0), MaxValueValidator(100.0)])
    canary_max_quality_drop = models.FloatField(
        default=0.05, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)]
    )
    canary_min_requests = models.PositiveIntegerField(default=20, validators=[MaxValueValidator(1_000_000)])
    canary_auto_promote = models.BooleanField(default=False)
    #: consecutive breaching / passing intervals of the current canary, and when it was last analysed
    canary_breaches = models.PositiveSmallIntegerField(default=0)
    canary_passes = models.PositiveSmallIntegerField(default=0)
    canary_analyzed_at = models.DateTimeField(null=True, blank=True)

    # multi-armed bandit routing (see serving/bandit.py): blank = fixed live/canary split
    bandit_policy = models.CharField(max_length=16, blank=True, default="", choices=BanditPolicy.choices)
    #: epsilon-greedy's exploration probability
    bandit_epsilon = models.FloatField(default=0.1, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    #: the least share of requests each arm gets, whatever its posterior
    bandit_min_share = models.FloatField(default=0.02, validators=[MinValueValidator(0.0), MaxValueValidator(0.5)])
    bandit_started_at = models.DateTimeField(null=True, blank=True)

    # shadow traffic (see serving/shadow.py): a version that gets a mirrored share of the requests
    shadow_version = models.ForeignKey(
        "registry.ModelVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="shadow_in"
    )
    shadow_share = models.FloatField(default=0.0, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    shadow_started_at = models.DateTimeField(null=True, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="serving_deployment_unique_name"),
            models.CheckConstraint(condition=models.Q(canary_weight__lte=100), name="serving_canary_weight_max"),
        ]

    def __str__(self) -> str:
        return f"{self.project_id}/{self.name}"


class BanditArm(models.Model):
    """One version a deployment's bandit routes among (two or more while the bandit is on)."""

    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="bandit_arms")
    version = models.ForeignKey("registry.ModelVersion", on_delete=models.PROTECT, related_name="bandit_arm_in")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["deployment", "version"], name="serving_bandit_arm_unique")]

    def __str__(self) -> str:
        return f"{self.deployment_id}:{self.version_id}"


class EventKind(models.TextChoices):
    CREATE = "create", "Created"
    DEPLOY = "deploy", "Deployed"
    CANARY = "canary", "Canary started"
    WEIGHT = "weight", "Canary weight changed"
    PROMOTE = "promote", "Canary promoted"
    ROLLBACK = "rollback", "Rolled back"
    AUTO_ROLLBACK = "auto_rollback", "Rolled back automatically"
    GATE_OVERRIDE = "gate_override", "Quality gate overridden"
    SETTINGS = "settings", "Settings changed"
    API_KEY = "api_key", "API key created or revoked"
    BANDIT = "bandit", "Bandit routing started"
    BANDIT_STOP = "bandit_stop", "Bandit routing stopped"
    SHADOW = "shadow", "Shadow traffic started"
    SHADOW_STOP = "shadow_stop", "Shadow traffic stopped"


class DeploymentEvent(models.Model):
    """Append-only audit history: who changed what, when, from which version to which, and why."""

    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    #: null for changes Shipyard made itself (canary analysis)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_version = models.ForeignKey(
        "registry.ModelVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_version = models.ForeignKey(
        "registry.ModelVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    weight_from = models.PositiveSmallIntegerField(null=True, blank=True)
    weight_to = models.PositiveSmallIntegerField(null=True, blank=True)
    reason = models.TextField(blank=True, default="", max_length=2000)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.deployment_id} {self.kind}"


class ApiKey(TimeStampedModel):
    """A per-deployment key for /serve (header ``X-Api-Key``). Only its SHA-256 is stored."""

    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.deployment_id}:{self.prefix}"


class LogValueField(models.BinaryField):
    """A logged value stored through :mod:`shipyard.serving.logcodec` (``bytea``): assign any JSON
    value (or bytes already encoded), read the decoded value, or a :class:`logcodec.Undecodable`
    for bytes the codec cannot read (readers skip those rows and count them)."""

    def __init__(self, *args: Any, float32: bool = False, **kwargs: Any) -> None:
        self.float32 = float32
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.float32:
            kwargs["float32"] = True
        return name, path, args, kwargs

    def get_prep_value(self, value: Any) -> Any:
        if value is None or isinstance(value, bytes | memoryview):
            return value
        if isinstance(value, logcodec.Undecodable):
            return value.raw
        return logcodec.encode(value, float32=self.float32)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return None
        try:
            return logcodec.decode(value)
        except logcodec.CodecError as exc:
            return logcodec.Undecodable(bytes(value), str(exc))

    def to_python(self, value: Any) -> Any:
        return value


class PredictionLog(models.Model):
    """One sampled served request. The table is range-partitioned by month on ``created_at``
    (see migration 0002 and ``services.prediction_log_partitions_ensure``); dashboards read
    :class:`PredictionRollup`, not these rows."""

    id = models.BigAutoField(primary_key=True)
    #: every read filters on the deployment: the two (deployment, ...) indexes below serve them, and
    #: each index more is paid on every one of the log's writes
    created_at = models.DateTimeField()
    deployment = models.ForeignKey(Deployment, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    version = models.ForeignKey(
        "registry.ModelVersion", on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    request_id = models.CharField(max_length=40, db_index=True)
    #: the input row and the output, through logcodec (a float32 block for numeric rows)
    inputs = LogValueField(float32=True)
    outputs = LogValueField()
    confidence = models.FloatField(null=True, blank=True)
    latency_ms = models.FloatField()
    #: "ok" or an error code ("timeout", "invalid", "error")
    status = models.CharField(max_length=16, default="ok")
    #: input-invariant violations counted under the "accept" policy: [{feature, kind}]
    violations = models.JSONField(default=list, blank=True)
    routing_key = models.CharField(max_length=200, blank=True, default="")
    #: the deployment's outlier detector's score and verdict for this row (null without a detector)
    outlier_score = models.FloatField(null=True, blank=True)
    is_outlier = models.BooleanField(null=True, blank=True)

    class Meta:
        managed = True
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["deployment", "created_at"], name="serving_plog_dep_time"),
            # the ingest reads a deployment's rows after its cursor in id order
            models.Index(fields=["deployment", "id"], name="serving_plog_dep_id"),
        ]

    def __str__(self) -> str:
        return f"{self.deployment_id}:{self.request_id}"


class OutlierDetector(TimeStampedModel):
    """A Mahalanobis outlier detector of one deployment's version, fitted on the version's training
    dataset (``shipyard_ml.outliers``); the serving workers score every request with it."""

    class State(models.TextChoices):
        FITTING = "fitting", "Fitting"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="outlier_detectors")
    version = models.ForeignKey("registry.ModelVersion", on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=16, choices=State.choices, default=State.FITTING)
    #: the share of training rows the threshold lets through (0.99: about 1 % flagged)
    quantile = models.FloatField(default=0.99, validators=[MinValueValidator(0.5), MaxValueValidator(0.9999)])
    #: the Mahalanobis distance above which a row is an outlier (set by the fit)
    threshold = models.FloatField(null=True, blank=True)
    training_rows = models.PositiveIntegerField(default=0)
    artifact_key = models.CharField(max_length=200, blank=True, default="")
    error = models.TextField(blank=True, default="", max_length=2000)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["deployment", "version"], name="serving_outlier_detector_unique")
        ]

    def __str__(self) -> str:
        return f"{self.deployment_id}:{self.version_id}"


class ShadowLog(models.Model):
    """One mirrored row: what the shadow version answered next to what live answered."""

    id = models.BigAutoField(primary_key=True)
    created_at = models.DateTimeField(db_index=True)
    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="+")
    live_version = models.ForeignKey("registry.ModelVersion", on_delete=models.CASCADE, related_name="+")
    shadow_version = models.ForeignKey("registry.ModelVersion", on_delete=models.CASCADE, related_name="+")
    #: the live request's id (feedback and the prediction log use it)
    request_id = models.CharField(max_length=40)
    live_output = models.JSONField(null=True)
    shadow_output = models.JSONField(null=True)
    #: null when the shadow failed
    agree = models.BooleanField(null=True)
    live_ms = models.FloatField()
    #: from the mirror's push to the worker's answer
    shadow_ms = models.FloatField()
    #: "ok" or the shadow's error code
    status = models.CharField(max_length=32, default="ok")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["deployment", "created_at"], name="serving_shadow_dep_time")]

    def __str__(self) -> str:
        return f"{self.deployment_id}:{self.request_id}"


class LogArchive(models.Model):
    """One deployment's prediction-log rows of one month, exported to a Parquet file on the artifact
    storage and verified (row count and checksum). ``state`` is ``exported`` while the month's
    partition is still attached (readers use PostgreSQL) and ``cold`` once it is dropped (readers
    use this file through DuckDB)."""

    EXPORTED, COLD = "exported", "cold"

    deployment_id = models.BigIntegerField()
    month = models.DateField()
    blob_key = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    size_bytes = models.BigIntegerField()
    rows = models.BigIntegerField()
    #: the highest log id in the file (a row committed later has a higher id: see the drop's check)
    max_id = models.BigIntegerField()
    #: sum over rows of the first 60 bits of md5(id, request id, inputs, outputs), as text
    checksum = models.CharField(max_length=40)
    state = models.CharField(max_length=10, default=EXPORTED)
    created_at = models.DateTimeField(auto_now_add=True)
    dropped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["month", "deployment_id"]
        constraints = [
            models.UniqueConstraint(fields=["deployment_id", "month"], name="serving_logarchive_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.deployment_id}@{self.month:%Y-%m} ({self.state})"


class LogDayCount(models.Model):
    """Logged predictions of one deployment on one finished UTC day, and those at or above a
    confidence threshold: counted once from the log (hot or cold) and kept, so the flywheel's
    history costs its days, not their rows."""

    deployment_id = models.BigIntegerField()
    day = models.DateField()
    threshold = models.FloatField()
    predictions = models.BigIntegerField()
    confident = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["deployment_id", "day", "threshold"], name="serving_logdaycount_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.deployment_id}@{self.day}"


#: latency histogram edges (ms) of the rollups: the same as the stats hashes the web and gateway feed
LATENCY_EDGES_MS = protocol.LATENCY_EDGES_MS


class PredictionRollup(models.Model):
    """Per deployment, version and time bucket: counts, errors, violations and a latency histogram.

    Every request is counted here (not only the sampled ones). Buckets are one minute
    (``bucket_seconds=60``); minute rows older than two days are folded into hour rows
    (``bucket_seconds=3600``) so months stay cheap to query.
    """

    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="rollups")
    version = models.ForeignKey("registry.ModelVersion", on_delete=models.CASCADE, related_name="+")
    bucket_start = models.DateTimeField()
    bucket_seconds = models.PositiveIntegerField(default=60)
    count = models.BigIntegerField(default=0)
    errors = models.BigIntegerField(default=0)
    timeouts = models.BigIntegerField(default=0)
    violations = models.BigIntegerField(default=0)
    latency_ms_sum = models.FloatField(default=0.0)
    #: counts per LATENCY_EDGES_MS bucket (+1 overflow)
    latency_hist = models.JSONField(default=list)
    confidence_sum = models.FloatField(default=0.0)
    confidence_count = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["bucket_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["deployment", "version", "bucket_start", "bucket_seconds"], name="serving_rollup_unique"
            )
        ]
        indexes = [models.Index(fields=["deployment", "bucket_seconds", "bucket_start"], name="serving_rollup_q")]

    def __str__(self) -> str:
        return f"{self.deployment_id}:{self.version_id}@{self.bucket_start:%Y-%m-%dT%H:%M}"
