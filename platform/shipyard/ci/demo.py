"""Demo CI history: each demo project gets weeks of runs on its default branch and a feature branch.

Every run goes through the real path after the receiver: a native JSON body (with JUnit XML) is
normalised by :mod:`shipyard.ci.payloads` and recorded by :func:`shipyard.ci.services.run_record`,
synchronously, so tagging, metric verdicts, dependency diffs, notifications and rubric evidence
are exactly what a live CI would have produced. Runs are then dated back over the past weeks.

Idempotent: a run whose id already exists is skipped, and the secret, tag rule and metric policy
are only created when missing.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from django.db import transaction
from django.utils import timezone

from shipyard.ci import payloads, services
from shipyard.ci.models import CIRun, DependencyChange, MetricPolicy, Notification, TagRule

#: (classname, test name, rubric id or "") of the demo test suite
SUITE = [
    ("tests.test_data", "test_schema_expectations", "data-1"),
    ("tests.test_data", "test_feature_code_unit", ""),  # tagged by the demo tag rule (data-7)
    ("tests.test_data", "test_no_pii_columns", "data-5"),
    ("tests.test_training", "test_training_is_reproducible", "infra-1"),
    ("tests.test_training", "test_model_spec_builds", "infra-2"),
    ("tests.test_training", "test_overfits_one_batch", ""),
    ("tests.test_pipeline", "test_end_to_end_pipeline", "infra-3"),
    ("tests.test_pipeline", "test_quality_gate_before_export", "infra-4"),
    ("tests.test_quality", "test_simpler_baseline_is_worse", "model-5"),
    ("tests.test_quality", "test_quality_on_important_slices", "model-6"),
    ("tests.test_serving", "test_predict_batch_shapes", ""),
    ("tests.test_serving", "test_nan_inputs_rejected", ""),
]

#: per project: base accuracy, base p99 latency (ms), model size (MB), feature branch name
PROFILES: dict[str, tuple[float, float, float, str]] = {
    "digits-classifier": (0.972, 14.0, 1.8, "feature/cnn-head"),
    "iris-species": (0.953, 3.2, 0.1, "feature/calibration"),
    "cancer-screening": (0.961, 6.5, 0.4, "feature/new-threshold"),
    "wine-quality": (0.944, 4.1, 0.2, "feature/gradient-boosting"),
}

LOCK_BEFORE = {"numpy": "1.26.4", "scikit-learn": "1.4.2", "pandas": "2.2.2", "onnx": "1.16.1"}
LOCK_AFTER = {"numpy": "2.0.2", "scikit-learn": "1.5.1", "pandas": "2.2.2", "onnx": "1.16.1", "skl2onnx": "1.17.0"}

MAIN_RUNS = 12
#: the main run (index) whose p99 latency regressed, and the one where a flaky test failed
REGRESSION_AT, FLAKY_AT, DEPENDENCY_BUMP_AT = 8, 5, 6


@dataclass
class DemoRun:
    run_id: str
    branch: str
    at: datetime
    failures: dict[str, str]  # test name -> failure message
    metrics: dict[str, float]
    lockfile: dict[str, str]


def _junit(failures: dict[str, str], rng: random.Random) -> str:
    cases = []
    for classname, name, rubric_id in SUITE:
        props = f'<properties><property name="mlts" value="{rubric_id}"/></properties>' if rubric_id else ""
        failure = ""
        if name in failures:
            message = failures[name]
            failure = f"<failure message={quoteattr(message)}>{escape(message)}</failure>"
        cases.append(
            f'<testcase classname="{classname}" name="{name}" time="{rng.uniform(0.01, 2.5):.3f}">'
            f"{props}{failure}</testcase>"
        )
    failed = len(failures)
    return (
        '<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" '
        f'tests="{len(SUITE)}" failures="{failed}" errors="0" skipped="0">'
        + "".join(cases)
        + "</testsuite></testsuites>"
    )


def _plan(slug: str, now: datetime) -> list[DemoRun]:
    accuracy, latency, size, feature = PROFILES.get(slug, (0.95, 10.0, 1.0, "feature/experiment"))
    rng = random.Random(f"ci-demo:{slug}")
    runs = []
    for i in range(MAIN_RUNS):
        at = now - timedelta(days=(MAIN_RUNS - i) * 3.5 - 1, hours=rng.uniform(0, 6))
        failures = {}
        if i == FLAKY_AT:
            failures["test_end_to_end_pipeline"] = "TimeoutError: feature store did not answer within 30 s"
        p99 = latency * rng.uniform(0.97, 1.03) * (1.45 if i == REGRESSION_AT else 1.0)
        runs.append(
            DemoRun(
                run_id=f"demo-{slug}-main-{i + 1}",
                branch="main",
                at=at,
                failures=failures,
                metrics={
                    "accuracy": round(accuracy + 0.0015 * i / MAIN_RUNS + rng.uniform(-0.002, 0.002), 4),
                    "latency_p99_ms": round(p99, 2),
                    "model_size_mb": round(size * (1.02 if i >= DEPENDENCY_BUMP_AT else 1.0), 3),
                },
                lockfile=LOCK_AFTER if i >= DEPENDENCY_BUMP_AT else LOCK_BEFORE,
            )
        )
    for j, (days_ago, failures) in enumerate(
        [
            (5.0, {}),
            (3.0, {"test_quality_on_important_slices": "AssertionError: recall on slice 'rare' is 0.71 < 0.80"}),
            (1.5, {}),
        ]
    ):
        runs.append(
            DemoRun(
                run_id=f"demo-{slug}-feature-{j + 1}",
                branch=feature,
                at=now - timedelta(days=days_ago),
                failures=failures,
                metrics={
                    "accuracy": round(accuracy + rng.uniform(-0.001, 0.004), 4),
                    "latency_p99_ms": round(latency * rng.uniform(1.0, 1.06), 2),
                    "model_size_mb": round(size * 1.02, 3),
                },
                lockfile=LOCK_AFTER,
            )
        )
    return sorted(runs, key=lambda r: r.at)


def _lockfile(packages: dict[str, str]) -> str:
    return "".join(f"{name}=={version}\n" for name, version in sorted(packages.items()))


@transaction.atomic
def _record(project: Any, planned: DemoRun) -> CIRun:
    rng = random.Random(planned.run_id)
    duration = rng.uniform(90, 420)
    commit = f"{rng.getrandbits(160):040x}"
    body = {
        "run": {
            "id": planned.run_id,
            "name": "tests",
            "branch": planned.branch,
            "commit": commit,
            "url": f"https://ci.example.com/{project.slug}/runs/{planned.run_id.rsplit('-', 1)[-1]}",
            "started_at": (planned.at - timedelta(seconds=duration)).isoformat(),
            "finished_at": planned.at.isoformat(),
            "duration": round(duration, 1),
        },
        "junit": _junit(planned.failures, rng),
        "metrics": planned.metrics,
        "lockfile": _lockfile(planned.lockfile),
    }
    report = payloads.normalise(
        "shipyard",
        json.dumps(body).encode(),
        event="report",
        delivery_id=planned.run_id,
        content_type="application/json",
        query={},
    )
    run = services.run_record(project=project, provider="shipyard", report=report, received_at=planned.at)
    # date the run (and what it produced) back to when it "happened"; order is preserved
    CIRun.objects.filter(pk=run.pk).update(created_at=planned.at, updated_at=planned.at)
    Notification.objects.filter(run=run).update(created_at=planned.at, updated_at=planned.at)
    DependencyChange.objects.filter(run=run).update(created_at=planned.at, updated_at=planned.at)
    return run


def seed(ctx: Any) -> None:
    now = timezone.now()
    for slug, project in ctx.projects.items():
        config = services.config_for(project=project)
        if not config.secret:
            services.secret_rotate(project=project, grace_hours=0)
        if not TagRule.objects.filter(project=project, pattern="*test_feature_code_*", rubric_id="data-7").exists():
            services.tag_rule_create(project=project, pattern="*test_feature_code_*", rubric_id="data-7")
        if not MetricPolicy.objects.filter(project=project, metric="accuracy").exists():
            services.metric_policy_set(
                project=project, metric="accuracy", direction="higher", tolerance=0.005, relative=False, kind="quality"
            )
        existing = set(CIRun.objects.filter(project=project).values_list("external_id", flat=True))
        created = 0
        for planned in _plan(slug, now):
            if planned.run_id in existing:
                continue
            _record(project, planned)
            created += 1
        if created:
            ctx.stdout.write(f"ci: {slug}: {created} runs")
