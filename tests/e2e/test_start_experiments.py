"""Browser: from the deployment page a maintainer starts a bandit (the arms' panel appears), stops it,
and starts shadow traffic (the shadow's panel appears); a member sees those items disabled and may
register an ensemble."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.test_shell import login

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _digits(world: Any) -> Any:
    """Deployment "digits" with v1 live and v2 registered; returns v1."""
    from shipyard.serving import lifecycle
    from tests.serving.conftest import fake_version

    v1, _ = fake_version(world.project), fake_version(world.project)
    lifecycle.deployment_create(
        project=world.project, name="digits", model=v1.model, version=v1, by=world.owner, reason="first"
    )
    return v1


@pytest.mark.django_db(transaction=True)
def test_start_a_bandit_stop_it_and_start_a_shadow(
    page: Any, live_server: Any, world: Any, password: str, redis_client: Any
) -> None:
    from playwright.sync_api import expect

    from shipyard.serving.models import Deployment, DeploymentEvent, EventKind

    _digits(world)
    login(page, "owner", password)
    page.wait_for_url(re.compile(r".*/projects$"))
    page.goto("/deployments/fraud-model/digits")
    expect(page.get_by_test_id("canary")).to_have_text("none")
    expect(page.get_by_test_id("bandit-panel")).to_have_count(0)

    page.get_by_role("button", name="Experiments").click()
    page.get_by_role("menuitem", name="Start a bandit…").click()
    dialog = page.get_by_role("dialog", name="Start a bandit")
    expect(dialog.get_by_test_id("bandit-reward")).to_contain_text("a correct answer is 1, a wrong one 0")
    # v1 (live) is an arm already; the first try without a second arm names the field
    dialog.get_by_role("button", name="Start bandit").click()
    expect(dialog.get_by_text("Pick two versions or more to choose between.")).to_be_visible()
    dialog.get_by_role("checkbox", name=re.compile(r"^v2 · onnx")).check()
    dialog.get_by_text("Epsilon-greedy").click()
    epsilon = dialog.get_by_role("textbox", name="Epsilon")
    epsilon.fill("0.2")
    reason = dialog.get_by_role("textbox", name="Reason")
    reason.fill("which digits model is better")
    reason.press("Enter")

    expect(page.get_by_role("dialog")).to_have_count(0)
    panel = page.get_by_test_id("bandit-panel")
    expect(panel).to_be_visible()
    expect(panel.get_by_text("epsilon-greedy (ε 0.2)")).to_be_visible()
    expect(page.get_by_test_id("canary")).to_have_text("v1 · v2")
    arms = page.get_by_role("table", name="Bandit arms")
    expect(arms.get_by_test_id("arm-v1")).to_be_visible()
    expect(arms.get_by_test_id("arm-v2")).to_be_visible()
    d = Deployment.objects.get(name="digits")
    assert d.bandit_policy == "epsilon_greedy" and d.bandit_epsilon == pytest.approx(0.2)
    event = DeploymentEvent.objects.filter(deployment=d, kind=EventKind.BANDIT).get()
    assert event.reason == "which digits model is better" and event.detail["versions"] == [1, 2]

    page.get_by_role("button", name="Experiments").click()
    page.get_by_role("menuitem", name="Stop the bandit…").click()
    stop = page.get_by_role("dialog", name="Stop the bandit")
    stop.get_by_role("textbox", name="Reason").fill("v2 is better")
    stop.get_by_role("button", name="Stop bandit").click()
    expect(page.get_by_test_id("bandit-panel")).to_have_count(0)
    expect(page.get_by_test_id("canary")).to_have_text("none")

    page.get_by_role("button", name="Experiments").click()
    page.get_by_role("menuitem", name="Start shadow traffic…").click()
    shadow = page.get_by_role("dialog", name="Start shadow traffic")
    # live v1 is not offered: v2 is picked
    expect(shadow.get_by_role("textbox", name="Share of requests mirrored (%)")).to_have_value("100 %")
    share = shadow.get_by_role("textbox", name="Share of requests mirrored (%)")
    share.fill("50")
    share.press("Enter")
    expect(
        page.get_by_test_id("shadow-panel").get_by_text("v2 gets 50 % of requests, answers never returned")
    ).to_be_visible()
    d.refresh_from_db()
    assert d.shadow_version is not None and d.shadow_version.number == 2 and d.shadow_share == 0.5

    # Esc closes a form without a change
    page.get_by_role("button", name="Experiments").click()
    page.get_by_role("menuitem", name="Stop the shadow…").click()
    expect(page.get_by_role("dialog", name="Stop the shadow")).to_be_visible()
    # focus moves from the menu item into the form once it has opened (a menu item keeps Esc to itself)
    page.wait_for_function("() => document.activeElement?.closest('[role=dialog]') != null")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert Deployment.objects.get(pk=d.pk).shadow_version_id is not None


@pytest.mark.django_db(transaction=True)
def test_a_member_cannot_route_but_registers_an_ensemble(
    page: Any, live_server: Any, world: Any, password: str, redis_client: Any
) -> None:
    from playwright.sync_api import expect

    v1 = _digits(world)
    login(page, "teammate", password)
    page.wait_for_url(re.compile(r".*/projects$"))
    page.goto("/deployments/fraud-model/digits")
    page.get_by_role("button", name="Experiments").click()
    expect(
        page.get_by_text("Only a maintainer or admin may start or stop a bandit or a shadow (your role: member).")
    ).to_be_visible()
    expect(page.get_by_role("menuitem", name="Start a bandit…")).to_be_disabled()
    expect(page.get_by_role("menuitem", name="Start shadow traffic…")).to_be_disabled()
    page.get_by_role("menuitem", name="Register an ensemble…").click()
    dialog = page.get_by_role("dialog", name="Register an ensemble")
    dialog.get_by_role("checkbox", name=re.compile(r"^v1 · onnx")).check()
    dialog.get_by_role("checkbox", name=re.compile(r"^v2 · onnx")).check()
    dialog.get_by_role("button", name="Register ensemble").click()
    expect(page.get_by_test_id("ensemble-created")).to_contain_text("Registered digits v3: ensemble (mean) of v1 + v2")
    assert v1.model.versions.get(number=3).format == "ensemble"
