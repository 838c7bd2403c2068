"""Browser: score a project on the rubric, watch the bars and the final score move, reload and find
the answers; the team view and the badge render."""

from __future__ import annotations

import datetime as dt
import itertools
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

    # an editing session folds into one snapshot; a later session (over 10 minutes on) adds one
    session = Assessment.objects.filter(project__slug="fraud-model").latest("id")
    Assessment.objects.filter(pk=session.pk).update(created_at=session.created_at - dt.timedelta(minutes=11))
    set_status(page, "model-2", "Manual")
    expect(page.get_by_test_id("save-status")).to_have_text("Saved")
    assert Assessment.objects.filter(project__slug="fraud-model").count() == 2

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


@pytest.fixture
def evidenced(scorer: Any) -> Any:
    """fraud-model, last saved by a teammate: data-1 verified without a claim, monitor-3 claimed
    manual while a drift monitor fails, monitor-1 claimed automated with no evidence."""
    from shipyard.projects.models import Project
    from shipyard.rubric.services import assessment_create, evidence_record

    project = Project.objects.get(slug="fraud-model")
    lead = UserFactory(username="lead")
    MembershipFactory(user=lead, team=project.team, role="member")
    claims = {"model-1": "manual", "infra-1": "manual", "monitor-3": "manual", "monitor-1": "automated"}
    assessment_create(project=project, answers={k: {"status": v} for k, v in claims.items()}, base_id=None, by=lead)
    evidence_record(project=project, test_id="data-1", source="ci", passed=True, title="schema test", key="schema")
    evidence_record(
        project=project, test_id="monitor-3", source="monitor", passed=False, title="Drift FAIL", key="prod:drift"
    )
    return project


def test_evidence_never_contradicts_itself(page: Any, evidenced: Any, live_server: Any) -> None:
    from playwright.sync_api import expect

    login(page)
    page.goto("/projects/fraud-model/rubric")
    expect(page.get_by_test_id("final-score")).to_have_text("0")
    # an unclaimed test with passing evidence says so inline, and is no longer a to-do
    expect(page.get_by_test_id("test-data-1").get_by_test_id("verdict")).to_have_text("Verified (not claimed)")
    weakest = page.get_by_test_id("weakest-panel")
    expect(weakest).to_contain_text("data-2")
    expect(weakest).not_to_contain_text("data-1")
    # failing evidence shows whatever the claim
    expect(page.get_by_test_id("test-monitor-3").get_by_test_id("verdict")).to_have_text("Evidence failing")
    expect(page.get_by_test_id("test-monitor-1").get_by_test_id("verdict")).to_have_text("Claim without evidence")
    # the two scores differ: the page says why and which one is the project's score
    explanation = page.get_by_test_id("score-explanation")
    expect(explanation).to_contain_text("The project's score is the claimed score, 0")
    expect(explanation).to_contain_text("The verified score, 0.5")
    expect(explanation).to_contain_text("1 automated claim has no fresh passing evidence")
    expect(explanation).to_contain_text("1 test has fresh passing evidence without an automated claim")

    # a bad evidence link is an inline error, not a silent drop; a good one is kept
    links = page.get_by_test_id("test-data-2").get_by_label("Evidence links")
    links.fill("wiki page")
    links.press("Enter")
    expect(page.get_by_test_id("test-data-2")).to_contain_text("“wiki page” is not a link")
    links.fill("https://wiki.example.com/data-2")
    links.press("Enter")
    expect(page.get_by_test_id("test-data-2")).not_to_contain_text("is not a link")

    # one editing session is one snapshot, however many autosaves it took
    set_status(page, "data-2", "Manual")
    expect(page.get_by_test_id("save-status")).to_have_text("Saved")
    page.get_by_test_id("test-data-2").get_by_label("Note").fill("Reviewed weekly.")
    expect(page.get_by_test_id("save-status")).to_have_text("Saved")
    set_status(page, "data-3", "Automated")
    expect(page.get_by_test_id("save-status")).to_have_text("Saved")
    mine = Assessment.objects.filter(project=evidenced, created_by__username="scorer")
    assert mine.count() == 1
    session = mine.get()
    assert session.answers["data-2"] == {
        "status": "manual",
        "note": "Reviewed weekly.",
        "links": ["https://wiki.example.com/data-2"],
    }
    assert session.answers["data-3"]["status"] == "automated" and Assessment.objects.count() == 2

    # history: snapshots with author, time and what changed, next to a 0-7 chart
    page.get_by_role("tab", name="History").click()
    item = page.get_by_test_id(f"history-item-{session.pk}")
    expect(item).to_contain_text("scorer")
    expect(item).to_contain_text("data-2: Not done → Manual, note edited, links changed")
    expect(item).to_contain_text("data-3: Not done → Automated")
    expect(page.get_by_test_id("history-list")).to_contain_text("lead")
    expect(page.get_by_test_id("history-list")).to_contain_text("First snapshot")
    ticks = page.get_by_test_id("history-chart").locator(
        ".recharts-yAxis-tick-labels .recharts-cartesian-axis-tick-value"
    )
    expect(ticks).to_have_text(["0", "1", "2", "3", "4", "5", "6", "7"])
    ys = ticks.evaluate_all("els => els.map(e => Number(e.getAttribute('y')))")
    gaps = [round(a - b, 3) for a, b in itertools.pairwise(ys)]
    assert len(set(gaps)) == 1 and gaps[0] > 0, ys  # evenly spaced

    # the heat map counts the verified test as implemented, and shades it
    page.goto("/rubric")
    cell = page.get_by_test_id("heat-data-1")
    expect(cell).to_contain_text("1/2")
    expect(cell).to_have_attribute("aria-label", re.compile(r"1 of 2 projects implement it \(1 automated, 1 of them"))
    expect(cell).to_have_attribute("data-strength", "0.50")
    expect(page.get_by_test_id("heat-data-4")).to_have_attribute("data-strength", "0.00")
