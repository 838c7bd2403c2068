"""Browser: a deployment with a shadow shows its agreement with live, both latencies and the
rows where they disagree."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.mark.django_db(transaction=True)
def test_shadow_agreement_and_latency(page: Any, live_server: Any, world: Any, password: str) -> None:
    from django.utils import timezone
    from playwright.sync_api import expect

    from shipyard.serving import lifecycle
    from shipyard.serving.models import Deployment, ShadowLog
    from shipyard.serving.shadow_service import shadow_start
    from tests.serving.conftest import fake_version

    v1, v2 = fake_version(world.project), fake_version(world.project)
    d = lifecycle.deployment_create(
        project=world.project, name="digits", model=v1.model, version=v1, by=world.owner, reason="first"
    )
    d = shadow_start(deployment=d, version=v2, share=0.5, by=world.owner, reason="does v2 agree")
    now = timezone.now()
    Deployment.objects.filter(pk=d.pk).update(shadow_started_at=now - dt.timedelta(minutes=1))
    ShadowLog.objects.bulk_create(
        ShadowLog(
            created_at=now - dt.timedelta(seconds=i),
            deployment=d,
            live_version=v1,
            shadow_version=v2,
            request_id=f"req-{i}",
            live_output=i % 10,
            shadow_output=i % 10 if i % 5 else 7,
            agree=bool(i % 5) or i % 10 == 7,
            live_ms=4.0,
            shadow_ms=6.0,
        )
        for i in range(1, 21)
    )

    page.goto("/login")
    page.fill("input[name=username]", "owner")
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/projects$"))
    page.goto("/deployments/fraud-model/digits")

    panel = page.get_by_test_id("shadow-panel")
    expect(panel.get_by_text("v2 gets 50 % of requests, answers never returned")).to_be_visible()
    # rows 5, 10, 15, 20 disagree (shadow said 7, live 5, 0, 5, 0): 16 of 20 agree
    expect(page.get_by_test_id("shadow-agreement")).to_have_text("80 %")
    expect(page.get_by_test_id("shadow-count")).to_have_text("20")
    expect(page.get_by_test_id("shadow-live-latency")).to_have_text("4 ms / 4 ms")
    expect(page.get_by_test_id("shadow-latency")).to_have_text("6 ms / 6 ms")
    expect(page.get_by_test_id("shadow-agreement-chart").locator(".recharts-line")).to_have_count(1)
    table = page.get_by_role("table", name="Shadow disagreements")
    expect(table.get_by_role("row")).to_have_count(5)
    expect(table.get_by_text("req-15")).to_be_visible()
