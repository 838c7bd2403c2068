"""Writes for registered models and their versions (artifacts validated, then stored, then recorded)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max

from shipyard.core.errors import DomainConflict, DomainError
from shipyard.projects.models import Project
from shipyard.registry import blobs, policy, storage, validation, workers
from shipyard.registry.blobs import ArtifactInput
from shipyard.registry.models import UPLOAD_FORMATS, ArtifactFormat, DatasetVersion, ModelVersion, RegisteredModel

#: formats that hold weights only: a built-in recipe rebuilds their module
WEIGHTS_FORMATS = (ArtifactFormat.STATE_DICT, ArtifactFormat.SAFETENSORS)


def _lock_or_create_model(*, project: Project, name: str, by: Any, create: bool) -> RegisteredModel:
    """The model row, locked FOR UPDATE (serialises version numbering and alias moves)."""
    model = RegisteredModel.objects.select_for_update().filter(project=project, name=name).first()
    if model is not None:
        return model
    if not create:
        raise DomainError(f"No model '{name}' in this project.", field="model", code="not_found")
    try:
        with transaction.atomic():
            RegisteredModel.objects.create(project=project, name=name, created_by=by)
    except IntegrityError:
        pass  # created concurrently; lock the winner's row
    return RegisteredModel.objects.select_for_update().get(project=project, name=name)


@transaction.atomic
def model_create(*, project: Project, name: str, description: str = "", by: Any = None) -> RegisteredModel:
    validation.check_name(name, "name")
    if RegisteredModel.objects.filter(project=project, name=name).exists():
        raise DomainConflict(f"A model named '{name}' already exists in this project.", field="name")
    try:
        with transaction.atomic():
            return RegisteredModel.objects.create(project=project, name=name, description=description, created_by=by)
    except IntegrityError:
        raise DomainConflict(f"A model named '{name}' already exists in this project.", field="name") from None


@transaction.atomic
def model_update(
    *, model: RegisteredModel, description: str | None = None, tags: dict[str, Any] | None = None
) -> RegisteredModel:
    if description is not None:
        model.description = description
    if tags is not None:
        model.tags = validation.check_json_object(tags, "tags", strings=True)
    model.save(update_fields=["description", "tags", "updated_at"])
    return model


def model_version_create(
    *,
    project: Project,
    model_name: str,
    artifact_file_or_path: ArtifactInput,
    format: str,
    framework: str = "",
    signature: dict[str, Any] | None = None,
    metrics: dict[str, Any] | None = None,
    slice_metrics: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
    tags: dict[str, Any] | None = None,
    git_commit: str = "",
    training_dataset: DatasetVersion | None = None,
    environment: dict[str, Any] | None = None,
    description: str = "",
    recipe: str = "",
    recipe_config: dict[str, Any] | None = None,
    artifact_filename: str = "",
    parent: ModelVersion | None = None,
    produced_by_job_id: int | None = None,
    idempotency_key: str = "",
    create_model: bool = True,
    by: Any = None,
) -> ModelVersion:
    """Validate and store an artifact, then register it as the model's next version.

    A ``state_dict`` or ``safetensors`` artifact registered with a built-in ``recipe`` must load
    into that recipe's architecture built with ``recipe_config``; otherwise it is refused (naming
    ``recipe``) and nothing is stored.

    With an ``idempotency_key``, a second call with the same key returns the first version
    (a redelivered job never registers twice). Creates the model when it does not exist yet.
    """
    validation.check_name(model_name, "model")
    if format not in ArtifactFormat.values or format == ArtifactFormat.ENSEMBLE:
        allowed = [value for value, _ in UPLOAD_FORMATS]
        raise DomainError(f"must be one of: {', '.join(allowed)}", field="format")
    if len(idempotency_key) > 200:
        raise DomainError("must be at most 200 characters", field="idempotency_key")
    artifact_filename = validation.check_filename(artifact_filename or blobs.name_of(artifact_file_or_path), "artifact")
    signature = validation.check_signature(signature, "signature")
    metrics = validation.check_json_object(metrics, "metrics", numbers=True)
    slice_metrics = validation.check_slice_metrics(slice_metrics, "slice_metrics")
    params = validation.check_json_object(params, "params")
    tags = validation.check_json_object(tags, "tags", strings=True)
    environment = validation.check_json_object(environment, "environment")
    recipe_config = validation.check_json_object(recipe_config, "recipe_config")
    git_commit = validation.check_git_commit(git_commit or "", "git_commit")
    if recipe:
        validation.check_recipe(recipe, "recipe", allowlist=settings.SHIPYARD_RECIPE_ALLOWLIST)
    if training_dataset is not None and training_dataset.dataset.project_id != project.pk:
        raise DomainError("the training dataset belongs to another project", field="training_dataset")
    if parent is not None and parent.model.project_id != project.pk:
        raise DomainError("the parent version belongs to another project", field="parent")

    if idempotency_key:
        existing = _by_idempotency_key(project, model_name, idempotency_key)
        if existing is not None:
            return existing

    # weights-only versions of a built-in recipe must load into that recipe's architecture
    fit_recipe = recipe if format in WEIGHTS_FORMATS and recipe in validation.BUILTIN_RECIPES else ""
    with blobs.staged(artifact_file_or_path, "artifact") as (temp_path, blob):
        report = workers.validate_artifact(temp_path, format, recipe=fit_recipe, recipe_config=recipe_config)
        if not signature and report.get("signature"):
            signature = report["signature"]
        if training_dataset is not None:
            validation.check_signature_matches_schema(signature, training_dataset.schema, "signature")
        _, policy_check = policy.check_model(project, signature, training_dataset, parent)
        created = storage.store().commit(temp_path, blob)
    try:
        with transaction.atomic():
            model = _lock_or_create_model(project=project, name=model_name, by=by, create=create_model)
            if idempotency_key:
                existing = ModelVersion.objects.filter(model=model, idempotency_key=idempotency_key).first()
                if existing is not None:
                    return existing
            number = (ModelVersion.objects.filter(model=model).aggregate(n=Max("number"))["n"] or 0) + 1
            version = ModelVersion.objects.create(
                model=model,
                number=number,
                format=format,
                framework=framework or report.get("framework", ""),
                artifact_key=blob.key,
                artifact_sha256=blob.sha256,
                artifact_size=blob.size,
                artifact_filename=artifact_filename,
                code=bool(report.get("code")) or format in (ArtifactFormat.TORCHSCRIPT, ArtifactFormat.TORCH_EXPORT),
                recipe=recipe,
                recipe_config=recipe_config,
                signature=signature,
                metrics=metrics,
                slice_metrics=slice_metrics,
                params=params,
                tags=tags,
                git_commit=git_commit,
                training_dataset=training_dataset,
                environment=environment,
                author=by,
                description=description,
                parent=parent,
                produced_by_job_id=produced_by_job_id,
                idempotency_key=idempotency_key,
                policy_check=policy_check,
            )
            _model_version_evidence(version, by=by)
            policy.record_model_evidence(version, by=by)
            return version
    except BaseException:
        blobs.release_if_orphan(blob.key, created)
        raise


def _by_idempotency_key(project: Project, model_name: str, key: str) -> ModelVersion | None:
    return (
        ModelVersion.objects.select_related("model")
        .filter(model__project=project, model__name=model_name, idempotency_key=key)
        .first()
    )


#: what a trained version must record for model-1 evidence (the spec that produced it is known)
PROVENANCE_FIELDS = ("git_commit", "training_dataset", "environment")


def _model_version_evidence(version: ModelVersion, *, by: Any) -> None:
    """model-1: a trained version records the commit, data and environment that produced it.

    Versions a job produced (exports, quantisation, ...) record nothing: the job is their
    provenance. Any other version passes when all of PROVENANCE_FIELDS are recorded and fails
    (naming what is missing) otherwise. Keyed per model, so the latest version supersedes.
    """
    from shipyard.rubric.services import evidence_record

    if version.produced_by_job_id is not None:
        return
    model = version.model
    missing = [name for name in PROVENANCE_FIELDS if not getattr(version, name)]
    recorded = "commit, training data and environment recorded"
    evidence_record(
        project=model.project,
        test_id="model-1",
        source="registry",
        passed=not missing,
        title=(
            f"{model.name} v{version.number}: {recorded}"
            if not missing
            else f"{model.name} v{version.number} registered without {', '.join(m.replace('_', ' ') for m in missing)}"
        ),
        link=f"/projects/{model.project.slug}/models/{model.name}/versions/{version.number}",
        key=f"model:{model.name}",
        detail={
            "model": model.name,
            "version": version.number,
            "model_version_id": version.pk,
            "git_commit": version.git_commit,
            "training_dataset_version_id": version.training_dataset_id,
            "missing": missing,
        },
        by=by,
    )
