"""Ensembles: a model version that combines other versions of the same model.

An ensemble is registered as a version of format ``ensemble`` (a small JSON manifest stored like
any artifact), so everything that applies to a version applies to it as one unit: deploy, canary,
promote, rollback, the quality gate (on the metrics it is registered with), bandit arms. The
serving worker runs each member once on the whole batch and combines their outputs
(``shipyard_ml.ensemble``: mean of probabilities, weighted mean, or majority vote).
"""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction
from django.db.models import Max

from shipyard.core.errors import DomainError
from shipyard.registry import storage
from shipyard.registry.models import ArtifactFormat, ModelVersion, RegisteredModel
from shipyard.serving.lifecycle import _check_version

COMBINE = ("mean", "weighted", "vote")
MAX_MEMBERS = 8


def ensemble_definition(version: Any) -> dict[str, Any] | None:
    """``{"combine", "weights", "members": [version ids]}`` of an ensemble version, else None."""
    if version.format != ArtifactFormat.ENSEMBLE:
        return None
    return dict((version.params or {}).get("ensemble") or {})


def _signature_of(version: ModelVersion) -> str:
    from shipyard.serving.selectors import _version_route

    route = _version_route(version)
    features = [(f.name, f.kind, f.minimum, f.maximum, f.nullable) for f in route.schema.features]
    return json.dumps(
        {
            "inputs": (version.signature or {}).get("inputs"),
            "outputs": (version.signature or {}).get("outputs"),
            "width": route.schema.width,
            "features": features,
        },
        sort_keys=True,
        default=str,
    )


def ensemble_version_create(
    *,
    model: RegisteredModel,
    members: list[ModelVersion],
    combine: str,
    weights: list[float] | None = None,
    metrics: dict[str, float] | None = None,
    description: str = "",
    by: Any = None,
) -> ModelVersion:
    """Register the ensemble of ``members`` as the model's next version. 400s name ``members``
    (fewer than two, repeated, of another model, not servable, an ensemble, different
    signatures), ``combine`` or ``weights``."""
    if len(members) < 2:
        raise DomainError("An ensemble needs two versions or more.", field="members")
    if len(members) > MAX_MEMBERS:
        raise DomainError(f"An ensemble has at most {MAX_MEMBERS} members.", field="members")
    if len({m.pk for m in members}) != len(members):
        raise DomainError("Each version may be a member once.", field="members")
    if combine not in COMBINE:
        raise DomainError(f"Choose one of {', '.join(COMBINE)}.", field="combine")
    if combine == "weighted":
        if weights is None or len(weights) != len(members):
            raise DomainError("Give one weight per member.", field="weights")
        if any(w < 0 for w in weights) or sum(weights) <= 0:
            raise DomainError("Weights must be non-negative and not all zero.", field="weights")
    elif weights:
        raise DomainError("Weights apply to the weighted combination only.", field="weights")
    for member in members:
        if member.format == ArtifactFormat.ENSEMBLE:
            raise DomainError(f"Version {member.number} is itself an ensemble.", field="members")
        try:
            _check_version(model, member)
        except DomainError as exc:
            raise DomainError(exc.message, field="members") from None
    first = _signature_of(members[0])
    for member in members[1:]:
        if _signature_of(member) != first:
            raise DomainError(
                f"Version {member.number} has another signature than version {members[0].number}: "
                "an ensemble's members must take the same inputs and give the same outputs.",
                field="members",
            )
    if metrics is not None and not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in metrics.values()
    ):
        raise DomainError("Metrics must be numbers.", field="metrics")
    definition = {"combine": combine, "weights": weights, "members": [m.pk for m in members]}
    manifest = json.dumps(
        {
            **definition,
            "member_versions": [{"number": m.number, "sha256": m.artifact_sha256, "format": m.format} for m in members],
        },
        sort_keys=True,
    ).encode()
    temp = storage.new_temp_path(".json")
    temp.write_bytes(manifest)
    blob = storage.hash_file(temp)
    storage.store().commit(temp, blob)
    with transaction.atomic():
        locked = RegisteredModel.objects.select_for_update().get(pk=model.pk)
        number = (ModelVersion.objects.filter(model=locked).aggregate(n=Max("number"))["n"] or 0) + 1
        numbers = " + ".join(f"v{m.number}" for m in members)
        return ModelVersion.objects.create(
            model=locked,
            number=number,
            format=ArtifactFormat.ENSEMBLE,
            framework="ensemble",
            artifact_key=blob.key,
            artifact_sha256=blob.sha256,
            artifact_size=blob.size,
            artifact_filename="ensemble.json",
            signature=dict(members[0].signature or {}),
            metrics=metrics or {},
            params={"ensemble": definition},
            training_dataset=members[0].training_dataset,
            author=by if getattr(by, "is_authenticated", False) else None,
            description=description or f"Ensemble ({combine}) of {numbers}",
        )
