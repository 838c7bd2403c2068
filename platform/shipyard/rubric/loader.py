"""Load the rubric text from ``rubric/data/`` into the database (used by the data migration)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"
CURRENT_FILE = DATA_DIR / "ml_test_score_v1.json"


def load_rubric(rubric_model: Any, section_model: Any, test_model: Any, path: Path = CURRENT_FILE) -> Any:
    """Create or refresh one rubric version from its JSON file; idempotent."""
    data = json.loads(path.read_text(encoding="utf-8"))
    rubric, _ = rubric_model.objects.update_or_create(
        version=data["version"], defaults={"title": data["title"], "citation": data["citation"]}
    )
    for s_pos, section in enumerate(data["sections"], start=1):
        sec, _ = section_model.objects.update_or_create(
            rubric=rubric, key=section["id"], defaults={"title": section["title"], "position": s_pos}
        )
        for t_pos, test in enumerate(section["tests"], start=1):
            test_model.objects.update_or_create(
                section=sec,
                test_id=test["id"],
                defaults={"title": test["title"], "guidance": test["guidance"], "position": t_pos},
            )
    return rubric
