"""Browser: the flywheel's "Add to dataset" is a review (pick rows, drop duplicates, see the target
dataset and the version it creates, confirm); added rows leave the mistakes list; new versions are
links that carry their version; image-like inputs render as images; the drift table is searchable,
sortable, with a choice of the displayed measure."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.factories import MembershipFactory, ProjectFactory, TeamFactory, UserFactory
from tests.monitoring.conftest import make_setup

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _login(page: Any, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill("grace")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/projects$"))


def test_add_to_dataset_review_and_drift_table_tools(page: Any, password: str, settings: Any, tmp_path: Path) -> None:
    from shipyard.monitoring import demo
    from shipyard.monitoring.models import Feedback, FlywheelExport

    settings.ARTIFACT_ROOT = tmp_path / "artifacts"
    settings.STORAGE_BACKEND = "local"
    user = UserFactory(username="grace")
    team = TeamFactory(slug="acme", name="Acme ML")
    MembershipFactory(user=user, team=team, role="admin")
    project = ProjectFactory(team=team, slug="fraud-model", name="Fraud model")
    deployment = make_setup(project, tmp_path)
    demo.simulate(deployment, predictions=300, hours=24, drift_features=1, checkpoints=2)
    mistakes = list(Feedback.objects.filter(deployment=deployment, correct=False).order_by("predicted_at", "id"))
    assert len(mistakes) >= 3
    first = mistakes[0]
    Feedback.objects.create(  # the same correction twice
        deployment=deployment,
        request_id="dup-of-first",
        version_id=first.version_id,
        predicted_at=first.predicted_at,
        inputs=first.inputs,
        prediction=first.prediction,
        label=first.label,
        confidence=first.confidence,
        correct=False,
    )
    total = len(mistakes) + 1
    _login(page, password)

    # the drift table: search, sort and the measure shown
    page.goto("/monitoring/fraud-model/tabular")
    table = page.get_by_role("table", name="Drift per feature")
    expect(table).to_be_visible()
    count = page.get_by_test_id("drift-count")
    expect(count).to_have_text(re.compile(r"^5 of 5 features$"))
    page.get_by_label("Search features").fill("f2")
    expect(count).to_have_text("1 of 5 features")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(page.get_by_test_id("drift-row-f2")).to_be_visible()
    page.get_by_label("Search features").fill("nothing-like-it")
    expect(table).to_contain_text("No feature matches")
    page.get_by_label("Search features").fill("")
    page.get_by_role("combobox", name="Sort by").click()
    page.get_by_role("option", name="Feature name").click()
    names = table.locator("tbody tr").evaluate_all("rows => rows.map(r => r.dataset.testid)")
    assert names == sorted(names, key=lambda n: n.replace("drift-row-", "")), names
    page.get_by_role("combobox", name="Measure shown").click()
    page.get_by_role("option", name="Kolmogorov-Smirnov statistic").click()
    expect(page.get_by_test_id("drift-row-f0")).to_contain_text("Kolmogorov-Smirnov statistic")

    # every deployment has error-rate and latency monitors, with their thresholds editable
    page.get_by_role("tab", name="Monitors").click()
    expect(page.get_by_test_id("monitor-error_rate")).to_contain_text("Error rate")
    expect(page.get_by_test_id("monitor-latency")).to_contain_text("Latency")
    expect(page.get_by_label("Error-rate alert above (0–1)")).to_have_value("0.05")
    expect(page.get_by_label("Latency alert above (p99, ms)")).to_have_value("1000")

    # the flywheel: "Add to dataset" opens a review
    page.get_by_role("tab", name="Flywheel").click()
    expect(page.get_by_role("table", name="Mistakes")).to_be_visible()
    page.get_by_role("button", name="Add to dataset").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_test_id("export-target")).to_contain_text("tabular-data v1 → creates v2")
    rows = dialog.get_by_test_id("review-row")
    expect(rows).to_have_count(total)
    duplicate = rows.filter(has=page.get_by_text("duplicate", exact=True))
    expect(duplicate).to_have_count(1)
    expect(duplicate.get_by_role("checkbox")).to_be_disabled()
    expect(duplicate.get_by_role("checkbox")).not_to_be_checked()
    # leave one more row out by hand
    rows.filter(has_not=page.get_by_text("duplicate", exact=True)).first.get_by_role("checkbox").uncheck()
    chosen = total - 2
    expect(dialog.get_by_test_id("export-target")).to_contain_text(f"with {chosen} corrected examples added")
    dialog.get_by_role("button", name=f"Create tabular-data v2 with {chosen} rows").click()
    link = dialog.get_by_test_id("new-dataset-version")
    expect(link).to_have_text("tabular-data v2")
    export = FlywheelExport.objects.get()
    assert export.examples == chosen and export.dataset_version.number == 2
    assert "dup-of-first" not in {fb.request_id for fb in Feedback.objects.filter(pk__in=export.feedback_ids)}

    # the rows added leave the mistakes list; the new version is a link
    dialog.get_by_role("button", name="Done").click()
    expect(
        page.get_by_role("table", name="Dataset versions from feedback").get_by_role("link", name="tabular-data v2")
    ).to_be_visible()
    expect(page.get_by_role("table", name="Mistakes").locator("tbody tr")).to_have_count(total - chosen)
    page.get_by_role("table", name="Dataset versions from feedback").get_by_role("link", name="tabular-data v2").click()
    expect(page).to_have_url(re.compile(r"/projects/fraud-model/datasets/tabular-data\?version=2$"))
    expect(page.get_by_role("combobox", name="Version")).to_have_value(re.compile(r"^v2 · "))


def test_image_like_inputs_render_as_images(page: Any, password: str, settings: Any, tmp_path: Path) -> None:
    from django.utils import timezone
    from sklearn.datasets import load_digits

    from shipyard.monitoring.models import Feedback

    settings.ARTIFACT_ROOT = tmp_path / "artifacts"
    settings.STORAGE_BACKEND = "local"
    user = UserFactory(username="grace")
    team = TeamFactory(slug="acme", name="Acme ML")
    MembershipFactory(user=user, team=team, role="admin")
    project = ProjectFactory(team=team, slug="fraud-model", name="Fraud model")
    deployment = make_setup(project, tmp_path, name="digits")
    x, y = load_digits(return_X_y=True)
    for i in range(3):
        Feedback.objects.create(
            deployment=deployment,
            request_id=f"digit-{i}",
            version_id=deployment.live_version_id,
            predicted_at=timezone.now(),
            inputs=x[i].tolist(),
            prediction=int((y[i] + 1) % 10),
            label=int(y[i]),
            confidence=0.9,
            correct=False,
        )
    _login(page, password)
    page.goto("/monitoring/fraud-model/digits?tab=flywheel")
    mistakes = page.get_by_role("table", name="Mistakes")
    expect(mistakes.get_by_role("img", name="8×8 image input")).to_have_count(3)
    # 64 grey-level cells, dark where the digit is drawn
    assert mistakes.get_by_test_id("input-image").first.locator("rect").count() == 64
