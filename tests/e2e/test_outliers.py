"""Browser: the deployment page's outlier detection card: fitting without a training dataset says
why, and a fitted detector shows its state, threshold and the last hour's outlier rate."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.mark.django_db(transaction=True)
def test_outlier_card(page: Any, live_server: Any, world: Any, password: str) -> None:
    from django.utils import timezone
    from playwright.sync_api import expect

    from shipyard.serving import lifecycle
    from shipyard.serving.models import OutlierDetector, PredictionLog
    from tests.serving.conftest import fake_version

    v1 = fake_version(world.project)
    d = lifecycle.deployment_create(
        project=world.project, name="digits", model=v1.model, version=v1, by=world.owner, reason="first"
    )

    page.goto("/login")
    page.fill("input[name=username]", "owner")
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/projects$"))
    page.goto("/deployments/fraud-model/digits")
    expect(page.get_by_test_id("outlier-empty")).to_be_visible()
    page.get_by_role("button", name="Fit detector").click()
    expect(page.get_by_test_id("fit-error")).to_contain_text("has no training dataset")

    OutlierDetector.objects.create(
        deployment=d, version=v1, state="ready", threshold=12.03, quantile=0.99, training_rows=1797, artifact_key="k"
    )
    now = timezone.now()
    PredictionLog.objects.bulk_create(
        PredictionLog(
            created_at=now,
            deployment=d,
            version=v1,
            request_id=f"r-{i}",
            inputs=[0.0],
            outputs=1,
            latency_ms=1.0,
            outlier_score=20.0 if i < 2 else 3.0,
            is_outlier=i < 2,
        )
        for i in range(8)
    )
    page.reload()
    expect(page.get_by_test_id("detector-state")).to_have_text("ready")
    expect(page.get_by_test_id("outlier-rate")).to_have_text("25 % (2 of 8)")
    expect(page.get_by_test_id("detector-threshold")).to_contain_text("12.03")
    expect(page.get_by_test_id("detector-threshold")).to_contain_text("99 % of 1,797 training rows below")
