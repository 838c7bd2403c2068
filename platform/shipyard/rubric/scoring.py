"""Scoring of the ML Test Score, exactly as the paper; pure functions, no Django, no I/O.

Per test: 0 (not done), 0.5 (done manually, results documented and shared), 1 (automated, run
repeatedly). A section's score is the sum of its seven tests (0..7). The final score is the
*minimum* of the four section scores. The final score falls in one of six bands.

Verified scoring (Shipyard's addition) combines a claim with what Shipyard observed itself; see
:func:`verify_test` and docs/rubric.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from shipyard.rubric.ids import RUBRIC_TEST_IDS, SECTIONS

Status = Literal["none", "manual", "automated"]
STATUSES: tuple[Status, ...] = ("none", "manual", "automated")
POINTS: dict[str, float] = {"none": 0.0, "manual": 0.5, "automated": 1.0}


@dataclass(frozen=True)
class Band:
    id: str
    label: str
    text: str
    #: the band holds scores s with lower < s <= upper (None: unbounded on that side)
    lower: float | None
    upper: float | None


# The paper's table, edges included: 0, (0,1], (1,2], (2,3], (3,5], >5.
BANDS: tuple[Band, ...] = (
    Band("research", "Research project", "More of a research project than a productionized system.", None, 0.0),
    Band(
        "untested",
        "Not totally untested",
        "Not totally untested, but it is worth considering the possibility of serious holes in reliability.",
        0.0,
        1.0,
    ),
    Band(
        "first-pass",
        "First pass",
        "There's been first pass at basic productionization, but additional investment may be needed.",
        1.0,
        2.0,
    ),
    Band(
        "reasonable",
        "Reasonably tested",
        "Reasonably tested, but it's possible that more of those tests and procedures may be automated.",
        2.0,
        3.0,
    ),
    Band(
        "strong",
        "Strong",
        "Strong levels of automated testing and monitoring, appropriate for mission-critical systems.",
        3.0,
        5.0,
    ),
    Band("exceptional", "Exceptional", "Exceptional levels of automated testing and monitoring.", 5.0, None),
)


def section_of(test_id: str) -> str:
    return test_id.rsplit("-", 1)[0]


def points(status: str) -> float:
    return POINTS[status]


def section_scores(statuses: Mapping[str, str]) -> dict[str, float]:
    """Sum of points per section; a test missing from ``statuses`` counts as not done."""
    scores = dict.fromkeys(SECTIONS, 0.0)
    for test_id in RUBRIC_TEST_IDS:
        scores[section_of(test_id)] += POINTS[statuses.get(test_id, "none")]
    return scores


def final_score(sections: Mapping[str, float]) -> float:
    """The minimum over the four sections: the weakest section is the score."""
    return min(sections[s] for s in SECTIONS)


def band_for(score: float) -> Band:
    for band in BANDS:
        above = band.lower is None or score > band.lower
        below = band.upper is None or score <= band.upper
        if above and below:
            return band
    raise ValueError(f"no band for score {score!r}")  # only for negative or NaN scores


def weakest_sections(sections: Mapping[str, float]) -> list[str]:
    """Every section holding the minimum (ties included), in the paper's order."""
    low = final_score(sections)
    return [s for s in SECTIONS if sections[s] == low]


@dataclass(frozen=True)
class Score:
    sections: dict[str, float]
    final: float
    band: Band


def score(statuses: Mapping[str, str]) -> Score:
    sections = section_scores(statuses)
    final = final_score(sections)
    return Score(sections=sections, final=final, band=band_for(final))


# --- verified scoring -------------------------------------------------------------------------

EvidenceState = Literal["verified", "failing", "stale", "none"]
Holds = Literal["evidence", "claim", "unverified", "failing"]


@dataclass(frozen=True)
class Observation:
    """One evidence record, reduced to what scoring needs."""

    source: str
    key: str
    passed: bool
    observed_at: datetime


def evidence_state(observations: Iterable[Observation], *, now: datetime, window_days: int) -> EvidenceState:
    """What the observations of one test say, given the freshness window.

    Per (source, key) only the latest observation counts (a later run supersedes an earlier
    one). ``failing``: some thing's latest observation inside the window failed. ``verified``:
    none failing, and some thing's latest observation inside the window passed. ``stale``:
    observations exist, all older than the window. ``none``: no observations.
    """
    latest: dict[tuple[str, str], Observation] = {}
    for obs in observations:
        current = latest.get((obs.source, obs.key))
        if current is None or obs.observed_at > current.observed_at:
            latest[(obs.source, obs.key)] = obs
    if not latest:
        return "none"
    cutoff = now - timedelta(days=window_days)
    fresh = [obs for obs in latest.values() if obs.observed_at >= cutoff]
    if any(not obs.passed for obs in fresh):
        return "failing"
    if any(obs.passed for obs in fresh):
        return "verified"
    return "stale"


@dataclass(frozen=True)
class Verdict:
    claimed: Status
    verified: Status
    holds: Holds
    why: str


def verify_test(claimed: str, state: EvidenceState) -> Verdict:
    """Combine a claim with the evidence state (the table in docs/rubric.md).

    - fresh passing evidence: the test is automated and verified, whatever was claimed (1);
    - an ``automated`` claim without fresh passing evidence counts as manual at best (0.5):
      ``failing`` when the latest evidence fails, ``unverified`` when there is none or it is stale;
    - ``manual`` and ``none`` claims stand as they are (0.5, 0): Shipyard cannot observe a
      manual procedure, so the team's word is taken for it and shown as a claim; failing
      evidence still marks them ``failing`` (it never changes their points).
    """
    status: Status = claimed  # type: ignore[assignment]
    if state == "verified":
        why = "Fresh passing evidence." if claimed == "automated" else "Fresh passing evidence, although not claimed."
        return Verdict(status, "automated", "evidence", why)
    if claimed == "automated":
        if state == "failing":
            return Verdict(status, "manual", "failing", "Claimed automated, but the latest evidence fails.")
        why = (
            "Claimed automated; the evidence is older than the window."
            if state == "stale"
            else "Claimed automated, but Shipyard has seen no evidence."
        )
        return Verdict(status, "manual", "unverified", why)
    if claimed == "manual":
        if state == "failing":
            return Verdict(status, "manual", "failing", "Claimed manual; the latest evidence fails.")
        return Verdict(status, "manual", "claim", "Manual procedure, as claimed (not observable by Shipyard).")
    if state == "failing":
        return Verdict(status, "none", "failing", "Not done; the latest evidence fails.")
    return Verdict(status, "none", "claim", "Not done.")
