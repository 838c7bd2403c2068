"""Browser: a deployment routed by a bandit shows each arm's share and posterior, now and over time."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.mark.django_db(transaction=True)
def test_bandit_arms_share_and_posterior(
    page: Any, live_server: Any, world: Any, password: str, redis_client: Any
) -> None:
    from django.utils import timezone
    from playwright.sync_api import expect

    from shipyard.monitoring.models import Feedback
    from shipyard.serving import lifecycle
    from shipyard.serving.bandit_service import bandit_rebuild, bandit_start
    from shipyard.serving.models import Deployment, PredictionRollup
    from tests.serving.conftest import fake_version

    v1, v2 = fake_version(world.project), fake_version(world.project)
    d = lifecycle.deployment_create(
        project=world.project, name="digits", model=v1.model, version=v1, by=world.owner, reason="first"
    )
    d = bandit_start(deployment=d, versions=[v1, v2], by=world.owner, reason="which digits model is better")
    start = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(minutes=3)
    Deployment.objects.filter(pk=d.pk).update(bandit_started_at=start)
    # three minutes of traffic: v2 takes over as its rewards come in
    for minute, (n1, n2, ok1, ok2) in enumerate([(50, 50, 35, 45), (30, 70, 21, 63), (10, 90, 7, 81)]):
        t = start + dt.timedelta(minutes=minute)
        for version, n, ok in ((v1, n1, ok1), (v2, n2, ok2)):
            PredictionRollup.objects.create(deployment=d, version=version, bucket_start=t, count=n, latency_hist=[])
            for i in range(n):
                fb = Feedback.objects.create(
                    deployment=d,
                    request_id=f"r-{version.pk}-{minute}-{i}",
                    version_id=version.pk,
                    predicted_at=t,
                    inputs=[0.0],
                    prediction=1,
                    label=1 if i < ok else 2,
                    correct=i < ok,
                )
                Feedback.objects.filter(pk=fb.pk).update(created_at=t + dt.timedelta(seconds=5))
    assert bandit_rebuild(deployment=Deployment.objects.get(pk=d.pk), force=True)

    page.goto("/login")
    page.fill("input[name=username]", "owner")
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/projects$"))
    page.goto("/deployments/fraud-model/digits")

    expect(page.get_by_test_id("canary")).to_have_text("v1 · v2")
    panel = page.get_by_test_id("bandit-panel")
    expect(panel.get_by_text("Thompson sampling")).to_be_visible()
    arms = page.get_by_role("table", name="Bandit arms")
    # v1: 90 of 300 requests, 63 right of 90; v2: 210, 189 of 210 -> Beta(190, 22) mean 89.6 %
    v1_row, v2_row = arms.get_by_test_id("arm-v1"), arms.get_by_test_id("arm-v2")
    expect(v1_row).to_contain_text("30 %")
    expect(v1_row).to_contain_text("63 / 27")
    expect(v2_row).to_contain_text("70 %")
    expect(v2_row).to_contain_text("189 / 21")
    expect(v2_row).to_contain_text("89.6 %")
    for chart in ("bandit-share-chart", "bandit-posterior-chart"):
        box = page.get_by_test_id(chart)
        expect(box.locator(".recharts-line")).to_have_count(2)
        expect(box.get_by_text("v2").first).to_be_visible()
    # one line point per minute and arm: the share of v2 climbs 50 -> 70 -> 90 %
    expect(page.get_by_test_id("bandit-share-chart").locator(".recharts-line-curve")).to_have_count(2)
