"""Browser: a dataset uploaded from the UI with a progress bar; the dataset's links carry their version."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.mark.django_db(transaction=True)
def test_upload_a_dataset_with_progress(
    page: Any, live_server: Any, world: Any, password: str, settings: Any, tmp_path: Path
) -> None:
    import numpy as np
    import pandas as pd
    from playwright.sync_api import expect

    from shipyard.registry.models import DatasetVersion

    settings.ARTIFACT_ROOT = tmp_path / "artifacts"
    settings.STORAGE_BACKEND = "local"
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(20_000, 8)), columns=[f"f{i}" for i in range(8)])
    frame["label"] = rng.integers(0, 2, size=len(frame))
    csv = tmp_path / "churn.csv"
    frame.to_csv(csv, index=False)  # about 3 MB

    page.goto("/login")
    page.fill("input[name=username]", "owner")
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/projects$"))
    page.goto("/projects/fraud-model/datasets")
    expect(page.get_by_text("No datasets yet")).to_be_visible()
    page.get_by_role("button", name="Upload dataset").click()
    form = page.get_by_role("form", name="Upload a dataset version")
    form.get_by_label("Dataset name").fill("churn")
    form.locator("input[type=file]").set_input_files(str(csv))
    expect(form.get_by_role("combobox", name="Format")).to_have_value("CSV (.csv)")
    form.get_by_label("Label column").fill("label")
    # a slow link, so that the upload takes a few seconds and its progress shows
    cdp = page.context.new_cdp_session(page)
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 1_000_000},
    )
    form.get_by_role("button", name="Upload dataset").click()
    expect(form.get_by_role("progressbar", name="Upload progress")).to_be_visible()
    expect(form.get_by_test_id("upload-progress")).to_have_text(re.compile(r"Uploading… \d+%"))
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )

    # the new version opens, its URL holds the version
    expect(page).to_have_url(re.compile(r"/projects/fraud-model/datasets/churn\?version=1$"), timeout=60_000)
    expect(page.get_by_role("combobox", name="Version")).to_have_value("v1 · 20000 rows")
    expect(page.get_by_test_id("dataset-schema")).to_contain_text("label")
    assert DatasetVersion.objects.get(dataset__name="churn").row_count == 20_000

    # the datasets list links to the version it shows
    page.goto("/projects/fraud-model/datasets")
    link = page.get_by_role("link", name="churn")
    expect(link).to_have_attribute("href", "/projects/fraud-model/datasets/churn?version=1")
