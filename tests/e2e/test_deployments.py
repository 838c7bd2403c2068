"""Browser: create a deployment, canary a second version with the weight control, roll back, all by clicking."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.mark.django_db(transaction=True)
def test_deploy_canary_rollback_by_clicking(page: Any, live_server: Any, world: Any, password: str) -> None:
    from playwright.sync_api import expect

    from shipyard.serving.models import Deployment
    from tests.serving.conftest import fake_version

    fake_version(world.project)
    fake_version(world.project)

    page.goto("/login")
    page.fill("input[name=username]", "owner")
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/projects$"))

    page.goto("/deployments?project=fraud-model")
    expect(page.get_by_text("No deployments yet")).to_be_visible()
    page.get_by_role("button", name="New deployment").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Name").fill("digits")
    dialog.get_by_label("Model").fill("digits")
    dialog.get_by_label("Version").fill("1")
    dialog.get_by_label("Reason", exact=True).fill("first release")
    dialog.get_by_role("button", name="Confirm").click()
    page.get_by_role("link", name="digits", exact=True).click()
    page.wait_for_url(re.compile(r".*/deployments/fraud-model/digits$"))
    expect(page.get_by_test_id("live-version")).to_have_text("v1")

    page.get_by_role("button", name="Canary", exact=True).click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Version").fill("2")
    dialog.get_by_label("Weight percent").fill("20")
    dialog.get_by_label("Reason", exact=True).fill("try v2 on a fifth")
    expect(dialog.get_by_text("will receive 20 % of the requests")).to_be_visible()
    dialog.get_by_role("button", name="Confirm").click()
    expect(page.get_by_test_id("canary")).to_have_text("v2 at 20 %")
    expect(page.get_by_test_id("share-canary")).to_have_text("canary v2: 20 %")

    page.get_by_role("button", name="Rollback").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Reason", exact=True).fill("canary looks wrong")
    dialog.get_by_role("button", name="Confirm").click()
    expect(page.get_by_test_id("canary")).to_have_text("v2 at 0 %")
    history = page.get_by_role("table", name="Deployment history")
    expect(history.get_by_text("canary looks wrong")).to_be_visible()
    expect(history.get_by_text("rollback", exact=True)).to_be_visible()

    d = Deployment.objects.get()
    assert d.live_version.number == 1 and d.canary_weight == 0
    assert list(d.events.values_list("kind", flat=True)) == ["rollback", "canary", "create"]
    assert d.events.first().actor == world.owner
