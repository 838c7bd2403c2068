"""An axe-core scan of the rubric, deployment, monitoring (drift and flywheel) and CI Setup pages
finds no serious or critical violation, in light and dark mode and at 390 px; the same pass
refreshes the screenshots in docs/screenshots/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.factories import MembershipFactory, ProjectFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

REPO = Path(__file__).resolve().parents[2]
AXE = REPO / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = REPO / "docs" / "screenshots"

# name, address, what shows once the page has its data
PAGES = [
    ("rubric", "/projects/fraud-model/rubric", lambda p: p.locator("section[aria-labelledby^=section-title-]").first),
    ("deployment", "/deployments/fraud-model/tabular", lambda p: p.get_by_test_id("live-version")),
    (
        "deployment-settings",
        "/deployments/fraud-model/tabular?tab=settings",
        lambda p: p.get_by_role("button", name="Save settings"),
    ),
    ("monitoring", "/monitoring/fraud-model/tabular", lambda p: p.get_by_role("table", name="Drift per feature")),
    (
        "flywheel",
        "/monitoring/fraud-model/tabular?tab=flywheel",
        lambda p: p.get_by_role("table", name="Flywheel per day"),
    ),
    ("ci-setup", "/projects/fraud-model?tab=ci-setup", lambda p: p.get_by_test_id("ci-recipe-github")),
]
VARIANTS = [  # name, viewport, colour scheme
    ("light", {"width": 1280, "height": 800}, "light"),
    ("dark", {"width": 1280, "height": 800}, "dark"),
    ("390", {"width": 390, "height": 844}, "light"),
]

RUN_AXE = """async () => {
  const result = await axe.run(document, { resultTypes: ['violations'] });
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 3).map((n) => `${n.target.join(' ')} ${n.any[0]?.message ?? ''}`) }));
}"""


@pytest.fixture
def world(password: str, settings: Any, tmp_path: Path) -> str:
    from shipyard.monitoring import demo
    from tests.monitoring.conftest import make_setup

    settings.ARTIFACT_ROOT = tmp_path / "artifacts"
    settings.STORAGE_BACKEND = "local"
    user = UserFactory(username="grace")
    team = TeamFactory(slug="acme", name="Acme ML")
    MembershipFactory(user=user, team=team, role="admin")
    project = ProjectFactory(team=team, slug="fraud-model", name="Fraud model")
    deployment = make_setup(project, tmp_path)
    demo.simulate(deployment, predictions=300, hours=48, drift_features=2, checkpoints=3)
    return password


def test_pages_have_no_serious_accessibility_violations(browser: Any, live_server: Any, world: str) -> None:
    assert AXE.exists(), "run `npm install` in frontend/ (axe-core is a devDependency)"
    SHOTS.mkdir(parents=True, exist_ok=True)
    found: dict[str, list[Any]] = {}
    for variant, viewport, scheme in VARIANTS:
        # the page's CSP allows no inline script: the scanner is injected with the CSP bypassed
        context = browser.new_context(base_url=live_server.url, viewport=viewport, color_scheme=scheme, bypass_csp=True)
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("Username").fill("grace")
        page.get_by_label("Password").fill(world)
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(re.compile(r"/projects$"))
        for name, url, ready in PAGES:
            page.goto(url)
            expect(ready(page)).to_be_visible()
            page.wait_for_load_state("networkidle")
            page.add_script_tag(path=str(AXE))
            violations = page.evaluate(RUN_AXE)
            if violations:
                found[f"{name} ({variant})"] = violations
            page.screenshot(path=str(SHOTS / f"{name}-{variant}.png"))
        context.close()
    report = "\n".join(
        f"{page}: {v['impact']} {v['id']} ({v['help']}): {'; '.join(v['targets'])}"
        for page, vs in found.items()
        for v in vs
    )
    assert found == {}, report
