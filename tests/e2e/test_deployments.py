"""Browser: deployments by clicking, with their guard-rails: versions picked from a list with their
metrics, a reason required for every change and shown in the history, the quality gate and the
canary-vs-live comparison in the dialogs, chart markers, the settings editor with role checks, and
the version page's deployment history."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def login(page: Any, username: str, password: str) -> None:
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/projects$"))


def pick(page: Any, dialog: Any, label: str, option: str) -> None:
    """Choose an option of a Mantine Select (a combobox whose options render in a portal)."""
    dialog.get_by_label(label, exact=True).click()
    page.get_by_role("option", name=option).click()


@pytest.mark.django_db(transaction=True)
def test_deploy_canary_rollback_by_clicking(page: Any, live_server: Any, world: Any, password: str) -> None:
    from playwright.sync_api import expect

    from shipyard.serving.models import Deployment
    from tests.serving.conftest import fake_version

    fake_version(world.project)
    fake_version(world.project)
    login(page, "owner", password)

    page.goto("/deployments?project=fraud-model")
    expect(page.get_by_text("No deployments yet")).to_be_visible()
    page.get_by_role("button", name="New deployment").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Name").fill("digits")
    pick(page, dialog, "Model", "digits")
    pick(page, dialog, "Version", "v1 · onnx · accuracy 0.95")
    # no reason: nothing is created, and the dialog says why
    dialog.get_by_role("button", name="Confirm").click()
    expect(dialog.get_by_text("A reason is required: it is kept in the history.")).to_be_visible()
    assert not Deployment.objects.exists()
    dialog.get_by_role("textbox", name="Reason").fill("first release")
    dialog.get_by_role("button", name="Confirm").click()
    page.get_by_role("link", name="digits", exact=True).click()
    page.wait_for_url(re.compile(r".*/deployments/fraud-model/digits$"))
    expect(page.get_by_test_id("live-version")).to_have_text("v1")

    page.get_by_role("button", name="Canary", exact=True).click()
    dialog = page.get_by_role("dialog")
    pick(page, dialog, "Version", "v2 · onnx · accuracy 0.95")
    dialog.get_by_label("Weight percent").fill("20")
    dialog.get_by_role("textbox", name="Reason").fill("try v2 on a fifth")
    expect(dialog.get_by_text("will receive 20 % of the requests")).to_be_visible()
    dialog.get_by_role("button", name="Confirm").click()
    expect(page.get_by_test_id("canary")).to_have_text("v2 at 20 %")
    expect(page.get_by_test_id("share-canary")).to_have_text("canary v2: 20 %")

    page.get_by_role("button", name="Rollback").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("textbox", name="Reason").fill("canary looks wrong")
    dialog.get_by_role("button", name="Confirm").click()
    expect(page.get_by_test_id("canary")).to_have_text("v2 at 0 %")
    history = page.get_by_role("table", name="Deployment history")
    expect(history.get_by_text("canary looks wrong")).to_be_visible()
    expect(history.get_by_text("rollback", exact=True)).to_be_visible()

    d = Deployment.objects.get()
    assert d.live_version.number == 1 and d.canary_weight == 0
    assert list(d.events.values_list("kind", flat=True)) == ["rollback", "canary", "create"]
    assert d.events.first().actor == world.owner


@pytest.mark.django_db(transaction=True)
def test_guard_rails_gate_comparison_markers_settings_and_version_history(
    page: Any, live_server: Any, world: Any, password: str
) -> None:
    from django.utils import timezone
    from playwright.sync_api import expect

    from shipyard.serving import lifecycle
    from shipyard.serving.models import Deployment, PredictionRollup
    from tests.serving.conftest import fake_version

    v1 = fake_version(world.project, metrics={"accuracy": 0.95})
    fake_version(world.project, metrics={"accuracy": 0.97})
    lifecycle.deployment_create(
        project=world.project,
        name="digits",
        model=v1.model,
        version=v1,
        by=world.owner,
        reason="first release",
        settings={"quality_threshold": 0.9},
    )
    d = Deployment.objects.get()
    PredictionRollup.objects.create(
        deployment=d,
        version=v1,
        bucket_start=timezone.now().replace(second=0, microsecond=0),
        count=120,
        errors=1,
        latency_hist=[0, 100, 20],
    )
    login(page, "owner", password)
    page.goto("/deployments/fraud-model/digits")

    # canary: the version list shows the metrics, the dialog shows the quality gate
    page.get_by_role("button", name="Canary", exact=True).click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Version", exact=True).click()
    expect(page.get_by_role("option", name="v1 · onnx · accuracy 0.95 (live)")).to_be_visible()
    page.get_by_role("option", name="v2 · onnx · accuracy 0.97").click()
    gate = dialog.get_by_test_id("gate-result")
    expect(gate).to_contain_text("Quality gate: passes")
    expect(gate.get_by_test_id("gate-value")).to_have_text("0.97")
    expect(gate.get_by_test_id("gate-threshold")).to_have_text("0.9")
    expect(gate.get_by_test_id("gate-live")).to_have_text("0.95")
    expect(dialog.get_by_test_id("gate-enforced")).to_have_text(
        re.compile(r"^At 10 % the quality gate is shown, not enforced \(it is enforced above \d+ %\)\.$")
    )
    expect(dialog.get_by_role("button", name="Confirm")).to_be_enabled()
    dialog.get_by_role("button", name="Confirm").click()
    expect(dialog.get_by_text("A reason is required: it is kept in the history.")).to_be_visible()
    expect(dialog.get_by_role("button", name="Confirm")).to_be_disabled()
    dialog.get_by_role("textbox", name="Reason").fill("v2 lifts accuracy by two points")
    dialog.get_by_role("button", name="Confirm").click()
    expect(page.get_by_test_id("canary")).to_have_text("v2 at 10 %")

    # promote: the gate and the canary-vs-live comparison, with a warning: the canary has had no traffic
    page.get_by_role("button", name="Promote").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_test_id("gate-result")).to_contain_text("Quality gate: passes")
    expect(dialog.get_by_test_id("no-traffic")).to_contain_text("The canary has had no traffic")
    comparison = dialog.get_by_role("table", name="Canary against live")
    expect(comparison).to_contain_text("Canary v2")
    expect(comparison).to_contain_text("Live v1")
    expect(comparison.get_by_role("row", name=re.compile("Requests"))).to_contain_text("120")
    dialog.get_by_role("textbox", name="Reason").fill("clean canary, ship it")
    dialog.get_by_role("button", name="Confirm").click()
    expect(page.get_by_test_id("live-version")).to_have_text("v2")

    # the history keeps every reason; the charts mark the canary and the promote
    history = page.get_by_role("table", name="Deployment history")
    for reason in ("first release", "v2 lifts accuracy by two points", "clean canary, ship it"):
        expect(history.get_by_text(reason)).to_be_visible()
    charts = page.get_by_test_id("metrics-charts")
    expect(charts.locator(".recharts-reference-line line").first).to_be_attached()
    expect(charts.get_by_text("promote", exact=True).first).to_be_visible()
    expect(charts.get_by_text("canary", exact=True).first).to_be_visible()

    # settings: an admin edits them, the change is saved and recorded
    page.get_by_role("tab", name="Settings").click()
    expect(page).to_have_url(re.compile(r"\?tab=settings$"))
    page.get_by_label("Max batch size (rows)").fill("64")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_have_text("Settings saved.")
    assert Deployment.objects.get().max_batch_size == 64
    page.get_by_label("New key name").fill("checkout")
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_test_id("new-api-key")).to_be_visible()
    expect(page.get_by_role("table", name="API keys")).to_contain_text("checkout")

    # the version page keeps the deployment history
    page.goto("/projects/fraud-model/models/digits/versions/1")
    history = page.get_by_test_id("version-deployments")
    expect(history).to_contain_text("no longer served")
    expect(history.get_by_text(re.compile(r"^was live \d\d?:\d\d.*–\d\d?:\d\d"))).to_be_visible()
    page.goto("/projects/fraud-model/models/digits/versions/2")
    history = page.get_by_test_id("version-deployments")
    expect(history.get_by_text(re.compile(r"^live since \d\d?:\d\d"))).to_be_visible()
    expect(history.get_by_text(re.compile(r"^was the canary "))).to_be_visible()

    # a member sees the same page with every change disabled, and why
    page.context.clear_cookies()
    login(page, "teammate", password)
    page.goto("/deployments/fraud-model/digits?tab=settings")
    expect(page.get_by_test_id("actions-denied")).to_have_text(
        "Only a maintainer or admin may deploy, canary, promote or roll back (your role: member)."
    )
    expect(page.get_by_role("button", name="Deploy")).to_be_disabled()
    expect(page.get_by_role("button", name="Rollback")).to_be_disabled()
    expect(page.get_by_test_id("settings-denied")).to_contain_text(
        "Only a maintainer or admin may change deployment settings"
    )
    expect(page.get_by_label("Max batch size (rows)")).to_be_disabled()
    expect(page.get_by_role("button", name="Save settings")).to_have_count(0)
