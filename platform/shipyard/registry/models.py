"""Registry: datasets and their immutable versions, registered models, versions, aliases and lineage.

Field names are part of the contract other apps rely on (jobs, serving, monitoring); they are
documented in docs/registry.md. Artifacts live in content-addressed storage
(``<ARTIFACT_ROOT>/sha256/ab/cdef...``); rows store the storage key, never a caller-supplied path.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from shipyard.core.models import TimeStampedModel


class DatasetFormat(models.TextChoices):
    CSV = "csv", "CSV"
    PARQUET = "parquet", "Parquet"
    NPZ = "npz", "NumPy NPZ"


class ArtifactFormat(models.TextChoices):
    ONNX = "onnx", "ONNX"
    STATE_DICT = "state_dict", "PyTorch state_dict (.pt/.pth, weights_only)"
    SAFETENSORS = "safetensors", "safetensors"
    TORCHSCRIPT = "torchscript", "TorchScript (code: loaded by workers only)"
    TORCH_EXPORT = "torch_export", "torch.export program (.pt2: loaded by workers only)"
    EXECUTORCH = "executorch", "ExecuTorch program (.pte: for devices; loaded by workers only)"
    COREML = "coreml", "Core ML package (.mlpackage, zipped: for Apple devices)"
    TFLITE = "tflite", "LiteRT model (.tflite: for Android and embedded devices)"
    #: an ensemble of other versions of the model (a JSON manifest; made by POST .../ensembles/)
    ENSEMBLE = "ensemble", "Ensemble of versions"


#: device formats: downloads are named for the platform (``digits-cnn-v3.pte``)
EDGE_SUFFIXES: dict[str, str] = {
    ArtifactFormat.EXECUTORCH: ".pte",
    ArtifactFormat.COREML: ".mlpackage.zip",
    ArtifactFormat.TFLITE: ".tflite",
}

#: the formats an upload may declare (an ensemble is made from versions already registered)
UPLOAD_FORMATS = [c for c in ArtifactFormat.choices if c[0] != ArtifactFormat.ENSEMBLE]


class Dataset(TimeStampedModel):
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="datasets")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True, default="", max_length=5000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="registry_dataset_unique_name")]

    def __str__(self) -> str:
        return f"{self.project_id}/{self.name}"


class DatasetVersion(TimeStampedModel):
    """One immutable version of a dataset: the uploaded file as-is plus a normalised Parquet copy."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    format = models.CharField(max_length=16, choices=DatasetFormat.choices)
    #: storage key of the uploaded file (content-addressed) and its hash/size
    file_key = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64, db_index=True)
    size_bytes = models.BigIntegerField()
    original_filename = models.CharField(max_length=255, blank=True, default="")
    #: storage key of the normalised copy workers read (Parquet, one column per feature)
    normalized_key = models.CharField(max_length=200, blank=True, default="")
    row_count = models.BigIntegerField()
    #: {"features": [{name, dtype: numeric|integer|categorical|boolean|string, min, max,
    #:   categories, null_rate, nullable}], "label": "<col>"|null}
    schema = models.JSONField(default=dict)
    #: {"<feature>": {mean, std, min, max, quantiles, histogram: {edges, counts} | top: [[value, count]]}}
    stats = models.JSONField(default=dict)
    label_column = models.CharField(max_length=200, blank=True, default="")
    #: [{"name": "pixels_high", "filter": "mean_intensity > 5"}] — pandas-query-style filters
    slices = models.JSONField(default=list)
    #: columns that describe groups of people (fairness reports compare outcomes across their values)
    sensitive_features = models.JSONField(default=list, blank=True)
    tags = models.JSONField(default=dict, blank=True)
    description = models.TextField(blank=True, default="", max_length=5000)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="derived_versions"
    )
    #: id of the jobs.Job that produced it (no FK: keeps migrations free of cycles)
    produced_by_job_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    idempotency_key = models.CharField(max_length=200, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    #: declared per column: {"<col>": {"owner": str, "source": str, "sensitive": bool}} (rubric data-4/data-5)
    feature_meta = models.JSONField(default=dict, blank=True)
    #: the project's feature policy checked at registration: {mode, checked_at, violations: [{rule, feature, message}]}
    policy_check = models.JSONField(default=dict, blank=True)
    #: the PII scan (rubric data-5): {status, rows, sampled_rows, findings: [{column, kinds: {kind: count}, declared}],
    #: undeclared: [<col>], ...}: counts and column names only, never a matched value
    pii_scan = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["dataset", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "number"], name="registry_datasetversion_unique_number"),
            models.UniqueConstraint(
                fields=["dataset", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="registry_datasetversion_unique_idem",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dataset_id}:v{self.number}"


class RegisteredModel(TimeStampedModel):
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="registered_models")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True, default="", max_length=5000)
    tags = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="registry_model_unique_name")]

    def __str__(self) -> str:
        return f"{self.project_id}/{self.name}"


