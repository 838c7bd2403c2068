"""Browser journey: start an ONNX export from a model version page and watch it finish, live."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.factories import MembershipFactory, ProjectFactory, TeamFactory, UserFactory
from tests.jobs.conftest import mlp_weights, register_mlp  # noqa: F401 (mlp_weights is a fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_export_from_the_version_page_and_watch_it_finish(
    page: Any,
    password: str,
    celery_worker: Any,
    mlp_weights: Path,  # noqa: F811 (the imported fixture)
) -> None:
    user = UserFactory(username="ada")
    team = TeamFactory(slug="acme", name="Acme ML")
    MembershipFactory(user=user, team=team, role="member")
    project = ProjectFactory(team=team, slug="digits", name="Digits")
    register_mlp(project, mlp_weights, by=user)

    page.goto("/login")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    page.goto("/projects/digits/models/digits-mlp/versions/1")
    jobs = page.get_by_test_id("version-jobs")
    expect(jobs.get_by_text("No jobs for this version yet.")).to_be_visible()
    jobs.get_by_role("button", name="Export to ONNX").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Opset").fill("15")
    dialog.get_by_role("button", name="Start job").click()

    # the job page polls: queued/running with a progress bar, then succeeded, without a reload
    expect(page.get_by_role("heading", name="Export to ONNX")).to_be_visible()
    expect(page.get_by_test_id("job-progress")).to_be_visible()
    expect(page.get_by_test_id("job-status")).to_have_text("succeeded", timeout=120_000)
    expect(page.get_by_test_id("job-log")).to_contain_text("registered digits-mlp v2")
    report = page.get_by_test_id("job-report")
    expect(report.get_by_role("cell", name="max abs diff")).to_be_visible()
    expect(report.get_by_test_id("chart-Latency (ms)")).to_be_visible()
    page.get_by_test_id("produced-version").click()
    expect(page.get_by_role("heading", name="digits-mlp v2")).to_be_visible()

    page.get_by_role("link", name="Jobs").first.click()
    expect(page.get_by_role("heading", name="Jobs")).to_be_visible()
    expect(page.get_by_test_id("jobs-table").get_by_text("succeeded")).to_be_visible()
