"""Writes for the registry: models, versions, aliases, datasets.

Artifacts flow: temp file inside ARTIFACT_ROOT (hashed while written) -> validated in a child
process -> committed into content-addressed storage -> row created in one transaction. If the row
cannot be created, a blob this call created is removed again, so nothing is half-stored.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max

from shipyard.core.errors import DomainConflict, DomainError
from shipyard.projects.models import Project
from shipyard.registry import storage, validation, workers
from shipyard.registry.models import (
    Alias,
    AliasMove,
    ArtifactFormat,
    Dataset,
    DatasetFormat,
    DatasetVersion,
    ModelVersion,
    RegisteredModel,
)

ArtifactInput = Any  # an uploaded file (HashedUploadedFile), a path, or a binary file object


@contextmanager
def _staged(source: ArtifactInput, field: str) -> Iterator[tuple[Path, storage.Blob]]:
    """A temp copy of ``source`` inside ARTIFACT_ROOT plus its hash; removed afterwards unless committed."""
    from shipyard.registry.uploads import HashedUploadedFile

    if isinstance(source, HashedUploadedFile):
        yield source.temp_path, source.blob
        return
    temp = storage.new_temp_path()
    digest, size = hashlib.sha256(), 0
    opened: IO[bytes] | None = None
    try:
        if isinstance(source, (str, Path)):
            path = Path(source)
            if not path.is_file():
                raise DomainError(f"no such file: {path.name}", field=field)
            opened = reader = path.open("rb")
        elif hasattr(source, "read"):
            if hasattr(source, "seek"):
                source.seek(0)
            reader = source
        else:
            raise DomainError("must be a file", field=field)
        with temp.open("wb") as out:
            while chunk := reader.read(storage.CHUNK):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
        sha = digest.hexdigest()
        yield temp, storage.Blob(key=storage.key_for(sha), sha256=sha, size=size)
    finally:
        if opened is not None:
            opened.close()
        temp.unlink(missing_ok=True)


def _release_if_orphan(key: str, created: bool) -> None:
    if not created:
        return
    referenced = (
        ModelVersion.objects.filter(artifact_key=key).exists()
        or DatasetVersion.objects.filter(file_key=key).exists()
        or DatasetVersion.objects.filter(normalized_key=key).exists()
    )
    if not referenced:
        storage.store().delete(key)


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

    With an ``idempotency_key``, a second call with the same key returns the first version
    (a redelivered job never registers twice). Creates the model when it does not exist yet.
    """
    validation.check_name(model_name, "model")
    if format not in ArtifactFormat.values:
        raise DomainError(f"must be one of: {', '.join(ArtifactFormat.values)}", field="format")
    if len(idempotency_key) > 200:
        raise DomainError("must be at most 200 characters", field="idempotency_key")
    artifact_filename = validation.check_filename(artifact_filename or _name_of(artifact_file_or_path), "artifact")
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

    with _staged(artifact_file_or_path, "artifact") as (temp_path, blob):
        report = workers.validate_artifact(temp_path, format)
        if not signature and report.get("signature"):
            signature = report["signature"]
        if training_dataset is not None:
            validation.check_signature_matches_schema(signature, training_dataset.schema, "signature")
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
            )
            _model_version_evidence(version, by=by)
            return version
    except BaseException:
        _release_if_orphan(blob.key, created)
        raise


def _name_of(source: Any) -> str:
    if isinstance(source, (str, Path)):
        return Path(source).name
    return Path(str(getattr(source, "name", "") or "")).name


def _by_idempotency_key(project: Project, model_name: str, key: str) -> ModelVersion | None:
    return (
        ModelVersion.objects.select_related("model")
        .filter(model__project=project, model__name=model_name, idempotency_key=key)
        .first()
    )


@transaction.atomic
def alias_set(
    *,
    version: ModelVersion,
    name: str,
    by: Any = None,
    expected_version: int | None = None,
    reason: str = "",
) -> Alias:
    """Point alias ``name`` of the version's model at ``version``; every move is recorded.

    Moves of one model's aliases are serialised on the model row, so an alias points at exactly one
    version at any time. ``expected_version`` makes the move conditional (compare-and-set): when the
    alias currently points elsewhere, 409 and nothing changes.
    """
    validation.check_alias(name, "alias")
    RegisteredModel.objects.select_for_update().filter(pk=version.model_id).first()
    alias = Alias.objects.filter(model_id=version.model_id, name=name).first()
    current = alias.version.number if alias else None
    if expected_version is not None and current != expected_version:
        raise DomainConflict(
            f"alias '{name}' points at version {current}, not {expected_version}; reload and retry",
            field="expected_version",
        )
    if alias is not None and alias.version_id == version.pk:
        return alias
    from_version = alias.version if alias else None
    if alias is None:
        alias = Alias.objects.create(model_id=version.model_id, name=name, version=version, updated_by=by)
    else:
        alias.version = version
        alias.updated_by = by
        alias.save(update_fields=["version", "updated_by", "updated_at"])
    AliasMove.objects.create(
        model_id=version.model_id,
        alias_name=name,
        from_version=from_version,
        to_version=version,
        moved_by=by,
        reason=reason[:300],
    )
    return alias


