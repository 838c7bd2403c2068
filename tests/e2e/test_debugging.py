"""Browser journey: a deployment's logged predictions explained (attribution bar chart and the 8×8 heat
map of the digits input) and replayed on another version side by side; a flywheel mistake explained.
The explanations and the replay run on a real Celery worker."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.debugging.conftest import (
    MLP_CONFIG,
    dataset,
    deploy,
    digits_rows,
    log,
    mlp_onnx,  # noqa: F401  (fixture)
    predicted,
)
from tests.factories import MembershipFactory, ProjectFactory, TeamFactory, UserFactory
from tests.jobs.conftest import digits_csv, mlp_weights  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_explain_and_replay_predictions(
    page: Any,
    password: str,
    celery_worker: Any,
    mlp_weights: Path,  # noqa: F811
    mlp_onnx: Path,  # noqa: F811
    digits_csv: Path,  # noqa: F811
) -> None:
    from shipyard.monitoring.feedback import feedback_submit

    user = UserFactory(username="grace")
    team = TeamFactory(slug="acme", name="Acme ML")
    MembershipFactory(user=user, team=team, role="admin")
    project = ProjectFactory(team=team, slug="digits-classifier", name="Digits")
    dv = dataset(project, digits_csv)
    d, torch_v = deploy(
        project, mlp_weights, "state_dict", name="digits", training=dv, recipe="digits_mlp", recipe_config=MLP_CONFIG
    )
    deploy(project, mlp_onnx, "onnx", name="digits", training=dv)
    rows = digits_rows(3)
    labels = predicted(mlp_weights, rows)
    ids = log(d, torch_v, rows, labels)
    feedback_submit(deployment=d, request_id=ids[0], label=(labels[0] + 1) % 10)

    page.goto("/deployments/digits-classifier/digits")
    expect(page).to_have_url(re.compile(r"/login"))
    page.get_by_label("Username").fill("grace")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Predictions").click()

    # the logged predictions, each explainable
    expect(page.get_by_role("table", name="Logged predictions")).to_be_visible()
    expect(page.get_by_test_id("prediction-row")).to_have_count(3)
    page.get_by_role("button", name=f"Explain {ids[1]}").click()
    explanation = page.get_by_test_id("explanation")
    expect(explanation).to_be_visible(timeout=60_000)
    expect(explanation).to_contain_text("Integrated Gradients (Captum)")
    expect(page.get_by_test_id("completeness")).to_contain_text("completeness holds")
    expect(page.get_by_test_id("predicted-class")).to_have_text(str(labels[1]))
    expect(page.get_by_role("img", name="Attribution heat map, 8 by 8")).to_be_visible()
    expect(page.get_by_test_id("heat-cell")).to_have_count(64)
    expect(page.get_by_test_id("attribution-chart").locator(".recharts-bar-rectangle").first).to_be_visible()

    # replay two logged requests on the ONNX version: both outputs side by side
    page.get_by_role("checkbox", name=f"Select {ids[0]}").check()
    page.get_by_role("checkbox", name=f"Select {ids[2]}").check()
    page.get_by_role("combobox", name="Replay on version").click()
    page.get_by_role("option", name="v2 (onnx)").click()
    page.get_by_role("button", name="Replay 2 selected").click()
    table = page.get_by_role("table", name="Replay side by side")
    expect(table).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("replay-row")).to_have_count(2)
    expect(page.get_by_test_id("replay-summary")).to_contain_text(
        "2 request(s) replayed on v2: 100% give the same output"
    )
    expect(page.get_by_test_id("replay-row").first).to_contain_text("same")

    # the flywheel's mistake, explained in a dialog
    page.goto("/monitoring/digits-classifier/digits?tab=flywheel")
    expect(page.get_by_role("table", name="Mistakes")).to_be_visible()
    page.get_by_role("button", name=f"Explain {ids[0]}").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_test_id("explanation")).to_be_visible(timeout=60_000)
    expect(dialog.get_by_test_id("heat-cell")).to_have_count(64)


def test_fairness_tables(page: Any, password: str, celery_worker: Any, mlp_weights: Path, tmp_path: Path) -> None:  # noqa: F811
    """The fairness job's report and the fairness monitor's latest run, as per-group tables."""
    from shipyard.jobs.services import job_create
    from shipyard.monitoring.feedback import feedback_submit
    from shipyard.monitoring.monitors import monitors_run
    from tests.debugging.test_fairness import _frame
    from tests.jobs.conftest import register_mlp, wait_for
    from tests.monitoring.conftest import log_predictions, make_setup

    user = UserFactory(username="grace")
    team = TeamFactory(slug="acme", name="Acme ML")
    MembershipFactory(user=user, team=team, role="admin")
    project = ProjectFactory(team=team, slug="fraud-model", name="Fraud")
    from shipyard.registry.datasets import dataset_version_create

    path = tmp_path / "digits-groups.parquet"
    _frame().to_parquet(path, index=False)
    dv = dataset_version_create(
        project=project,
        dataset_name="digits-groups",
        file_or_path=path,
        format="parquet",
        label_column="label",
        sensitive_features=["scanner"],
    )
    version = register_mlp(project, mlp_weights, by=user)
    job = job_create(project=project, kind="fairness", model_version=version, dataset_version=dv, by=user)
    wait_for(job.pk, timeout=120)

    # a deployment whose feedback is worse on one slice: the fairness monitor fails it
    d = make_setup(project, tmp_path / "tab", slices=[{"name": "high_f0", "filter": "f0 > 0"}])
    d.live_version.training_dataset.__class__.objects.filter(pk=d.live_version.training_dataset_id).update(
        sensitive_features=["high_f0"]
    )
    rows = __import__("numpy").random.default_rng(5).normal(size=(60, 4))
    ids = log_predictions(d, rows, outputs=[1] * len(rows))
    for rid, row in zip(ids, rows, strict=True):
        feedback_submit(deployment=d, request_id=rid, label=1 if row[0] > 0 else 2)
    monitors_run(deployment_id=d.pk)

    page.goto(f"/jobs/{job.pk}")
    page.get_by_label("Username").fill("grace")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    report = page.get_by_test_id("fairness-report")
    expect(report).to_be_visible()
    table = page.get_by_role("table", name="Fairness by scanner")
    expect(table).to_be_visible()
    expect(table.get_by_test_id("fairness-group")).to_have_count(2)
    expect(table).to_contain_text("old")
    expect(page.get_by_test_id("fairness-verdict-scanner")).to_have_text("over a threshold")
    expect(report).to_contain_text("accuracy difference")

    page.goto("/monitoring/fraud-model/tabular?tab=monitors")
    card = page.get_by_test_id("monitor-fairness")
    expect(card).to_contain_text("Fairness across groups")
    expect(card.get_by_role("table", name="Fairness by high_f0")).to_be_visible()
    expect(card.get_by_test_id("fairness-verdict-high_f0")).to_have_text("over a threshold")
    expect(card).to_contain_text("in slice")
