"""Reads for the rubric app: the rubric text, assessments, evidence, scores and the team view."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from shipyard.rubric import scoring
from shipyard.rubric.ids import RUBRIC_TEST_IDS, SECTIONS
from shipyard.rubric.models import Assessment, Evidence, Rubric, RubricSection, RubricTest

#: how many evidence records the score shows per test (the newest per observed thing)
EVIDENCE_PER_TEST = 5


def rubric_current() -> Rubric:
    """The newest rubric version. Loaded by migration 0003; reloaded from the data file if a
    test database flush (transactional tests) removed it."""
    rubric = Rubric.objects.order_by("-version").first()
    if rubric is None:
        from shipyard.rubric.loader import load_rubric

        rubric = load_rubric(Rubric, RubricSection, RubricTest)
    return rubric


def band_dict(band: scoring.Band) -> dict[str, Any]:
    return {"id": band.id, "label": band.label, "text": band.text, "lower": band.lower, "upper": band.upper}


def rubric_document(rubric: Rubric | None = None) -> dict[str, Any]:
    rubric = rubric or rubric_current()
    sections = RubricSection.objects.filter(rubric=rubric).prefetch_related("tests").order_by("position")
    return {
        "version": rubric.version,
        "title": rubric.title,
        "citation": rubric.citation,
        "statuses": [
            {"id": "none", "label": "Not done", "points": 0.0},
            {"id": "manual", "label": "Manual", "points": 0.5},
            {"id": "automated", "label": "Automated", "points": 1.0},
        ],
        "bands": [band_dict(b) for b in scoring.BANDS],
        "sections": [
            {
                "id": section.key,
                "title": section.title,
                "tests": [
                    {"id": t.test_id, "title": t.title, "guidance": t.guidance}
                    for t in sorted(section.tests.all(), key=lambda t: t.position)
                ],
            }
            for section in sections
        ],
    }


def test_titles() -> dict[str, str]:
    rubric = rubric_current()
    return dict(RubricTest.objects.filter(section__rubric=rubric).values_list("test_id", "title"))


def section_titles() -> dict[str, str]:
    rubric = rubric_current()
    return dict(RubricSection.objects.filter(rubric=rubric).values_list("key", "title"))


# --- assessments ------------------------------------------------------------------------------


def assessments_of(project: Any) -> QuerySet[Assessment]:
    return Assessment.objects.filter(project=project).select_related("created_by").order_by("-created_at", "-id")


def assessment_latest(project: Any) -> Assessment | None:
    return assessments_of(project).first()


def assessment_get(*, project: Any, assessment_id: str) -> Assessment:
    from rest_framework.exceptions import NotFound

    found = assessments_of(project).filter(pk=int(assessment_id)).first() if assessment_id.isdecimal() else None
    if found is None:
        raise NotFound(f"No assessment '{assessment_id}' in project '{project.slug}'.")
    return found


def statuses_of(assessment: Assessment | None) -> dict[str, str]:
    if assessment is None:
        return dict.fromkeys(RUBRIC_TEST_IDS, "none")
    return {tid: assessment.answers.get(tid, {}).get("status", "none") for tid in RUBRIC_TEST_IDS}


# --- evidence ---------------------------------------------------------------------------------


def evidence_of(project: Any, *, test_id: str | None = None, source: str | None = None) -> QuerySet[Evidence]:
    queryset = Evidence.objects.filter(project=project).order_by("-observed_at", "-id")
    if test_id:
        queryset = queryset.filter(test_id=test_id)
    if source:
        queryset = queryset.filter(source=source)
    return queryset


def evidence_latest_per_thing(project: Any) -> dict[str, list[Evidence]]:
    """Per test id, the latest observation of each (source, key), newest first."""
    rows = (
        Evidence.objects.filter(project=project)
        .order_by("test_id", "source", "key", "-observed_at", "-id")
        .distinct("test_id", "source", "key")
    )
    per_test: dict[str, list[Evidence]] = defaultdict(list)
    for row in rows:
        per_test[row.test_id].append(row)
    for items in per_test.values():
        items.sort(key=lambda e: (e.observed_at, e.pk), reverse=True)
    return per_test


def evidence_dict(evidence: Evidence) -> dict[str, Any]:
    return {
        "id": evidence.pk,
        "test_id": evidence.test_id,
        "source": evidence.source,
        "key": evidence.key,
        "passed": evidence.passed,
        "title": evidence.title,
        "link": evidence.link,
        "detail": evidence.detail,
        "observed_at": evidence.observed_at.isoformat(),
    }


# --- scores -----------------------------------------------------------------------------------


def score_block(s: scoring.Score) -> dict[str, Any]:
    return {"sections": s.sections, "final": s.final, "band": band_dict(s.band)}


def assessment_summary(assessment: Assessment | None) -> dict[str, Any] | None:
    if assessment is None:
        return None
    by = assessment.created_by
    return {
        "id": assessment.pk,
        "created_at": assessment.created_at.isoformat(),
        "created_by": by.get_username() if by else None,
        "base": assessment.base_id,
    }


def project_score(project: Any, *, now: datetime | None = None) -> dict[str, Any]:
    """Claimed and verified scores of a project's latest assessment, and per test which holds."""
    now = now or timezone.now()
    latest = assessment_latest(project)
    claimed = statuses_of(latest)
    evidence = evidence_latest_per_thing(project)
    window = project.evidence_window_days
    verified: dict[str, str] = {}
    tests: dict[str, Any] = {}
    for tid in RUBRIC_TEST_IDS:
        observed = [scoring.Observation(e.source, e.key, e.passed, e.observed_at) for e in evidence.get(tid, [])]
        state = scoring.evidence_state(observed, now=now, window_days=window)
        verdict = scoring.verify_test(claimed[tid], state)
        verified[tid] = verdict.verified
        tests[tid] = {
            "section": scoring.section_of(tid),
            "claimed": verdict.claimed,
            "verified": verdict.verified,
            "points": {"claimed": scoring.points(verdict.claimed), "verified": scoring.points(verdict.verified)},
            "holds": verdict.holds,
            "why": verdict.why,
            "evidence_state": state,
            "evidence": [evidence_dict(e) for e in evidence.get(tid, [])[:EVIDENCE_PER_TEST]],
        }
    claimed_score = scoring.score(claimed)
    verified_score = scoring.score(verified)
    return {
        "project": project.slug,
        "window_days": window,
        "computed_at": now.isoformat(),
        "assessment": assessment_summary(latest),
        **score_block(claimed_score),
        "weakest": scoring.weakest_sections(claimed_score.sections),
        "verified": {**score_block(verified_score), "weakest": scoring.weakest_sections(verified_score.sections)},
        "tests": tests,
        # automated claims that count as manual in the verified score
        "unverified_claims": sum(1 for t in tests.values() if t["claimed"] == "automated" and t["holds"] != "evidence"),
    }


