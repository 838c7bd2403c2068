"""Writes for aliases: moving a model's named pointer (champion, canary, ...) and recording each move."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from shipyard.core.errors import DomainConflict, DomainError
from shipyard.registry import validation
from shipyard.registry.models import Alias, AliasMove, ModelVersion, RegisteredModel


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
