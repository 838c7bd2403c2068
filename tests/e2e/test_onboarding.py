"""Onboarding: CI Setup is the project's first tab until a run arrives, with copyable recipes for
five CI systems; rotating the secret asks first; tabs are links; the sidebar and breadcrumbs name
the area the user is in; the overview shows score, live deployments and open alerts at a glance."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from rest_framework.test import APIClient

from tests.e2e.test_shell import login
from tests.factories import MembershipFactory, ProjectFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

RECIPES = {
    "github": "GitHub Actions",
    "gitlab": "GitLab CI",
    "circleci": "CircleCI",
    "jenkins": "Jenkins",
    "buildkite": "Buildkite",
}
COMMAND = (
    "shipyard ci report --project fraud-model --junit results.xml --metrics metrics.json --lockfile requirements.txt"
)


@pytest.fixture
def project(password: str) -> Any:
    user = UserFactory(username="ada")
    team = TeamFactory(slug="acme", name="Acme ML")
    MembershipFactory(user=user, team=team, role="admin")
    return ProjectFactory(team=team, slug="fraud-model", name="Fraud model")


@pytest.fixture
def clip_page(browser: Any, live_server: Any) -> Any:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1400, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def post_run(project: Any) -> None:
    from shipyard.ci.deliveries import delivery_process
    from shipyard.ci.models import Delivery
    from shipyard.ci.services import secret_rotate
    from tests.ci.conftest import fixture_bytes, post_webhook, signed_headers

    _, secret = secret_rotate(project=project)
    body = json.dumps(
        {
            "run": {"id": "e2e-1", "name": "nightly", "branch": "main", "commit": "deadbeef" * 5},
            "junit": fixture_bytes("surefire.xml").decode(),
        }
    ).encode()
    assert post_webhook(APIClient(), project.slug, body, signed_headers("shipyard", secret, body)).status_code == 202
    delivery_process(delivery_id=Delivery.objects.get().pk)


def test_ci_setup_comes_first_with_recipes_until_a_run_arrives(
    clip_page: Any, live_server: Any, project: Any, password: str
) -> None:
    page = clip_page
    login(page, "ada", password)
    page.get_by_role("link", name="Fraud model").click()
    expect(page).to_have_url(re.compile(r"/projects/fraud-model$"))

    tabs = page.get_by_role("tab")
    expect(tabs.first).to_have_text("CI Setup")
    expect(page.get_by_role("tab", name="CI Setup")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_test_id("ci-report-command")).to_have_text(COMMAND)

    for system, label in RECIPES.items():
        page.get_by_role("tab", name=label).click()
        recipe = page.get_by_test_id(f"ci-recipe-{system}")
        expect(recipe).to_contain_text(live_server.url)
        expect(recipe).to_contain_text(COMMAND)
    page.get_by_role("button", name="Copy the Buildkite recipe").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert f"SHIPYARD_URL: {live_server.url}" in copied and COMMAND in copied
    expect(page.get_by_test_id("ci-recipe-curl")).to_contain_text(
        f"{live_server.url}/api/v1/projects/fraud-model/ci/webhook/"
    )
    expect(page.get_by_test_id("ci-recipe-curl")).to_contain_text("v2=$sig")

    # a first secret needs no confirmation; rotating it does
    page.get_by_role("button", name="Generate secret").click()
    first = page.get_by_test_id("ci-secret").inner_text()
    assert len(first) >= 32
    page.get_by_role("button", name="Rotate secret").click()
    dialog = page.get_by_role("dialog", name="Rotate the CI secret?")
    expect(dialog).to_contain_text("update SHIPYARD_CI_SECRET in every pipeline")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_test_id("ci-secret")).to_have_text(first)
    page.get_by_role("button", name="Rotate secret").click()
    page.get_by_role("dialog").get_by_role("button", name="Rotate the secret").click()
    expect(page.get_by_test_id("ci-secret")).not_to_have_text(first)

    # the tab is a link: it survives a reload
    page.get_by_role("tab", name="Overview").click()
    expect(page).to_have_url(re.compile(r"/projects/fraud-model\?tab=overview$"))
    page.reload()
    expect(page.get_by_role("tab", name="Overview")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_test_id("status-deployments")).to_contain_text("Nothing serves traffic yet")

    # once a run has arrived, the overview comes first
    post_run(project)
    page.goto("/projects/fraud-model")
    expect(page.get_by_role("tab").first).to_have_text("Overview")
    expect(page.get_by_role("tab", name="Overview")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("tab", name="CI Setup")).to_have_attribute("aria-selected", "false")


def test_overview_shows_score_live_deployments_and_open_alerts(
    page: Any, project: Any, password: str, settings: Any, tmp_path: Path
) -> None:
    from shipyard.monitoring.models import Alert
    from tests.monitoring.conftest import make_setup

    settings.ARTIFACT_ROOT = tmp_path / "artifacts"
    settings.STORAGE_BACKEND = "local"
    deployment = make_setup(project, tmp_path)
    now = timezone.now()
    Alert.objects.create(
        project=project,
        deployment=deployment,
        key="error-rate",
        severity="critical",
        title="Error rate 60 % on tabular",
        opened_at=now,
        last_seen_at=now,
    )
    Alert.objects.create(
        project=project, key="old", status="resolved", title="Resolved long ago", opened_at=now, last_seen_at=now
    )
    post_run(project)

    login(page, "ada", password)
    page.get_by_role("link", name="Fraud model").click()
    expect(page.get_by_role("tab", name="Overview")).to_have_attribute("aria-selected", "true")
    score = page.get_by_test_id("status-score")
    expect(score.get_by_role("link", name=re.compile(r"^Score: \d(\.\d)?$"))).to_be_visible()
    expect(score).to_contain_text("verified by evidence")
    live = page.get_by_test_id("status-deployments")
    expect(live.get_by_role("link", name="Live deployments: 1")).to_be_visible()
    expect(live).to_contain_text("tabular")
    alerts = page.get_by_test_id("status-alerts")
    expect(alerts.get_by_role("link", name="Open alerts: 1")).to_be_visible()
    expect(alerts).to_contain_text("1 critical")
    expect(page.get_by_text("Error rate 60 % on tabular")).to_be_visible()
    expect(page.get_by_text("Resolved long ago")).to_have_count(0)


def test_tabs_are_links_and_navigation_names_the_area(page: Any, project: Any, password: str) -> None:
    post_run(project)
    login(page, "ada", password)
    expect(page.get_by_role("link", name="Fraud model")).to_be_visible()

    page.goto("/projects/fraud-model/ci?tab=metrics")
    expect(page.get_by_role("tab", name="Metric trends")).to_have_attribute("aria-selected", "true")
    nav = page.get_by_role("navigation", name="Main navigation")
    expect(nav.get_by_role("link", name="CI", exact=True)).to_have_attribute("aria-current", "page")
    expect(nav.get_by_role("link", name="Projects", exact=True)).not_to_have_attribute("aria-current", "page")
    crumbs = page.locator(".mantine-Breadcrumbs-root").first
    expect(crumbs.get_by_role("link").first).to_have_text("CI")

    page.get_by_role("tab", name="CI Setup").click()
    expect(page).to_have_url(re.compile(r"/projects/fraud-model/ci\?tab=setup$"))
    expect(page.get_by_test_id("ci-report-command")).to_have_text(COMMAND)
    page.get_by_role("tab", name="Runs").click()
    expect(page.get_by_test_id("ci-run-row")).to_have_count(1)

    page.goto("/projects/fraud-model")
    expect(nav.get_by_role("link", name="Projects", exact=True)).to_have_attribute("aria-current", "page")
    expect(page.locator(".mantine-Breadcrumbs-root").first.get_by_role("link").first).to_have_text("Projects")
