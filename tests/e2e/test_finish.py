"""The finish a first-time user sees: one not-found design with a way back, a header and a
projects table that fit a phone, badges that are never cut, readable chart gridlines in dark mode."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.test_shell import login
from tests.factories import MembershipFactory, ProjectFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# A badge whose label is wider than the badge itself is cut off with an ellipsis.
CUT_BADGES = """() => [...document.querySelectorAll('.mantine-Badge-label')]
  .filter((label) => label.scrollWidth > label.clientWidth + 1).map((label) => label.textContent)"""


@pytest.fixture
def ada(password: str) -> str:
    user = UserFactory(username="ada")
    team = TeamFactory(slug="acme", name="Acme Machine Learning Platform")
    MembershipFactory(user=user, team=team, role="admin")
    ProjectFactory(
        team=team,
        slug="fraud-model",
        name="Fraud model",
        description="Scores card transactions in real time, with a long description that must wrap on a phone.",
    )
    return password


def api_404s(page: Any) -> list[str]:
    seen: list[str] = []
    page.on("response", lambda r: seen.append(r.url) if r.status == 404 and "/api/" in r.url else None)
    return seen


def test_not_found_pages_share_one_design_with_a_way_back(page: Any, ada: str) -> None:
    login(page, "ada", ada)
    expect(page.get_by_role("link", name="Fraud model")).to_be_visible()
    missing = api_404s(page)

    page.goto("/no-such-area")
    box = page.get_by_test_id("not-found")
    expect(box.get_by_role("heading", name="Page not found")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert missing == []

    page.goto("/projects/no-such-project")
    box = page.get_by_test_id("not-found")
    expect(box.get_by_role("heading", name="Project not found")).to_be_visible()
    expect(box).to_contain_text("no-such-project")
    page.wait_for_load_state("networkidle")
    # the one request that found nothing, and no follow-up requests for its parts
    assert [re.sub(r"^https?://[^/]+", "", url) for url in missing] == ["/api/v1/projects/no-such-project/"]

    box.get_by_role("link", name="Back to the project list").click()
    expect(page).to_have_url(re.compile(r"/projects$"))
    expect(page.get_by_role("link", name="Fraud model")).to_be_visible()


def test_the_header_and_projects_table_fit_a_phone(browser: Any, live_server: Any, ada: str) -> None:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    login(page, "ada", ada)
    expect(page.get_by_role("link", name="Fraud model")).to_be_visible()

    header = page.locator("header").first
    assert header.evaluate("h => h.scrollWidth <= h.clientWidth"), "the header overflows at 390 px"
    for name in ("Toggle navigation", "Log out"):
        button = page.get_by_role("button", name=name)
        expect(button).to_be_visible()
        assert button.bounding_box()["x"] + button.bounding_box()["width"] <= 390
    # the table reflows instead of scrolling sideways: name and description only
    table = page.locator("table").first
    assert table.evaluate("t => t.getBoundingClientRect().right <= window.innerWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    expect(table.get_by_role("columnheader", name="Name")).to_be_visible()
    expect(table.get_by_role("columnheader", name="Slug")).to_be_hidden()
    assert page.evaluate(CUT_BADGES) == []

    page.goto("/projects/fraud-model")
    expect(page.get_by_role("heading", name="Fraud model")).to_be_visible()
    assert page.evaluate(CUT_BADGES) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()


def contrast(page: Any, colour: str, background: str) -> float:
    """The WCAG contrast ratio of two CSS colours, computed by the browser."""
    return float(
        page.evaluate(
            """([a, b]) => {
              const rgb = (c) => { const el = document.createElement('div'); el.style.color = c;
                document.body.append(el); const v = getComputedStyle(el).color.match(/\\d+/g).map(Number);
                el.remove(); return v; };
              const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255;
                return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
                .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
              const [l1, l2] = [lum(rgb(a)), lum(rgb(b))].sort((x, y) => y - x);
              return (l1 + 0.05) / (l2 + 0.05);
            }""",
            [colour, background],
        )
    )


def test_dark_mode_gridlines_and_axes_are_readable(browser: Any, live_server: Any, ada: str) -> None:
    from shipyard.projects.models import Project
    from tests.serving.conftest import fake_version

    project = Project.objects.get(slug="fraud-model")
    for accuracy in (0.9, 0.95):
        fake_version(project, model_name="digits", metrics={"accuracy": accuracy})
    model = "digits"

    context = browser.new_context(
        base_url=live_server.url, color_scheme="dark", viewport={"width": 1400, "height": 900}
    )
    page = context.new_page()
    login(page, "ada", ada)
    expect(page.get_by_role("link", name="Fraud model")).to_be_visible()
    assert page.evaluate("document.documentElement.dataset.mantineColorScheme") == "dark"
    page.goto(f"/projects/fraud-model/models/{model}")
    page.get_by_role("tab", name="Metrics").click()
    grid = page.locator(".recharts-cartesian-grid line").first
    expect(grid).to_be_attached()
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    stroke = grid.evaluate("l => getComputedStyle(l).stroke")
    tick = page.locator(".recharts-cartesian-axis-tick-value").first.evaluate("t => getComputedStyle(t).fill")
    assert contrast(page, stroke, background) >= 2.0, (stroke, background)
    assert contrast(page, tick, background) >= 4.5, (
        tick,
        background,
        page.locator(".recharts-cartesian-axis-tick-value").first.evaluate("t => t.outerHTML"),
    )
    context.close()