class ModelVersion(TimeStampedModel):
    """One immutable model version: a validated artifact plus its metadata and lineage."""

    model = models.ForeignKey(RegisteredModel, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    format = models.CharField(max_length=16, choices=ArtifactFormat.choices)
    #: "pytorch" | "onnx" | "sklearn" | ... (free text, informational)
    framework = models.CharField(max_length=50, blank=True, default="")
    #: content-addressed storage key ("sha256/ab/cdef...") and the artifact's hash and size
    artifact_key = models.CharField(max_length=200)
    artifact_sha256 = models.CharField(max_length=64, db_index=True)
    artifact_size = models.BigIntegerField()
    artifact_filename = models.CharField(max_length=255, blank=True, default="")
    #: True for TorchScript and torch.export programs: only workers ever load them
    code = models.BooleanField(default=False)
    #: how to rebuild a state_dict/safetensors module: a built-in recipe name
    #: (shipyard_ml.recipes) and the config it was built with
    recipe = models.CharField(max_length=100, blank=True, default="")
    recipe_config = models.JSONField(default=dict, blank=True)
    #: {"inputs": [{"name", "dtype", "shape"}], "outputs": [...], "features": [<feature names>]}
    signature = models.JSONField(default=dict, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    #: {"<slice name>": {"<metric>": value}}
    slice_metrics = models.JSONField(default=dict, blank=True)
    params = models.JSONField(default=dict, blank=True)
    tags = models.JSONField(default=dict, blank=True)
    git_commit = models.CharField(max_length=64, blank=True, default="")
    training_dataset = models.ForeignKey(
        DatasetVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="trained_model_versions"
    )
    #: {"python": "3.11.2", "packages": {"torch": "2.13.0", ...}}
    environment = models.JSONField(default=dict, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    description = models.TextField(blank=True, default="", max_length=5000)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="derived_versions"
    )
    #: id of the jobs.Job that produced it (no FK: keeps migrations free of cycles)
    produced_by_job_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    idempotency_key = models.CharField(max_length=200, blank=True, default="")
    #: the project's feature policy checked at registration: {mode, checked_at, violations: [{rule, feature, message}]}
    policy_check = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["model", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["model", "number"], name="registry_modelversion_unique_number"),
            models.UniqueConstraint(
                fields=["model", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="registry_modelversion_unique_idem",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model_id}:v{self.number}"


class Alias(TimeStampedModel):
    """A movable name (``champion``, ``candidate``, ...) pointing at exactly one version of a model."""

    model = models.ForeignKey(RegisteredModel, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=64)
    version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="aliases")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["model", "name"], name="registry_alias_unique_name")]

    def __str__(self) -> str:
        return f"{self.model_id}@{self.name}"


class AliasMove(models.Model):
    """Every alias move, append-only: who moved which alias from which version to which, and when."""

    model = models.ForeignKey(RegisteredModel, on_delete=models.CASCADE, related_name="alias_moves")
    alias_name = models.CharField(max_length=64)
    from_version = models.ForeignKey(ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    #: null when the alias was removed
    to_version = models.ForeignKey(ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    moved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    moved_at = models.DateTimeField(auto_now_add=True, db_index=True)
    reason = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ["-moved_at", "-id"]

    def __str__(self) -> str:
        return f"{self.model_id}@{self.alias_name}: {self.from_version_id} -> {self.to_version_id}"


class PolicyMode(models.TextChoices):
    BLOCK = "block", "Block: a violating version is refused (409)"
    WARN = "warn", "Warn: the version is registered and its violations recorded"


class FeaturePolicy(TimeStampedModel):
    """A project's data governance rules (rubric data-4 and data-5), checked when versions are registered.

    Patterns are shell-style globs matched case-insensitively (``ssn``, ``*_race``, ``warehouse.*``).
    """

    project = models.OneToOneField("projects.Project", on_delete=models.CASCADE, related_name="feature_policy")
    mode = models.CharField(max_length=8, choices=PolicyMode.choices, default=PolicyMode.BLOCK)
    #: feature names no dataset version or model version may carry
    forbidden_features = models.JSONField(default=list, blank=True)
    #: every feature must declare an owner (``feature_meta``)
    require_owner = models.BooleanField(default=False)
    #: when not empty, a declared owner must be one of these
    allowed_owners = models.JSONField(default=list, blank=True)
    #: when not empty, every feature must declare a source matching one of these globs
    approved_sources = models.JSONField(default=list, blank=True)
    #: a model version may not take a column declared sensitive as an input
    forbid_sensitive_inputs = models.BooleanField(default=False)
    #: the lowest role that may download a dataset version with sensitive columns (data-5)
    sensitive_min_role = models.CharField(max_length=16, default="maintainer")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"feature policy of {self.project_id}"


class DatasetDownload(models.Model):
    """The access audit (rubric data-5): every request for a dataset version's file, append-only."""

    version = models.ForeignKey(DatasetVersion, on_delete=models.CASCADE, related_name="downloads")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    #: kept when the user is deleted
    username = models.CharField(max_length=150, blank=True, default="")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    normalized = models.BooleanField(default=False)
    #: False when the role did not allow it (the file was not sent)
    granted = models.BooleanField(default=True)
    sensitive = models.BooleanField(default=False)
    byte_range = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.username} {self.version_id} {self.at:%Y-%m-%d %H:%M}"