@transaction.atomic
def alias_delete(*, model: RegisteredModel, name: str, by: Any = None) -> None:
    RegisteredModel.objects.select_for_update().filter(pk=model.pk).first()
    alias = Alias.objects.filter(model=model, name=name).first()
    if alias is None:
        raise DomainError(f"Model '{model.name}' has no alias '{name}'.", field="alias", code="not_found")
    AliasMove.objects.create(model=model, alias_name=name, from_version=alias.version, to_version=None, moved_by=by)
    alias.delete()


@transaction.atomic
def dataset_create(*, project: Project, name: str, description: str = "", by: Any = None) -> Dataset:
    validation.check_name(name, "name")
    if Dataset.objects.filter(project=project, name=name).exists():
        raise DomainConflict(f"A dataset named '{name}' already exists in this project.", field="name")
    try:
        with transaction.atomic():
            return Dataset.objects.create(project=project, name=name, description=description, created_by=by)
    except IntegrityError:
        raise DomainConflict(f"A dataset named '{name}' already exists in this project.", field="name") from None


def _check_slices(slices: Any) -> list[dict[str, str]]:
    from shipyard_ml.slices import SliceError, parse_slice

    if slices in (None, ""):
        return []
    if isinstance(slices, str):
        import json

        try:
            slices = json.loads(slices)
        except json.JSONDecodeError:
            raise DomainError("must be a JSON list of {name, filter}", field="slices") from None
    if not isinstance(slices, list) or len(slices) > 100:
        raise DomainError("must be a list of at most 100 {name, filter} objects", field="slices")
    out, names = [], set()
    for item in slices:
        if not isinstance(item, dict) or set(item) - {"name", "filter"}:
            raise DomainError("each slice is {name, filter}", field="slices")
        name = validation.check_name(item.get("name"), "slices")
        if name in names:
            raise DomainError(f"slice '{name}' is defined twice", field="slices")
        names.add(name)
        try:
            parse_slice(item.get("filter", ""))
        except SliceError as exc:
            raise DomainError(f"slice '{name}': {exc}", field="slices") from None
        out.append({"name": name, "filter": item["filter"]})
    return out


def dataset_version_create(
    *,
    project: Project,
    dataset_name: str,
    file_or_path: ArtifactInput,
    format: str,
    label_column: str = "",
    slices: list[dict[str, str]] | None = None,
    description: str = "",
    tags: dict[str, Any] | None = None,
    original_filename: str = "",
    parent: DatasetVersion | None = None,
    produced_by_job_id: int | None = None,
    idempotency_key: str = "",
    by: Any = None,
) -> DatasetVersion:
    """Store a dataset file as-is plus a normalised Parquet copy; infer schema and statistics."""
    validation.check_name(dataset_name, "dataset")
    if format not in DatasetFormat.values:
        raise DomainError(f"must be one of: {', '.join(DatasetFormat.values)}", field="format")
    if label_column:
        validation.check_path_like(label_column, "label_column")
    slices = _check_slices(slices)
    tags = validation.check_json_object(tags, "tags", strings=True)
    original_filename = validation.check_filename(original_filename or _name_of(file_or_path), "file")
    if parent is not None and parent.dataset.project_id != project.pk:
        raise DomainError("the parent version belongs to another project", field="parent")
    if idempotency_key:
        existing = DatasetVersion.objects.filter(
            dataset__project=project, dataset__name=dataset_name, idempotency_key=idempotency_key
        ).first()
        if existing is not None:
            return existing

    normalized_temp = storage.new_temp_path(".parquet")
    created_file = created_norm = False
    file_blob: storage.Blob | None = None
    norm_blob: storage.Blob | None = None
    try:
        with _staged(file_or_path, "file") as (temp_path, file_blob):
            summary = workers.summarize_dataset(temp_path, format, normalized_temp, label=label_column, slices=slices)
            norm_blob = storage.hash_file(normalized_temp)
            created_file = storage.store().commit(temp_path, file_blob)
            created_norm = storage.store().commit(normalized_temp, norm_blob)
        with transaction.atomic():
            dataset = Dataset.objects.select_for_update().filter(project=project, name=dataset_name).first()
            if dataset is None:
                try:
                    with transaction.atomic():
                        Dataset.objects.create(project=project, name=dataset_name, created_by=by)
                except IntegrityError:
                    pass
                dataset = Dataset.objects.select_for_update().get(project=project, name=dataset_name)
            if idempotency_key:
                existing = DatasetVersion.objects.filter(dataset=dataset, idempotency_key=idempotency_key).first()
                if existing is not None:
                    return existing
            number = (DatasetVersion.objects.filter(dataset=dataset).aggregate(n=Max("number"))["n"] or 0) + 1
            for item in slices:
                item_rows = summary.get("slice_rows", {}).get(item["name"])
                if item_rows is not None:
                    item["rows"] = item_rows
            dataset_version = DatasetVersion.objects.create(
                dataset=dataset,
                number=number,
                format=format,
                file_key=file_blob.key,
                sha256=file_blob.sha256,
                size_bytes=file_blob.size,
                original_filename=original_filename,
                normalized_key=norm_blob.key,
                row_count=summary["row_count"],
                schema=summary["schema"],
                stats=summary["stats"],
                label_column=label_column,
                slices=slices,
                tags=tags,
                description=description,
                parent=parent,
                produced_by_job_id=produced_by_job_id,
                idempotency_key=idempotency_key,
                created_by=by,
            )
            _dataset_version_evidence(dataset_version, by=by)
            return dataset_version
    except BaseException:
        if created_file and file_blob is not None:
            _release_if_orphan(file_blob.key, True)
        if created_norm and norm_blob is not None:
            _release_if_orphan(norm_blob.key, True)
        raise
    finally:
        normalized_temp.unlink(missing_ok=True)