# --- team view --------------------------------------------------------------------------------

HISTORY_POINTS = 20


def team_overview(team: Any, *, now: datetime | None = None) -> dict[str, Any]:
    """All projects of a team side by side, and how many projects implement each test."""
    from shipyard.projects.models import Project

    now = now or timezone.now()
    projects = list(Project.objects.filter(team=team).order_by("slug"))
    history: dict[int, list[dict[str, Any]]] = defaultdict(list)
    rows = (
        Assessment.objects.filter(project__team=team)
        .order_by("project_id", "created_at", "id")
        .values_list("project_id", "created_at", "score_final")
    )
    for project_id, created_at, final in rows:
        day = created_at.date().isoformat()
        points = history[project_id]
        if points and points[-1]["day"] == day:
            points[-1]["final"] = final  # the day's last snapshot stands for the day
        else:
            points.append({"day": day, "final": final})
    heatmap = {tid: {"none": 0, "manual": 0, "automated": 0, "verified": 0} for tid in RUBRIC_TEST_IDS}
    items = []
    for project in projects:
        result = project_score(project, now=now)
        for tid, test in result["tests"].items():
            # a test verified by evidence is automated whatever was claimed, so verified <= automated
            if test["holds"] == "evidence":
                heatmap[tid]["automated"] += 1
                heatmap[tid]["verified"] += 1
            else:
                heatmap[tid][test["claimed"]] += 1
        items.append(
            {
                "slug": project.slug,
                "name": project.name,
                "assessment": result["assessment"],
                "sections": result["sections"],
                "final": result["final"],
                "band": result["band"],
                "verified": {k: result["verified"][k] for k in ("sections", "final", "band")},
                "unverified_claims": result["unverified_claims"],
                "history": history.get(project.pk, [])[-HISTORY_POINTS:],
            }
        )
    return {
        "team": team.slug,
        "project_count": len(projects),
        "sections": list(SECTIONS),
        "projects": items,
        "heatmap": heatmap,
    }
