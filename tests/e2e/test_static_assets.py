"""The first load stays small and the built assets are served the way browsers cache best:
compressed, and cached for a year under their content-hashed names."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.test import Client
from playwright.sync_api import expect

from tests.e2e.test_shell import login
from tests.factories import MembershipFactory, ProjectFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# The JavaScript the projects page transferred before the routes were split: one bundle per
# library group, served uncompressed (docs/benchmarks.md, "Frontend"). The first load may now
# transfer at most 40 % of it.
JS_BEFORE_SPLIT = 1_395_510
FIRST_LOAD_SHARE = 0.40
FOREVER = "max-age=315360000, public, immutable"


def scripts_loaded(page: Any, path: str) -> list[str]:
    """The path of every script a fresh visit of ``path`` loads."""
    loaded: list[str] = []

    def record(response: Any) -> None:
        if urlsplit(response.url).path.endswith(".js"):
            loaded.append(urlsplit(response.url).path)

    page.on("response", record)
    page.goto(path)
    page.wait_for_load_state("networkidle")
    page.remove_listener("response", record)
    return loaded


def served(path: str) -> Any:
    """``path`` as Django serves it through WhiteNoise to a browser that accepts gzip."""
    return Client().get(path, HTTP_ACCEPT_ENCODING="gzip, deflate")


@pytest.fixture
def signed_in(browser: Any, live_server: Any, password: str) -> list[dict[str, Any]]:
    user = UserFactory(username="ada")
    team = TeamFactory(slug="acme", name="Acme ML")
    MembershipFactory(user=user, team=team, role="admin")
    ProjectFactory(team=team, slug="fraud-model", name="Fraud model")
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    login(page, "ada", password)
    expect(page.get_by_role("link", name="Fraud model")).to_be_visible()
    cookies: list[dict[str, Any]] = context.cookies()
    context.close()
    return cookies


def test_the_projects_page_transfers_a_fraction_of_the_javascript(
    browser: Any, live_server: Any, signed_in: list[dict[str, Any]]
) -> None:
    # a fresh browser (empty cache), already signed in
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1400, "height": 900})
    context.add_cookies(signed_in)
    page = context.new_page()
    scripts = scripts_loaded(page, "/projects")
    expect(page.get_by_role("link", name="Fraud model")).to_be_visible()
    context.close()

    # only the shell and the projects page: no other page's code, no chart library
    names = [path.rsplit("/", 1)[-1] for path in scripts]
    assert any(name.startswith("ProjectsRoute-") for name in names), names
    assert not [n for n in names if n.startswith(("ProjectRubricRoute-", "DeploymentRoute-", "CartesianChart-"))]

    transferred = 0
    for path in scripts:
        response = served(path)
        assert response.status_code == 200, path
        body = b"".join(response.streaming_content)
        if len(gzip.decompress(body) if response.get("Content-Encoding") == "gzip" else body) >= 1024:
            assert response["Content-Encoding"] == "gzip", path
        assert response["Cache-Control"] == FOREVER, path
        transferred += len(body)
    print(f"/projects first load: {len(scripts)} scripts, {transferred} bytes transferred")
    assert transferred <= FIRST_LOAD_SHARE * JS_BEFORE_SPLIT


def test_collectstatic_serves_hashed_compressed_copies(settings: Any, tmp_path: Path) -> None:
    settings.STATIC_ROOT = tmp_path / "static"
    call_command("collectstatic", "--noinput", verbosity=0)
    settings.WHITENOISE_USE_FINDERS = False  # serve only what collectstatic wrote, as in an image

    from django.contrib.staticfiles.storage import staticfiles_storage

    assert staticfiles_storage.url("admin/css/base.css") != "/static/admin/css/base.css"
    hashed = served(staticfiles_storage.url("admin/css/base.css"))
    assert hashed.status_code == 200
    assert hashed["Content-Encoding"] == "gzip"
    assert hashed["Cache-Control"] == FOREVER

    # the SPA's own names (Vite's hashes) still resolve, compressed and cached for a year
    index = Client().get("/projects")
    assert index.status_code == 200
    assert index["Cache-Control"] == "no-cache"
    entry = next(src for src in index.content.decode().split('"') if src.startswith("/static/assets/index-"))
    script = served(entry)
    assert script.status_code == 200
    assert script["Content-Encoding"] == "gzip"
    assert script["Cache-Control"] == FOREVER
    assert served("/static/favicon.svg")["Cache-Control"] != FOREVER  # not hashed: revalidated
