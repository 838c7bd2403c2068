"""The foundation's browser journey: log in, create a project, see it listed, log out."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
DOCS = Path(__file__).resolve().parents[2] / "docs"


def login(page: Any, username: str, password: str) -> None:
    page.goto("/projects")
    expect(page).to_have_url(re.compile(r"/login"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_login_create_project_list_logout(page: Any, password: str) -> None:
    user = UserFactory(username="ada")
    MembershipFactory(user=user, team=TeamFactory(slug="acme", name="Acme ML"), role="admin")

    login(page, "ada", "wrong-password")
    expect(page.get_by_text(re.compile("Unable to log in", re.I))).to_be_visible()
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", name="Projects", exact=True)).to_be_visible()
    expect(page.get_by_text("No projects yet")).to_be_visible()

    page.get_by_role("button", name="New project").first.click()
    page.get_by_label("Name").fill("Fraud detector")
    expect(page.get_by_label("Slug")).to_have_value("fraud-detector")
    page.get_by_label("Description").fill("Scores card transactions in real time.")
    page.get_by_role("button", name="Create project").click()
    expect(page.get_by_role("link", name="Fraud detector")).to_be_visible()

    # The same slug again: the server's field error shows inline under the field.
    page.get_by_role("button", name="New project").first.click()
    page.get_by_label("Name").fill("Fraud detector")
    page.get_by_role("button", name="Create project").click()
    expect(page.get_by_text(re.compile("already exists"))).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    page.wait_for_timeout(400)  # let the notification fade before the README screenshot

    page.screenshot(path=str(DOCS / "screenshot-projects.png"))

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login"))
    page.goto("/projects")
    expect(page).to_have_url(re.compile(r"/login"))
