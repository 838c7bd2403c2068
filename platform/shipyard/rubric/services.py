"""Writes for the rubric app."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from shipyard.core.errors import DomainConflict, DomainError
from shipyard.rubric import scoring
from shipyard.rubric.ids import RUBRIC_TEST_IDS
from shipyard.rubric.models import Assessment, Evidence, EvidenceSource


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


#: the longest note a team may write for one test
NOTE_MAX_CHARS = 2000
#: at most this many evidence links per test
LINKS_MAX = 10
LINK_MAX_CHARS = 1000


def normalise_answers(answers: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A complete snapshot: every rubric test present; unanswered tests are ``none`` with no note.

    ``answers`` is already validated (see rubric.api.serializers.validate_answers).
    """
    complete: dict[str, dict[str, Any]] = {}
    for tid in RUBRIC_TEST_IDS:
        given = answers.get(tid) or {}
        complete[tid] = {
            "status": given.get("status", "none"),
            "note": given.get("note", ""),
            "links": list(given.get("links", [])),
        }
    return complete


#: saves by one author with no pause longer than this form one editing session (one snapshot)
EDIT_SESSION_GAP = timedelta(minutes=10)


def _continues_session(latest: Assessment, *, by: Any, at: datetime) -> bool:
    """Whether a save on top of ``latest`` continues the editing session that wrote it."""
    author = by.pk if by is not None else None
    return (
        author is not None
        and latest.created_by_id == author
        and timedelta(0) <= at - latest.created_at <= EDIT_SESSION_GAP
    )


@transaction.atomic
def assessment_create(
    *, project: Any, answers: dict[str, Any], base_id: int | None, by: Any, at: datetime | None = None
) -> tuple[Assessment, bool]:
    """Save a new immutable snapshot of the project's answers.

    ``base_id`` is the snapshot the author started from; if another snapshot was saved since,
    this raises DomainConflict (409) and writes nothing, so no one's edits are lost silently.
    The project row is locked, so two concurrent saves on the same base cannot both succeed.
    Saving answers identical to the latest snapshot creates nothing and returns it
    (``created`` is False), so an autosave that changed nothing leaves no history entry.

    One editing session is one snapshot: when the latest snapshot is the author's own and was
    saved less than EDIT_SESSION_GAP ago, the new snapshot replaces it (same base, a new id, so a
    stale editor in another tab still gets a conflict). A session that ends where it started
    leaves no snapshot.
    """
    from shipyard.projects.models import Project
    from shipyard.rubric.selectors import rubric_current

    Project.objects.select_for_update().only("pk").get(pk=project.pk)
    latest = Assessment.objects.filter(project=project).order_by("-created_at", "-id").first()
    latest_id = latest.pk if latest else None
    if base_id != latest_id:
        raise DomainConflict(
            f"The assessment was changed since you loaded it (latest is {latest_id}, you edited {base_id}). "
            "Reload, then apply your changes again.",
            field="base",
        )
    complete = normalise_answers(answers)
    if latest is not None and latest.answers == complete:
        return latest, False
    now = at or timezone.now()
    if latest is not None and _continues_session(latest, by=by, at=now):
        folded, latest = latest, latest.base
        folded.delete()
        if latest is not None and latest.answers == complete:
            return latest, False
    result = scoring.score({tid: a["status"] for tid, a in complete.items()})
    assessment = Assessment.objects.create(
        project=project,
        rubric=rubric_current(),
        base=latest,
        answers=complete,
        score_data=result.sections["data"],
        score_model=result.sections["model"],
        score_infra=result.sections["infra"],
        score_monitor=result.sections["monitor"],
        score_final=result.final,
        created_by=by,
        created_at=now,
    )
    return assessment, True
