"""Browser: score a project on the rubric, watch the bars and the final score move, reload and find
the answers; the team view and the badge render."""

from __future__ import annotations

import re
from typing import Any

import pytest

from shipyard.rubric.models import Assessment
from tests.factories import PASSWORD, MembershipFactory, ProjectFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def scorer(transactional_db: Any) -> Any:
    team = TeamFactory(slug="acme", name="Acme")
    user = UserFactory(username="scorer")
    MembershipFactory(user=user, team=team, role="member")
    ProjectFactory(team=team, slug="fraud-model", name="Fraud model")
    ProjectFactory(team=team, slug="churn", name="Churn model")
    return user


def login(page: Any) -> None:
    page.goto("/login")
    page.fill("input[name=username]", "scorer")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/projects$"))


def set_status(page: Any, test_id: str, label: str) -> None:
    page.get_by_test_id(f"test-{test_id}").get_by_text(label, exact=True).click()


def test_score_a_project_in_the_browser(page: Any, scorer: Any, live_server: Any) -> None:
    from playwright.sync_api import expect

    login(page)
    page.goto("/projects/fraud-model")
    page.get_by_role("link", name="Readiness score").click()
    page.wait_for_url(re.compile(r".*/projects/fraud-model/rubric$"))
    expect(page.get_by_test_id("final-score")).to_have_text("0")
    expect(page.get_by_test_id("section-score-data")).to_have_text("0 / 7")

    # guidance is one click away
    page.get_by_test_id("test-data-1").get_by_role("button", name="Guidance and evidence").click()
    expect(page.get_by_test_id("test-data-1").get_by_text("schema", exact=False).first).to_be_visible()

    set_status(page, "data-1", "Automated")
    set_status(page, "data-2", "Manual")
    expect(page.get_by_test_id("section-score-data")).to_have_text("1.5 / 7")
    expect(page.get_by_test_id("save-status")).to_have_text("Saved")
    expect(page.get_by_test_id("final-score")).to_have_text("0")  # the minimum has not moved

    # one test per section lifts the minimum
    for section in ("model", "infra", "monitor"):
        set_status(page, f"{section}-1", "Manual")
    page.get_by_test_id("test-infra-1").get_by_label("Note").fill("Seeded twice, compared weights.")
    expect(page.get_by_test_id("save-status")).to_have_text("Saved")
    expect(page.get_by_test_id("final-score")).to_have_text("0.5")
    expect(page.get_by_test_id("band").first).to_have_text("Not totally untested")
    expect(page.get_by_test_id("section-score-infra")).to_have_text("0.5 / 7")
    # the automated claim has no evidence and says so
    expect(page.get_by_test_id("test-data-1").get_by_text("Claim without evidence")).to_be_visible()

    latest = Assessment.objects.filter(project__slug="fraud-model").order_by("-id").first()
    assert latest is not None and latest.score_final == 0.5
    assert latest.answers["infra-1"]["note"] == "Seeded twice, compared weights."

    page.reload()
    expect(page.get_by_test_id("final-score")).to_have_text("0.5")
    expect(page.get_by_test_id("section-score-data")).to_have_text("1.5 / 7")
    checked = page.get_by_test_id("test-data-1").locator("input[type=radio]:checked")
    expect(checked).to_have_value("automated")
    expect(page.get_by_test_id("test-infra-1").get_by_label("Note")).to_have_value("Seeded twice, compared weights.")

    # keyboard: arrow keys move a status control
    radio = page.get_by_test_id("test-monitor-2").locator("input[type=radio]:checked")
    radio.focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_test_id("section-score-monitor")).to_have_text("1 / 7")
    expect(page.get_by_test_id("save-status")).to_have_text("Saved")

    # history and compare tabs render
    page.get_by_role("tab", name="History").click()
    expect(page.get_by_test_id("history-chart")).to_be_visible()
    page.get_by_role("tab", name="Compare snapshots").click()
    expect(page.get_by_test_id("snapshot-diff")).to_be_visible()

    # the team view lists both projects, with the numbers of the API
    page.get_by_role("link", name="Rubric", exact=True).click()
    expect(page.get_by_test_id("team-final-fraud-model")).to_have_text("0.5")
    expect(page.get_by_test_id("team-final-churn")).to_have_text("0")
    expect(page.get_by_test_id("heat-data-1")).to_contain_text("1/2")

    # the private badge renders for a logged-in member
    response = page.request.get("/badge/fraud-model.svg")
    assert response.status == 200 and "ML Test Score" in response.text() and ">0.5<" in response.text()


def test_concurrent_edit_shows_conflict(page: Any, scorer: Any, live_server: Any) -> None:
    from playwright.sync_api import expect

    from shipyard.projects.models import Project
    from shipyard.rubric.services import assessment_create

    login(page)
    page.goto("/projects/fraud-model/rubric")
    expect(page.get_by_test_id("final-score")).to_have_text("0")
    # someone else saves after this page loaded
    assessment_create(
        project=Project.objects.get(slug="fraud-model"),
        answers={"model-1": {"status": "manual"}},
        base_id=None,
        by=scorer,
    )
    set_status(page, "data-1", "Manual")
    expect(page.get_by_test_id("save-status")).to_contain_text("Conflict")
    assert Assessment.objects.count() == 1
    page.get_by_role("button", name="Reload latest").click()
    checked = page.get_by_test_id("test-model-1").locator("input[type=radio]:checked")
    expect(checked).to_have_value("manual")
