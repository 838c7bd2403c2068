"""Browser journey: "Export for devices" on a model version page, Core ML with one edge profile; the
job's progress then its report in the modal; the exported version downloads under a name for Apple."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.factories import MembershipFactory, ProjectFactory, TeamFactory, UserFactory
from tests.jobs.conftest import compact_weights, register_compact  # noqa: F401 (compact_weights is a fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_export_for_devices_from_the_version_page(
    page: Any,
    password: str,
    celery_worker: Any,
    compact_weights: Path,  # noqa: F811 (the imported fixture)
) -> None:
    from shipyard.jobs.models import EdgeProfile

    user = UserFactory(username="ada")
    team = TeamFactory(slug="acme", name="Acme ML")
    MembershipFactory(user=user, team=team, role="member")
    project = ProjectFactory(team=team, slug="digits", name="Digits")
    register_compact(project, compact_weights, by=user)
    EdgeProfile.objects.create(
        project=project, name="phone", max_size_bytes=5_000_000, max_latency_ms=20, min_accuracy=0.8
    )
    EdgeProfile.objects.create(project=project, name="watch", max_size_bytes=1000, max_latency_ms=5, min_accuracy=0.9)

    page.goto("/login")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    page.goto("/projects/digits/models/digits-compact/versions/1")
    page.get_by_test_id("export-for-devices").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("checkbox", name="watch")).to_be_checked()
    dialog.get_by_text("Core ML (Apple)").click()
    dialog.get_by_text("fp16").click()
    dialog.get_by_role("checkbox", name="watch").uncheck()
    dialog.get_by_role("button", name="Start export").click()

    # progress while it runs, then the report: the spec, and what could not be measured on the server
    job = dialog.get_by_test_id("edge-export-job")
    expect(job.get_by_test_id("job-progress")).to_be_visible()
    expect(job.get_by_test_id("job-status")).to_have_text("succeeded", timeout=180_000)
    report = job.get_by_test_id("job-report")
    expect(report.get_by_text("Core ML spec")).to_be_visible()
    expect(report.get_by_role("cell", name="phone")).to_be_visible()
    expect(report.get_by_role("cell", name="watch")).to_have_count(0)
    expect(report.get_by_text("size checked only")).to_be_visible()

    # the exported version's download is named for the platform
    page.goto("/projects/digits/models/digits-compact/versions/2")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download artifact").click()
    assert download.value.suggested_filename == "digits-compact-v2.mlpackage.zip"
