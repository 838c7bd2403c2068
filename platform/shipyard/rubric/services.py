"""Writes for the rubric app."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from shipyard.core.errors import DomainError
from shipyard.rubric.ids import RUBRIC_TEST_IDS
from shipyard.rubric.models import Evidence, EvidenceSource


@transaction.atomic
def evidence_record(
    *,
    project: Any,
    test_id: str,
    source: str,
    passed: bool,
    title: str,
    link: str = "",
    key: str = "",
    detail: dict[str, Any] | None = None,
    observed_at: datetime | None = None,
    by: Any = None,
) -> Evidence:
    """Record one observation for a rubric test. Every capability calls this; nothing else writes Evidence."""
    if test_id not in RUBRIC_TEST_IDS:
        raise DomainError(f"Unknown rubric test id '{test_id}'.", field="test_id")
    if source not in EvidenceSource.values:
        raise DomainError(f"Unknown evidence source '{source}'.", field="source")
    return Evidence.objects.create(
        project=project,
        test_id=test_id,
        source=source,
        key=key[:300],
        passed=bool(passed),
        title=title[:300],
        link=link[:1000],
        detail=detail or {},
        observed_at=observed_at or timezone.now(),
        recorded_by=by,
    )
