"""The browser computes live scores before a save with the same rules as the API. Both sides are
checked against one file of cases, written from Python's scoring:
frontend/src/features/rubric/scoring-cases.json (vitest checks the TypeScript side).
Regenerate with UPDATE_SCORING_CASES=1 after changing the scoring."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Any

from shipyard.rubric import scoring
from shipyard.rubric.ids import RUBRIC_TEST_IDS
from shipyard.rubric.selectors import band_dict

CASES = Path(__file__).resolve().parents[2] / "frontend/src/features/rubric/scoring-cases.json"


def build_cases() -> dict[str, Any]:
    rng = random.Random(2017)
    statuses_list: list[dict[str, str]] = [
        {},
        dict.fromkeys(RUBRIC_TEST_IDS, "automated"),
        dict.fromkeys(RUBRIC_TEST_IDS, "manual"),
    ]
    # every band edge: each section exactly at e, and one section just above
    for edge in (0, 1, 2, 3, 5):
        for bump in (0, 1):
            statuses: dict[str, str] = {}
            for tid in RUBRIC_TEST_IDS:
                n = int(tid.rsplit("-", 1)[1])
                statuses[tid] = "automated" if n <= edge else "none"
            if bump:
                statuses[f"model-{edge + 1}"] = "manual"
                statuses |= {f"{s}-{edge + 1}": "manual" for s in ("data", "infra", "monitor")}
            statuses_list.append(statuses)
    for _ in range(40):
        statuses_list.append({tid: rng.choice(scoring.STATUSES) for tid in RUBRIC_TEST_IDS if rng.random() < 0.9})
    cases = []
    for statuses in statuses_list:
        result = scoring.score(statuses)
        cases.append(
            {
                "statuses": statuses,
                "sections": result.sections,
                "final": result.final,
                "band": result.band.id,
                "weakest": scoring.weakest_sections(result.sections),
            }
        )
    return {"bands": [band_dict(b) for b in scoring.BANDS], "cases": cases}


def test_shared_scoring_cases_match_python() -> None:
    expected = build_cases()
    if os.environ.get("UPDATE_SCORING_CASES") == "1":
        CASES.write_text(json.dumps(expected, indent=1) + "\n")
    assert json.loads(CASES.read_text()) == expected, "regenerate with UPDATE_SCORING_CASES=1"
