"""Browser: canary an ensemble version by clicking; the deployment page names its members."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.mark.django_db(transaction=True)
def test_canary_an_ensemble(page: Any, live_server: Any, world: Any, password: str) -> None:
    from playwright.sync_api import expect

    from shipyard.serving import lifecycle
    from shipyard.serving.ensembles import ensemble_version_create
    from tests.serving.conftest import fake_version

    v1, v2 = fake_version(world.project), fake_version(world.project)
    ensemble_version_create(model=v1.model, members=[v1, v2], combine="weighted", weights=[2, 1])
    lifecycle.deployment_create(
        project=world.project, name="digits", model=v1.model, version=v1, by=world.owner, reason="first"
    )

    page.goto("/login")
    page.fill("input[name=username]", "owner")
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/projects$"))
    page.goto("/deployments/fraud-model/digits")
    expect(page.get_by_test_id("live-version")).to_have_text("v1")
    expect(page.get_by_test_id("live-ensemble")).to_have_count(0)

    page.get_by_role("button", name="Canary", exact=True).click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Version", exact=True).click()  # a Mantine Select: options render in a portal
    page.get_by_role("option", name=re.compile(r"^v3 · ensemble")).click()
    dialog.get_by_label("Weight percent").fill("10")
    dialog.get_by_role("textbox", name="Reason").fill("try the ensemble")
    dialog.get_by_role("button", name="Confirm").click()
    expect(page.get_by_test_id("canary")).to_have_text("v3 at 10 %")
    expect(page.get_by_test_id("canary-ensemble")).to_have_text("ensemble (weighted weights 2:1) of v1 + v2")
