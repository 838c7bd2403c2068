"""Demo data for the rubric: each demo project gets weeks of assessment history and some evidence.

Idempotent: a project that already has assessments keeps them, and evidence is only added once
(its keys start with ``demo:``).
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from django.utils import timezone

from shipyard.rubric.ids import SECTIONS
from shipyard.rubric.models import Assessment, Evidence
from shipyard.rubric.services import assessment_create, evidence_record

# Per project, per section: (tests automated, tests manual) at the end of the history, and the
# order in which the team took on the section's tests.
PROFILES: dict[str, dict[str, Any]] = {
    "digits-classifier": {
        "weeks": 8,
        "target": {"data": (3, 3), "model": (2, 4), "infra": (5, 2), "monitor": (3, 3)},
    },
    "cancer-screening": {
        "weeks": 6,
        "target": {"data": (2, 3), "model": (2, 2), "infra": (3, 2), "monitor": (1, 3)},
    },
    "wine-quality": {
        "weeks": 5,
        "target": {"data": (1, 2), "model": (0, 3), "infra": (2, 2), "monitor": (0, 3)},
    },
    "iris-species": {
        "weeks": 3,
        "target": {"data": (0, 2), "model": (0, 3), "infra": (1, 1), "monitor": (0, 2)},
    },
}

ORDER = [1, 7, 2, 4, 3, 6, 5]  # the tests most teams tackle first come first

NOTES = {
    "data-1": (
        "Schema in schema.yaml, checked by tests/test_schema.py in CI.",
        "https://git.example.com/demo/schema.yaml",
    ),
    "infra-1": ("Nightly reproducibility job: two seeded runs, weights within 1e-6.", ""),
    "infra-6": ("Every rollout starts as a 10% canary for an hour.", ""),
    "model-5": ("Logistic regression baseline evaluated on each retrain.", ""),
    "monitor-3": ("Drift per feature (PSI) every 15 minutes.", ""),
}

# (project, test, source, key, passed, days ago, title): the history before Shipyard observed these
# itself (digits-classifier's canary, rollback and drift evidence come from its real deployment)
EVIDENCE: list[tuple[str, str, str, str, bool, float, str]] = [
    ("digits-classifier", "data-1", "ci", "tests/test_schema.py::test_features", True, 1, "Schema test passed"),
    ("digits-classifier", "data-7", "ci", "tests/test_features.py", True, 1, "Feature unit tests passed"),
    ("digits-classifier", "infra-1", "job", "training_tests:reproducibility", True, 3, "Reproducibility check"),
    ("digits-classifier", "infra-2", "job", "training_tests:overfit_batch", True, 3, "Overfits a batch"),
    ("digits-classifier", "monitor-5", "job", "training_tests:numerics", False, 9, "NaN in gradients"),
    ("digits-classifier", "monitor-5", "job", "training_tests:numerics", True, 2, "Numerically stable"),
    ("cancer-screening", "data-1", "ci", "tests/test_schema.py", False, 2, "Schema test failed: new column"),
    ("cancer-screening", "infra-1", "job", "training_tests:reproducibility", True, 45, "Reproducibility check"),
    ("cancer-screening", "infra-4", "deployment", "screening:quality-gate", True, 4, "Quality gate passed"),
    ("wine-quality", "infra-2", "ci", "tests/test_model.py", True, 5, "Model unit tests passed"),
]


def _statuses(target: dict[str, tuple[int, int]], fraction: float) -> dict[str, dict[str, Any]]:
    answers: dict[str, dict[str, Any]] = {}
    for section in SECTIONS:
        n_auto, n_manual = target[section]
        auto = math.floor(n_auto * fraction + 1e-9)
        manual = math.floor((n_auto + n_manual) * fraction + 1e-9) - auto
        for index, n in enumerate(ORDER):
            status = "automated" if index < auto else "manual" if index < auto + manual else "none"
            tid = f"{section}-{n}"
            answers[tid] = {"status": status}
            if tid in NOTES and status != "none":
                note, link = NOTES[tid]
                answers[tid] |= {"note": note, "links": [link] if link else []}
    return answers


def seed(ctx: Any) -> None:
    now = timezone.now()
    for slug, profile in PROFILES.items():
        project = ctx.projects.get(slug)
        if project is None or Assessment.objects.filter(project=project).exists():
            continue
        weeks = profile["weeks"]
        base = None
        for week in range(weeks):
            fraction = (week + 1) / weeks
            at = now - timedelta(days=7 * (weeks - 1 - week) + 1, hours=week)
            assessment, _ = assessment_create(
                project=project, answers=_statuses(profile["target"], fraction), base_id=base, by=ctx.user, at=at
            )
            base = assessment.pk
    for slug, test_id, source, key, passed, days_ago, title in EVIDENCE:
        project = ctx.projects.get(slug)
        if project is None or Evidence.objects.filter(project=project, key=f"demo:{key}", passed=passed).exists():
            continue
        evidence_record(
            project=project,
            test_id=test_id,
            source=source,
            key=f"demo:{key}",
            passed=passed,
            title=title,
            observed_at=now - timedelta(days=days_ago),
        )
    ctx.stdout.write("rubric: demo assessment histories and evidence ready")
