"""Browser journey: the drift table of (test-created) demo traffic flags the drifted features, and the
flywheel dashboard's daily table is filled."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.factories import MembershipFactory, ProjectFactory, TeamFactory, UserFactory
from tests.monitoring.conftest import make_setup

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_drift_table_and_flywheel(page: Any, password: str, settings: Any, tmp_path: Path) -> None:
    from shipyard.monitoring import demo

    settings.ARTIFACT_ROOT = tmp_path / "artifacts"
    settings.STORAGE_BACKEND = "local"
    user = UserFactory(username="grace")
    team = TeamFactory(slug="acme", name="Acme ML")
    MembershipFactory(user=user, team=team, role="admin")
    project = ProjectFactory(team=team, slug="fraud-model", name="Fraud model")
    deployment = make_setup(project, tmp_path)
    result = demo.simulate(deployment, predictions=500, hours=48, drift_features=2, checkpoints=3)
    drifted = result["drifted_features"]

    page.goto("/monitoring")
    expect(page).to_have_url(re.compile(r"/login"))
    page.get_by_label("Username").fill("grace")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()

    # Overview: the deployment, failing, links to its page.
    expect(page.get_by_role("heading", name="Monitoring")).to_be_visible()
    row = page.get_by_test_id("overview-row").first
    expect(row).to_contain_text("fraud-model / tabular")
    row.get_by_role("link", name="fraud-model / tabular").click()

    # Drift table: drifted features flagged, the others not.
    table = page.get_by_role("table", name="Drift per feature")
    expect(table).to_be_visible()
    for name in drifted:
        expect(page.get_by_test_id(f"drift-row-{name}")).to_have_attribute("data-status", "fail")
        expect(page.get_by_test_id(f"drift-row-{name}").get_by_role("img", name="Failing")).to_be_visible()
    calm = next(n for n in ("f0", "f1", "f2", "f3") if n not in drifted)
    expect(page.get_by_test_id(f"drift-row-{calm}")).to_have_attribute("data-status", "ok")
    expect(table).to_contain_text("Population stability index")

    # Flywheel: the daily table is filled.
    page.get_by_role("tab", name="Flywheel").click()
    daily = page.get_by_role("table", name="Flywheel per day")
    expect(daily).to_be_visible()
    expect(page.get_by_test_id("flywheel-day").first).to_be_visible()
    assert page.get_by_test_id("flywheel-day").count() >= 2
    expect(page.get_by_text("% confident predictions")).to_be_visible()
    expect(page.get_by_role("table", name="Mistakes")).to_be_visible()


def test_ingest_lag_and_undecodable_rows_are_shown(page: Any, password: str, settings: Any, tmp_path: Path) -> None:
    import datetime as dt

    import numpy as np
    from django.db import connection
    from django.utils import timezone

    from shipyard.monitoring import ingest, ingestion, reference
    from tests.monitoring.conftest import log_predictions

    settings.ARTIFACT_ROOT = tmp_path / "artifacts"
    settings.STORAGE_BACKEND = "local"
    user = UserFactory(username="grace")
    team = TeamFactory(slug="acme", name="Acme ML")
    MembershipFactory(user=user, team=team, role="admin")
    project = ProjectFactory(team=team, slug="fraud-model", name="Fraud model")
    deployment = make_setup(project, tmp_path)
    config = reference.config_for(deployment)
    config.deployment = deployment
    reference.reference_ensure(config)
    rng = np.random.default_rng(3)
    ids = log_predictions(deployment, rng.normal(size=(100, 4)), start=timezone.now() - dt.timedelta(minutes=30))
    with connection.cursor() as cur:
        cur.execute("UPDATE serving_predictionlog SET inputs = %s WHERE request_id = %s", [b"\x05abc", ids[7]])
    ingest.ingest(config)
    log_predictions(
        deployment, rng.normal(size=(250, 4)), prefix="late", start=timezone.now() - dt.timedelta(minutes=20)
    )
    ingestion.lag_record(config)

    page.goto("/monitoring/fraud-model/tabular")
    page.get_by_label("Username").fill("grace")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Monitoring is behind the prediction log")).to_be_visible()
    expect(page.get_by_text("250 logged predictions are not ingested yet", exact=False)).to_be_visible()
    expect(page.get_by_text("Undecodable log rows skipped")).to_be_visible()
    expect(page.get_by_text(ids[7], exact=False)).to_be_visible()
    expect(page.get_by_label("Ingest status")).to_contain_text("Ingested 99 predictions")
    expect(page.get_by_label("Ingest status")).to_contain_text("1 invalid")
