"""The Content-Security-Policy in a real browser: the app and the API docs render under it and
nothing they load or run is blocked."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.test_shell import login
from tests.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Records every violation the browser reports, whether or not it also logs it to the console.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


@pytest.fixture
def watched(page: Any) -> tuple[Any, list[str]]:
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.on("pageerror", lambda error: console.append(f"page error: {error}"))
    page.add_init_script(RECORD_VIOLATIONS)
    return page, console


def assert_no_violations(page: Any, console: list[str]) -> None:
    page.wait_for_timeout(300)  # violation events are dispatched asynchronously
    assert page.evaluate("window.__cspViolations") == []
    assert [m for m in console if "Content Security Policy" in m or "page error" in m] == []


def csp_of(response: Any) -> str:
    header: str = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in header and "default-src 'self'" in header, header
    return header


def test_the_app_renders_under_the_policy(watched: tuple[Any, list[str]], password: str) -> None:
    page, console = watched
    response = page.goto("/login")
    csp_of(response)
    expect(page.get_by_role("heading", name="Shipyard")).to_be_visible()
    assert_no_violations(page, console)

    user = UserFactory(username="ada")
    MembershipFactory(user=user, team=TeamFactory(slug="acme", name="Acme ML"), role="admin")
    login(page, "ada", password)
    expect(page.get_by_role("heading", name="Projects", exact=True)).to_be_visible()
    assert_no_violations(page, console)


def test_the_api_docs_render_under_the_policy(watched: tuple[Any, list[str]]) -> None:
    page, console = watched
    response = page.goto("/api/docs/")
    csp_of(response)
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible(timeout=30_000)  # the schema is built on request
    expect(page.get_by_text("Shipyard API").first).to_be_visible()
    assert_no_violations(page, console)
