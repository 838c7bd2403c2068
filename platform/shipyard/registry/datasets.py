"""Writes for datasets and their versions: the file as uploaded plus a normalised Parquet copy."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max

from shipyard.core.errors import DomainConflict, DomainError
from shipyard.projects.models import Project
from shipyard.registry import blobs, policy, privacy, storage, validation, workers
from shipyard.registry.blobs import ArtifactInput
from shipyard.registry.models import Dataset, DatasetFormat, DatasetVersion


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


def _check_sensitive(value: Any, label: str) -> list[str]:
    """Sensitive feature names: a list of distinct column names (not the label), at most 20."""
    import json

    if value in (None, ""):
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip().startswith("[") else [v.strip() for v in value.split(",")]
        except ValueError:
            raise DomainError("must be a list of column names", field="sensitive_features") from None
    if not isinstance(value, list) or len(value) > 20 or not all(isinstance(v, str) and v for v in value):
        raise DomainError("must be a list of at most 20 column names", field="sensitive_features")
    for name in value:
        validation.check_path_like(name, "sensitive_features")
    if label and label in value:
        raise DomainError("the label column cannot be a sensitive feature", field="sensitive_features")
    return list(dict.fromkeys(value))


def dataset_version_sensitive_set(*, version: DatasetVersion, names: list[str]) -> DatasetVersion:
    """Mark which columns or slices of ``version`` describe groups of people (fairness reports)."""
    sensitive = _check_sensitive(names, version.label_column)
    known = {f["name"] for f in (version.schema or {}).get("features", [])} | {s["name"] for s in version.slices or []}
    missing = [n for n in sensitive if n not in known]
    if missing:
        raise DomainError(f"no column or slice '{missing[0]}' in the dataset", field="sensitive_features")
    version.sensitive_features = sensitive
    version.save(update_fields=["sensitive_features"])
    return version


#: the costs a team may declare per feature: numbers (>= 0) and the name of an upstream dependency
COST_NUMBERS = ("latency_ms", "price", "storage_bytes")
COSTS_MAX = 10000


def _check_feature_costs(costs: Any) -> dict[str, dict[str, Any]]:
    """Declared feature costs (rubric data-3): ``{feature: {latency_ms, price, storage_bytes, dependency}}``."""
    import json
    import math

    if costs in (None, ""):
        return {}
    if isinstance(costs, str):
        try:
            costs = json.loads(costs)
        except json.JSONDecodeError:
            raise DomainError("must be a JSON object of {feature: {cost: value}}", field="feature_costs") from None
    if not isinstance(costs, dict) or len(costs) > COSTS_MAX:
        raise DomainError(f"must be an object of at most {COSTS_MAX} features", field="feature_costs")
    out: dict[str, dict[str, Any]] = {}
    for feature, cost in costs.items():
        if not isinstance(cost, dict) or not cost:
            raise DomainError(f"'{feature}': must be an object of costs", field="feature_costs")
        unknown = sorted(set(cost) - {*COST_NUMBERS, "dependency"})
        if unknown:
            raise DomainError(
                f"'{feature}': unknown cost '{unknown[0]}'; known: {', '.join([*COST_NUMBERS, 'dependency'])}",
                field="feature_costs",
            )
        for key in COST_NUMBERS:
            value = cost.get(key)
            if key in cost and (
                isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0
            ):
                raise DomainError(f"'{feature}'.{key}: must be a number >= 0", field="feature_costs")
        if "dependency" in cost and (not isinstance(cost["dependency"], str) or len(cost["dependency"]) > 200):
            raise DomainError(
                f"'{feature}'.dependency: must be a string of at most 200 characters", field="feature_costs"
            )
        out[str(feature)] = dict(cost)
    return out


def _apply_feature_costs(schema: dict[str, Any], costs: dict[str, dict[str, Any]]) -> None:
    features = {f.get("name"): f for f in schema.get("features", []) if f.get("role") != "label"}
    missing = sorted(set(costs) - set(features))
    if missing:
        raise DomainError(f"'{missing[0]}' is not a feature of this dataset", field="feature_costs")
    for name, cost in costs.items():
        features[name].setdefault("cost", {})["declared"] = cost


def dataset_version_create(
    *,
    project: Project,
    dataset_name: str,
    file_or_path: ArtifactInput,
    format: str,
    label_column: str = "",
    slices: list[dict[str, str]] | None = None,
    sensitive_features: list[str] | None = None,
    description: str = "",
    tags: dict[str, Any] | None = None,
    feature_costs: dict[str, Any] | None = None,
    original_filename: str = "",
    parent: DatasetVersion | None = None,
    produced_by_job_id: int | None = None,
    idempotency_key: str = "",
    feature_meta: Any = None,
    by: Any = None,
) -> DatasetVersion:
    """Store a dataset file as-is plus a normalised Parquet copy; infer schema and statistics.

    ``feature_meta`` declares each column's owner, source and sensitivity; when it is not given,
    the dataset's latest version's declarations carry over for the columns that remain. The
    project's feature policy is checked before anything is stored (a ``block`` policy refuses a
    violating version with a 409), and a PII scan of the new version is queued on a worker.
    """
    validation.check_name(dataset_name, "dataset")
    if format not in DatasetFormat.values:
        raise DomainError(f"must be one of: {', '.join(DatasetFormat.values)}", field="format")
    if label_column:
        validation.check_path_like(label_column, "label_column")
    slices = _check_slices(slices)
    groups = _check_sensitive(sensitive_features, label_column)  # fairness groups, not personal data
    tags = validation.check_json_object(tags, "tags", strings=True)
    costs = _check_feature_costs(feature_costs)
    original_filename = validation.check_filename(original_filename or blobs.name_of(file_or_path), "file")
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
        with blobs.staged(file_or_path, "file") as (temp_path, file_blob):
            summary = workers.summarize_dataset(temp_path, format, normalized_temp, label=label_column, slices=slices)
            _apply_feature_costs(summary["schema"], costs)
            columns = [f["name"] for f in summary["schema"].get("features", [])]
            if feature_meta in (None, ""):
                meta = _inherited_meta(project, dataset_name, columns)
            else:
                meta = policy.check_feature_meta(feature_meta, columns)
            _, policy_check = policy.check_dataset(project, summary["schema"], meta)
            sensitive = {column for column, declared in meta.items() if declared.get("sensitive")}
            summary["schema"], summary["stats"] = privacy.redact_summary(summary["schema"], summary["stats"], sensitive)
            missing = [c for c in groups if c not in columns]
            if missing:
                raise DomainError(f"no column '{missing[0]}' in the dataset", field="sensitive_features")
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
                sensitive_features=groups,
                tags=tags,
                description=description,
                parent=parent,
                produced_by_job_id=produced_by_job_id,
                idempotency_key=idempotency_key,
                created_by=by,
                feature_meta=meta,
                policy_check=policy_check,
                pii_scan=dict(privacy.PENDING),
            )
            _dataset_version_evidence(dataset_version, by=by)
            policy.record_dataset_evidence(dataset_version, by=by)
            privacy.enqueue_scan(dataset_version)
            return dataset_version
    except BaseException:
        if created_file and file_blob is not None:
            blobs.release_if_orphan(file_blob.key, True)
        if created_norm and norm_blob is not None:
            blobs.release_if_orphan(norm_blob.key, True)
        raise
    finally:
        normalized_temp.unlink(missing_ok=True)


def _inherited_meta(project: Project, dataset_name: str, columns: list[str]) -> dict[str, Any]:
    latest = (
        DatasetVersion.objects.filter(dataset__project=project, dataset__name=dataset_name)
        .order_by("-number")
        .only("feature_meta")
        .first()
    )
    if latest is None:
        return {}
    return {c: m for c, m in (latest.feature_meta or {}).items() if c in set(columns)}


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
