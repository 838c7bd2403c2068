"""Reads for the registry. Callers pass a Project they already scoped (``projects.selectors.project_get``)."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from django.db.models import QuerySet
from rest_framework.exceptions import NotFound

from shipyard.projects.models import Project
from shipyard.registry import storage
from shipyard.registry.models import Alias, AliasMove, Dataset, DatasetVersion, ModelVersion, RegisteredModel


def _project(project: Project | str) -> Project:
    if isinstance(project, Project):
        return project
    found = Project.objects.filter(slug=project).first()
    if found is None:
        raise NotFound(f"No project '{project}'.")
    return found


def models_list(*, project: Project) -> QuerySet[RegisteredModel]:
    return RegisteredModel.objects.filter(project=project).order_by("name")


def model_get(*, project: Project | str, name: str) -> RegisteredModel:
    model = RegisteredModel.objects.filter(project=_project(project), name=name).first()
    if model is None:
        raise NotFound(f"No model '{name}'.")
    return model


def model_versions(*, model: RegisteredModel) -> QuerySet[ModelVersion]:
    return (
        ModelVersion.objects.filter(model=model)
        .select_related("training_dataset__dataset", "author", "parent")
        .order_by("-number")
    )


def model_version_get(*, project: Project | str, model_name: str, number: int) -> ModelVersion:
    version = (
        ModelVersion.objects.select_related("model__project", "training_dataset__dataset", "author", "parent__model")
        .filter(model__project=_project(project), model__name=model_name, number=number)
        .first()
    )
    if version is None:
        raise NotFound(f"No version {number} of model '{model_name}'.")
    return version


def aliases_of(*, model: RegisteredModel) -> QuerySet[Alias]:
    return Alias.objects.filter(model=model).select_related("version", "updated_by").order_by("name")


def alias_moves_of(*, model: RegisteredModel) -> QuerySet[AliasMove]:
    return AliasMove.objects.filter(model=model).select_related("from_version", "to_version", "moved_by")


def datasets_list(*, project: Project) -> QuerySet[Dataset]:
    return Dataset.objects.filter(project=project).order_by("name")


def dataset_get(*, project: Project | str, name: str) -> Dataset:
    dataset = Dataset.objects.filter(project=_project(project), name=name).first()
    if dataset is None:
        raise NotFound(f"No dataset '{name}'.")
    return dataset


def dataset_version_get(*, project: Project | str, dataset_name: str, number: int) -> DatasetVersion:
    version = (
        DatasetVersion.objects.select_related("dataset__project", "created_by")
        .filter(dataset__project=_project(project), dataset__name=dataset_name, number=number)
        .first()
    )
    if version is None:
        raise NotFound(f"No version {number} of dataset '{dataset_name}'.")
    return version


def dataset_version_latest(*, project: Project | str, dataset_name: str) -> DatasetVersion:
    version = (
        DatasetVersion.objects.filter(dataset__project=_project(project), dataset__name=dataset_name)
        .order_by("-number")
        .first()
    )
    if version is None:
        raise NotFound(f"Dataset '{dataset_name}' has no versions.")
    return version


def artifact_path(version: ModelVersion) -> Path:
    """A local filesystem path of the version's artifact (for workers; S3 downloads into a cache)."""
    return storage.store().local_path(version.artifact_key)


def dataset_path(version: DatasetVersion, *, normalized: bool = True) -> Path:
    """A local path of a dataset version: the normalised Parquet copy (default) or the uploaded file."""
    key = version.normalized_key if normalized and version.normalized_key else version.file_key
    return storage.store().local_path(key)


def lineage(*, version: ModelVersion) -> dict[str, Any]:
    """Nodes and edges: training dataset -> ancestors -> this version -> derived versions."""
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    seen: set[str] = set()

    def version_node(v: ModelVersion) -> str:
        node_id = f"model:{v.pk}"
        if node_id not in seen:
            seen.add(node_id)
            nodes.append(
                {
                    "id": node_id,
                    "kind": "model_version",
                    "model": v.model.name,
                    "number": v.number,
                    "format": v.format,
                    "current": v.pk == version.pk,
                    "produced_by_job_id": v.produced_by_job_id,
                }
            )
            if v.training_dataset_id:
                ds = v.training_dataset
                assert ds is not None
                ds_id = f"dataset:{ds.pk}"
                if ds_id not in seen:
                    seen.add(ds_id)
                    nodes.append(
                        {"id": ds_id, "kind": "dataset_version", "dataset": ds.dataset.name, "number": ds.number}
                    )
                edges.append({"from": ds_id, "to": node_id, "kind": "trained_on"})
        return node_id

    chain: list[ModelVersion] = []
    current: ModelVersion | None = version
    while current is not None and len(chain) < 20:
        chain.append(current)
        current = current.parent
    for child, parent in itertools.pairwise(chain):
        edges.append({"from": version_node(parent), "to": version_node(child), "kind": "derived"})
    version_node(version)
    frontier = [version]
    depth = 0
    while frontier and depth < 5:
        nxt = []
        for v in frontier:
            for child in v.derived_versions.select_related("model", "training_dataset__dataset").order_by("pk")[:50]:
                edges.append(
                    {
                        "from": version_node(v),
                        "to": version_node(child),
                        "kind": "derived",
                        "job": child.produced_by_job_id,
                    }
                )
                nxt.append(child)
        frontier, depth = nxt, depth + 1
    return {"nodes": nodes, "edges": edges}
