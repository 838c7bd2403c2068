"""Browser journeys for the rubric's measured tests: start a feature_importance job with a dataset
version and read its verdict and chart; read a project's feature lead time (data-6)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import MembershipFactory, ProjectFactory, TeamFactory, UserFactory
from tests.jobs.conftest import digits_csv, mlp_weights, register_mlp  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def login(page: Any, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def world() -> Any:
    user = UserFactory(username="ada")
    team = TeamFactory(slug="acme", name="Acme ML")
    MembershipFactory(user=user, team=team, role="admin")
    return user, ProjectFactory(team=team, slug="digits", name="Digits")


def test_feature_importance_from_the_version_page(
    page: Any,
    password: str,
    celery_worker: Any,
    mlp_weights: Path,  # noqa: F811
    digits_csv: Path,  # noqa: F811
) -> None:
    from shipyard.registry.datasets import dataset_version_create

    user, project = world()
    register_mlp(project, mlp_weights, by=user)
    dataset_version_create(
        project=project, dataset_name="digits", file_or_path=digits_csv, format="csv", label_column="label"
    )
    login(page, password)
    page.goto("/projects/digits/models/digits-mlp/versions/1")
    page.get_by_test_id("version-jobs").get_by_role("button", name="Feature importance").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Shuffles per feature").fill("3")
    dialog.get_by_label("Dataset version").click()
    page.get_by_role("option", name="digits v1").click()
    dialog.get_by_role("button", name="Start job").click()

    expect(page.get_by_role("heading", name="Feature importance")).to_be_visible()
    expect(page.get_by_test_id("job-status")).to_have_text("failed", timeout=120_000)
    report = page.get_by_test_id("job-report")
    # digits has pixels that are 0 in every image: shuffling them changes nothing, so they are flagged
    expect(report.get_by_text("data-2 all features beneficial: fail")).to_be_visible()
    expect(report.get_by_test_id("chart-importance")).to_be_visible()
    expect(report.get_by_test_id("importance-table").get_by_role("cell", name="pixel_0").first).to_be_visible()
    expect(report.get_by_test_id("importance-table").get_by_text("flagged").first).to_be_visible()


def test_feature_lead_time_page(page: Any, password: str) -> None:
    from shipyard.registry.models import Dataset, DatasetVersion
    from shipyard.serving import lifecycle
    from shipyard.serving.models import DeploymentEvent
    from tests.serving.conftest import fake_version

    user, project = world()
    dataset = Dataset.objects.create(project=project, name="tx")
    for number, features, days in ((1, ["a"], 40), (2, ["a", "b"], 10)):
        dv = DatasetVersion.objects.create(
            dataset=dataset,
            number=number,
            format="csv",
            file_key=f"sha256/00/{number:062d}",
            sha256=f"{number:064d}",
            size_bytes=1,
            row_count=1,
            schema={"features": [{"name": f, "role": "feature"} for f in features]},
        )
        DatasetVersion.objects.filter(pk=dv.pk).update(created_at=timezone.now() - timedelta(days=days))
    version = fake_version(project)
    version.signature = {**version.signature, "features": ["a"]}
    version.save(update_fields=["signature"])
    lifecycle.deployment_create(project=project, name="tx", model=version.model, version=version, by=user)
    DeploymentEvent.objects.update(created_at=timezone.now() - timedelta(days=35))

    login(page, password)
    page.goto("/projects/digits/feature-lead-time")
    expect(page.get_by_role("heading", name="Feature lead time")).to_be_visible()
    expect(page.get_by_test_id("lead-time-verdict")).to_contain_text("data-6: pass")
    table = page.get_by_test_id("lead-time-table")
    expect(table.get_by_role("row", name="a tx v1")).to_contain_text("5")
    expect(table.get_by_role("row", name="b tx v2")).to_contain_text("not yet deployed")
    expect(page.get_by_test_id("chart-lead-time")).to_be_visible()


def test_tune_and_staleness_reports(page: Any, password: str) -> None:
    from shipyard.jobs.models import Job
    from tests.serving.conftest import fake_version

    _user, project = world()
    version = fake_version(project)
    trial = {"config": {}, "duration_s": 1.0}
    tune = Job.objects.create(
        project=project,
        kind="tune",
        model_version=version,
        status="succeeded",
        passed=True,
        progress=100,
        message="study done",
        result={
            "kind": "tune",
            "version": None,
            "passed": True,
            "summary": "2 of 3 trials completed (1 pruned)",
            "metric": "accuracy",
            "direction": "maximize",
            "recipe": "digits_mlp",
            "search_space": {"lr": {"type": "float", "low": 0.001, "high": 0.1, "log": True}},
            "n_trials": 3,
            "completed": 2,
            "pruned": 1,
            "pruning": True,
            "pruning_note": "",
            "trials": [
                {
                    **trial,
                    "number": 0,
                    "state": "complete",
                    "value": 0.95,
                    "params": {"lr": 0.01},
                    "intermediate": [0.9, 0.95],
                },
                {
                    **trial,
                    "number": 1,
                    "state": "pruned",
                    "value": None,
                    "params": {"lr": 0.002},
                    "intermediate": [0.5],
                },
                {
                    **trial,
                    "number": 2,
                    "state": "complete",
                    "value": 0.97,
                    "params": {"lr": 0.02},
                    "intermediate": [0.93, 0.97],
                },
            ],
            "best_trial": 2,
            "best_value": 0.97,
            "best_config": {"lr": 0.02},
            "reference_value": 0.96,
            "reference_config": {},
            "reference_duration_s": 1.0,
            "reference_rank": 2,
            "top_k": 5,
            "eval_rows": 450,
        },
    )
    point = {"date_source": "declared", "live": False}
    stale = Job.objects.create(
        project=project,
        kind="staleness_impact",
        model_version=version,
        status="failed",
        passed=False,
        progress=100,
        message="loss over tolerance",
        result={
            "kind": "staleness_impact",
            "dataset": "digits:v2",
            "skipped": [],
            "passed": False,
            "summary": "2 versions: +2.14 accuracy points lost per week",
            "metric": "accuracy",
            "points": [
                {**point, "version": 1, "trained_at": "2026-10-01T00:00:00+00:00", "age_days": 56, "accuracy": 0.8},
                {**point, "version": 2, "trained_at": "2026-11-19T00:00:00+00:00", "age_days": 7, "accuracy": 0.95},
            ],
            "slope_per_week": -0.0214,
            "intercept": 0.97,
            "r_value": -1.0,
            "loss_per_week": 0.0214,
            "retrain_interval_days": 49,
            "interval_source": "measured",
            "expected_loss": 0.15,
            "tolerance": 0.02,
            "data_date": "2026-11-26T00:00:00+00:00",
            "data_age_days": 1,
            "fresh_days": 90,
            "fresh": True,
            "rows": 600,
        },
    )
    login(page, password)
    page.goto(f"/jobs/{tune.pk}")
    report = page.get_by_test_id("job-report")
    expect(report.get_by_text("model-3 hyperparameters tuned: pass")).to_be_visible()
    expect(report.get_by_role("cell", name="2 completed, 1 pruned of 3")).to_be_visible()
    expect(report.get_by_test_id("chart-trials")).to_be_visible()
    expect(report.get_by_test_id("trials-table").get_by_role("cell", name="pruned")).to_be_visible()
    page.goto(f"/jobs/{stale.pk}")
    report = page.get_by_test_id("job-report")
    expect(report.get_by_text("model-4 staleness impact known: fail")).to_be_visible()
    expect(report.get_by_role("cell", name="49 days (measured)")).to_be_visible()
    expect(report.get_by_test_id("chart-staleness")).to_be_visible()
    expect(report.get_by_test_id("staleness-table").get_by_role("cell", name="80 %")).to_be_visible()
