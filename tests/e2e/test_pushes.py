"""Browser: the deployment page lists the pushes from CI (commit, CI run, gate, outcome) and the policy."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.mark.django_db(transaction=True)
def test_deployment_page_shows_pushes(page: Any, live_server: Any, world: Any, password: str) -> None:
    from playwright.sync_api import expect

    from shipyard.ci.models import CIRun
    from shipyard.releases.models import Push, PushPolicy
    from shipyard.serving.lifecycle import deployment_create
    from tests.serving.conftest import fake_version

    v1, v2, v3 = (fake_version(world.project) for _ in range(3))
    d = deployment_create(project=world.project, name="digits", model=v1.model, version=v1, by=world.owner)
    PushPolicy.objects.create(deployment=d, canary_weight=25)
    run = CIRun.objects.create(
        project=world.project, provider="github", external_id="gha-9-1-test", commit="3f2a9c1d" * 5, status="passed"
    )
    gate = {"passed": True, "metric": "accuracy", "value": 0.97333, "live_value": 0.95, "threshold": 0.8}
    Push.objects.create(
        deployment=d,
        version=v2,
        commit="3f2a9c1d" * 5,
        branch="main",
        ci_run=run,
        ci_url="https://github.com/acme/fraud/actions/runs/9",
        status="promoted",
        gate=gate,
        message="v2 promoted: Canary analysis: passed 10 consecutive intervals",
    )
    Push.objects.create(
        deployment=d,
        version=v3,
        commit="b7e4d2a1" * 5,
        branch="main",
        status="gate_failed",
        gate={**gate, "passed": False, "value": 0.61},
        message="Quality gate failed: accuracy 0.61 does not meet the threshold 0.8. Nothing was deployed.",
    )

    page.goto("/login")
    page.fill("input[name=username]", "owner")
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/projects$"))
    page.goto("/deployments/fraud-model/digits")

    table = page.get_by_role("table", name="Pushes from CI")
    expect(table).to_be_visible()
    expect(page.get_by_test_id("push-policy")).to_have_text(
        "Accepts pushes from main only, with a passing CI run for the commit, canary at 25 %."
    )
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(2)
    newest, older = rows.nth(0), rows.nth(1)
    expect(newest.get_by_text("gate failed", exact=True)).to_be_visible()
    expect(newest).to_contain_text("b7e4d2a1b7e4")
    expect(newest).to_contain_text("failed: accuracy 0.61 (live 0.95, threshold 0.8)")
    expect(older.get_by_text("promoted", exact=True)).to_be_visible()
    expect(older).to_contain_text("gha-9-1-test (passed)")
    expect(older.get_by_role("link", name="open")).to_have_attribute(
        "href", "https://github.com/acme/fraud/actions/runs/9"
    )
    expect(older).to_contain_text("passed: accuracy 0.9733")


@pytest.mark.django_db(transaction=True)
def test_deployment_without_pushes_says_how(page: Any, live_server: Any, world: Any, password: str) -> None:
    from playwright.sync_api import expect

    from shipyard.serving.lifecycle import deployment_create
    from tests.serving.conftest import fake_version

    v1 = fake_version(world.project)
    deployment_create(project=world.project, name="digits", model=v1.model, version=v1, by=world.owner)
    page.goto("/login")
    page.fill("input[name=username]", "owner")
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/projects$"))
    page.goto("/deployments/fraud-model/digits")
    expect(page.get_by_text("No pushes yet.")).to_be_visible()
    expect(page.get_by_text("shipyard push model.onnx")).to_be_visible()
