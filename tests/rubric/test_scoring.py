"""Scoring exactly as the paper: unit tests and property-based tests (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shipyard.rubric import scoring
from shipyard.rubric.ids import RUBRIC_TEST_IDS, SECTIONS

statuses_st = st.fixed_dictionaries({tid: st.sampled_from(scoring.STATUSES) for tid in RUBRIC_TEST_IDS})
half_points = st.integers(min_value=0, max_value=14).map(lambda n: n / 2)
sections_st = st.fixed_dictionaries({s: half_points for s in SECTIONS})


def test_ids_are_the_papers_28_in_order() -> None:
    assert len(RUBRIC_TEST_IDS) == 28
    assert RUBRIC_TEST_IDS[0] == "data-1" and RUBRIC_TEST_IDS[7] == "model-1" and RUBRIC_TEST_IDS[-1] == "monitor-7"


def test_points_per_status() -> None:
    assert [scoring.points(s) for s in ("none", "manual", "automated")] == [0.0, 0.5, 1.0]


def test_empty_answers_score_zero_research_project() -> None:
    result = scoring.score({})
    assert result.sections == dict.fromkeys(SECTIONS, 0.0)
    assert result.final == 0.0 and result.band.id == "research"
    assert result.band.text == "More of a research project than a productionized system."


def test_example_min_of_sections() -> None:
    answers = {f"data-{n}": "automated" for n in range(1, 8)}  # data 7
    answers |= {"model-1": "manual", "model-2": "automated", "model-3": "automated"}  # model 2.5
    answers |= {f"infra-{n}": "manual" for n in range(1, 8)}  # infra 3.5
    answers |= {f"monitor-{n}": "automated" for n in range(1, 5)}  # monitor 4
    result = scoring.score(answers)
    assert result.sections == {"data": 7.0, "model": 2.5, "infra": 3.5, "monitor": 4.0}
    assert result.final == 2.5
    assert result.band.id == "reasonable"
    assert scoring.weakest_sections(result.sections) == ["model"]


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (0.0, "research"),
        (0.5, "untested"),
        (1.0, "untested"),
        (1.5, "first-pass"),
        (2.0, "first-pass"),
        (2.5, "reasonable"),
        (3.0, "reasonable"),
        (3.5, "strong"),
        (5.0, "strong"),
        (5.5, "exceptional"),
        (7.0, "exceptional"),
    ],
)
def test_band_table(score: float, band: str) -> None:
    assert scoring.band_for(score).id == band


def test_band_texts_are_the_papers() -> None:
    texts = [b.text for b in scoring.BANDS]
    assert texts == [
        "More of a research project than a productionized system.",
        "Not totally untested, but it is worth considering the possibility of serious holes in reliability.",
        "There's been first pass at basic productionization, but additional investment may be needed.",
        "Reasonably tested, but it's possible that more of those tests and procedures may be automated.",
        "Strong levels of automated testing and monitoring, appropriate for mission-critical systems.",
        "Exceptional levels of automated testing and monitoring.",
    ]


@given(statuses_st)
def test_property_final_is_min_of_sections_and_sections_sum(statuses: dict[str, str]) -> None:
    result = scoring.score(statuses)
    for section in SECTIONS:
        expected = sum(scoring.POINTS[statuses[f"{section}-{n}"]] for n in range(1, 8))
        assert result.sections[section] == expected
        assert 0 <= result.sections[section] <= 7
    assert result.final == min(result.sections.values())
    assert result.final in result.sections.values()
    assert all(result.final <= v for v in result.sections.values())
    assert result.band == scoring.band_for(result.final)


@given(statuses_st, st.sampled_from(RUBRIC_TEST_IDS))
def test_property_raising_a_non_weakest_section_never_changes_the_final(statuses: dict[str, str], tid: str) -> None:
    before = scoring.score(statuses)
    section = scoring.section_of(tid)
    upgraded = statuses | {tid: "automated"}
    after = scoring.score(upgraded)
    assert after.final >= before.final  # monotone
    if before.sections[section] > before.final:
        assert after.final == before.final  # only raising the minimum raises the score


@given(sections_st)
def test_property_final_score_is_the_minimum(sections: dict[str, float]) -> None:
    assert scoring.final_score(sections) == min(sections.values())
    assert set(scoring.weakest_sections(sections)) == {s for s in SECTIONS if sections[s] == min(sections.values())}


EDGES = [0.0, 1.0, 2.0, 3.0, 5.0]


@given(st.sampled_from(EDGES), st.floats(min_value=1e-9, max_value=0.5))
def test_property_edges_belong_to_the_lower_band_and_just_above_to_the_next(edge: float, eps: float) -> None:
    at, above = scoring.band_for(edge), scoring.band_for(edge + eps)
    order = [b.id for b in scoring.BANDS]
    assert order.index(above.id) == order.index(at.id) + 1
    assert at.upper == edge and above.lower == edge


@given(st.floats(min_value=0, max_value=7, allow_nan=False))
def test_property_every_score_has_exactly_one_band(value: float) -> None:
    matching = [
        b for b in scoring.BANDS if (b.lower is None or value > b.lower) and (b.upper is None or value <= b.upper)
    ]
    assert len(matching) == 1 and matching[0] == scoring.band_for(value)


# --- verified scoring --------------------------------------------------------------------------

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def obs(days_ago: float, passed: bool, key: str = "k", source: str = "ci") -> scoring.Observation:
    return scoring.Observation(source, key, passed, NOW - timedelta(days=days_ago))


@pytest.mark.parametrize(
    ("observations", "state"),
    [
        ([], "none"),
        ([obs(1, True)], "verified"),
        ([obs(40, True)], "stale"),
        ([obs(1, False)], "failing"),
        ([obs(5, False), obs(1, True)], "verified"),  # a later pass supersedes the failure
        ([obs(5, True), obs(1, False)], "failing"),  # the latest run of the same thing fails
        ([obs(1, True, key="a"), obs(2, False, key="b")], "failing"),  # another thing fails
        ([obs(1, True, key="a"), obs(40, False, key="b")], "verified"),  # its failure is stale
        ([obs(30, True)], "verified"),  # the window's edge is inclusive
    ],
)
def test_evidence_state(observations: list[scoring.Observation], state: str) -> None:
    assert scoring.evidence_state(observations, now=NOW, window_days=30) == state


@pytest.mark.parametrize(
    ("claimed", "state", "verified", "holds"),
    [
        ("automated", "verified", "automated", "evidence"),
        ("automated", "none", "manual", "unverified"),
        ("automated", "stale", "manual", "unverified"),
        ("automated", "failing", "manual", "failing"),
        ("manual", "none", "manual", "claim"),
        ("manual", "verified", "automated", "evidence"),
        ("manual", "failing", "manual", "failing"),
        ("none", "none", "none", "claim"),
        ("none", "verified", "automated", "evidence"),
        ("none", "failing", "none", "failing"),
    ],
)
def test_verify_table(claimed: str, state: scoring.EvidenceState, verified: str, holds: str) -> None:
    verdict = scoring.verify_test(claimed, state)
    assert (verdict.claimed, verdict.verified, verdict.holds) == (claimed, verified, holds)
    assert verdict.why


@given(statuses_st, st.fixed_dictionaries({t: st.sampled_from(["none", "stale", "failing"]) for t in RUBRIC_TEST_IDS}))
def test_property_without_fresh_evidence_verified_never_exceeds_claimed(
    claims: dict[str, str], states: dict[str, scoring.EvidenceState]
) -> None:
    verified = {t: scoring.verify_test(claims[t], states[t]).verified for t in RUBRIC_TEST_IDS}
    assert scoring.score(verified).final <= scoring.score(claims).final
    assert all(v != "automated" for v in verified.values())