#: what a trained version must record for model-1 evidence (the spec that produced it is known)
PROVENANCE_FIELDS = ("git_commit", "training_dataset", "environment")


def _dataset_version_evidence(version: DatasetVersion, *, by: Any) -> None:
    """data-1: the version's feature expectations were captured in a schema (inferred on upload).

    Keyed per dataset, so the latest version's observation supersedes the earlier ones.
    """
    from shipyard.rubric.services import evidence_record

    features = [f for f in (version.schema or {}).get("features", []) if f.get("role") != "label"]
    if not features:
        return
    dataset = version.dataset
    evidence_record(
        project=dataset.project,
        test_id="data-1",
        source="registry",
        passed=True,
        title=f"Schema captured for dataset {dataset.name} v{version.number} ({len(features)} features)",
        link=f"/projects/{dataset.project.slug}/datasets/{dataset.name}",
        key=f"dataset:{dataset.name}",
        detail={
            "dataset": dataset.name,
            "dataset_version": version.number,
            "dataset_version_id": version.pk,
            "features": len(features),
            "rows": version.row_count,
        },
        by=by,
    )


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


def _referenced_keys(keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), 1000):
        chunk = keys[start : start + 1000]
        found |= set(ModelVersion.objects.filter(artifact_key__in=chunk).values_list("artifact_key", flat=True))
        found |= set(DatasetVersion.objects.filter(file_key__in=chunk).values_list("file_key", flat=True))
        found |= set(DatasetVersion.objects.filter(normalized_key__in=chunk).values_list("normalized_key", flat=True))
    return found


def _older_than(path: Path, cutoff: float) -> bool:
    try:
        return path.stat().st_mtime < cutoff
    except FileNotFoundError:
        return False


def orphan_blobs_delete(*, grace_s: float | None = None, now: float | None = None) -> dict[str, int]:
    """Remove committed local blobs no row references, and abandoned upload temp files.

    Such blobs are left by a crash between storage commit and row insert (or a caller's rolled-back
    transaction). Only files untouched for ``grace_s`` seconds (default REGISTRY_ORPHAN_GRACE_S,
    24 h) are candidates, so an upload in flight is never hit: its temp file is being written, a
    blob it commits is new, and committing content that already exists refreshes the blob's
    mtime (``LocalStore.commit``). Each candidate is checked against the database and re-stat'ed
    right before it is removed. S3 blobs are left alone (use a bucket lifecycle rule).
    """
    from django.conf import settings

    grace = float(settings.REGISTRY_ORPHAN_GRACE_S if grace_s is None else grace_s)
    cutoff = (time.time() if now is None else now) - grace
    removed = {"blobs": 0, "temp_files": 0}
    store = storage.store()
    if isinstance(store, storage.LocalStore) and (store.root / "sha256").is_dir():
        candidates = {
            f"sha256/{path.parent.name}/{path.name}": path
            for path in (store.root / "sha256").glob("*/*")
            if _older_than(path, cutoff)
        }
        referenced = _referenced_keys(sorted(candidates))
        for key, path in candidates.items():
            if key in referenced or not _older_than(path, cutoff) or _referenced_keys([key]):
                continue
            path.unlink(missing_ok=True)
            removed["blobs"] += 1
    temp = Path(settings.ARTIFACT_ROOT) / "tmp"
    if temp.is_dir():
        for path in temp.glob("upload-*"):
            if _older_than(path, cutoff):
                path.unlink(missing_ok=True)
                removed["temp_files"] += 1
    return removed
