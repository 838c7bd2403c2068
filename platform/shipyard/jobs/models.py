"""Jobs: heavy ML work (training tests, evaluation, export, compression) run by Celery workers.

The row is the record of a job: its inputs, where it runs, its state, progress and log, its
result report and the versions it produced. Redis only carries the "run job N" message.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from shipyard.core.models import TimeStampedModel


class JobKind(models.TextChoices):
    TRAINING_TESTS = "training_tests", "Training tests"
    EVALUATE = "evaluate", "Evaluate"
    EXPORT_ONNX = "export_onnx", "Export to ONNX"
    EXPORT_TORCHSCRIPT = "export_torchscript", "Export to TorchScript"
    EXPORT_EXECUTORCH = "export_executorch", "Export to ExecuTorch (XNNPACK)"
    EXPORT_COREML = "export_coreml", "Export to Core ML"
    EXPORT_TFLITE = "export_tflite", "Export to LiteRT (TFLite)"
    QUANTIZE = "quantize", "Quantize (int8)"
    PRUNE = "prune", "Prune"
    DISTILL = "distill", "Distill"
    EXPLAIN = "explain", "Explain predictions"
    REPLAY = "replay", "Replay logged requests"
    FAIRNESS = "fairness", "Fairness report"
    FEATURE_IMPORTANCE = "feature_importance", "Feature importance"
    TUNE = "tune", "Tune hyperparameters"
    STALENESS_IMPACT = "staleness_impact", "Staleness impact"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


TERMINAL = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)
ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)


class JobQueue(models.TextChoices):
    CPU = "cpu", "CPU"
    GPU = "gpu", "GPU"


class JobDevice(models.TextChoices):
    AUTO = "auto", "auto"
    CPU = "cpu", "cpu"
    CUDA = "cuda", "cuda"


#: soft time limit per kind, seconds (the hard limit is 30 s later)
TIME_LIMITS: dict[str, int] = {
    JobKind.TRAINING_TESTS: 1800,
    JobKind.EVALUATE: 600,
    JobKind.EXPORT_ONNX: 600,
    JobKind.EXPORT_TORCHSCRIPT: 600,
    JobKind.EXPORT_EXECUTORCH: 900,
    JobKind.EXPORT_COREML: 900,
    JobKind.EXPORT_TFLITE: 1200,
    JobKind.QUANTIZE: 900,
    JobKind.PRUNE: 1800,
    JobKind.DISTILL: 3600,
    JobKind.EXPLAIN: 120,
    JobKind.REPLAY: 120,
    JobKind.FAIRNESS: 600,
    JobKind.FEATURE_IMPORTANCE: 1800,
    JobKind.TUNE: 3600,
    JobKind.STALENESS_IMPACT: 900,
}

LOG_MAX_LINES = 500


class EdgeProfile(TimeStampedModel):
    """A device budget of a project ("phone: <= 5 MB, <= 10 ms, >= 95 %"), checked on every edge export."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="edge_profiles")
    name = models.SlugField(max_length=50)
    #: the largest model file the device takes
    max_size_bytes = models.PositiveBigIntegerField(validators=[MinValueValidator(1), MaxValueValidator(100 * 1024**3)])
    #: the slowest batch-1 call accepted, in the exported model's own runtime
    max_latency_ms = models.FloatField(validators=[MinValueValidator(0.001), MaxValueValidator(600_000.0)])
    #: the lowest accuracy accepted on the evaluation rows
    min_accuracy = models.FloatField(validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="jobs_edgeprofile_unique_name")]

    def __str__(self) -> str:
        return f"{self.project_id}/{self.name}"


class Job(TimeStampedModel):
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="jobs")
    kind = models.CharField(max_length=32, choices=JobKind.choices, db_index=True)
    model_version = models.ForeignKey("registry.ModelVersion", on_delete=models.PROTECT, related_name="jobs")
    dataset_version = models.ForeignKey(
        "registry.DatasetVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="jobs"
    )
    params = models.JSONField(default=dict, blank=True)
    queue = models.CharField(max_length=8, choices=JobQueue.choices, default=JobQueue.CPU)
    #: what was asked (auto/cpu/cuda) and what the worker used
    device = models.CharField(max_length=8, choices=JobDevice.choices, default=JobDevice.AUTO)
    device_used = models.CharField(max_length=16, blank=True, default="")
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED, db_index=True)
    progress = models.FloatField(default=0.0)
    message = models.CharField(max_length=500, blank=True, default="")
    #: the last LOG_MAX_LINES lines: [{"t": iso time, "msg": str}]
    log = models.JSONField(default=list, blank=True)
    result = models.JSONField(default=dict, blank=True)
    passed = models.BooleanField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    #: ids of registry.ModelVersion rows this job registered (each also has produced_by_job_id = this job)
    produced_versions = models.JSONField(default=list, blank=True)
    cancel_requested = models.BooleanField(default=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    #: "<celery hostname>:<pid>" of the process running (or last running) it
    worker = models.CharField(max_length=300, blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    time_limit_s = models.PositiveIntegerField(default=600)
    retry_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retries")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["project", "status"]), models.Index(fields=["status", "heartbeat_at"])]

    def __str__(self) -> str:
        return f"job {self.pk} {self.kind} {self.status}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE
