"""Browser journey: upload an ONNX model from the browser, see its model card and lineage."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from shipyard.registry.aliases import alias_set
from shipyard.registry.datasets import dataset_version_create
from shipyard.registry.versions import model_version_create
from tests.factories import MembershipFactory, ProjectFactory, TeamFactory, UserFactory, onnx_bytes
from tests.registry.conftest import csv_bytes

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_upload_model_see_card_and_lineage(page: Any, password: str, settings: Any, tmp_path: Path) -> None:
    settings.ARTIFACT_ROOT = tmp_path / "artifacts"
    user = UserFactory(username="grace")
    team = TeamFactory(slug="acme", name="Acme ML")
    MembershipFactory(user=user, team=team, role="admin")
    project = ProjectFactory(team=team, slug="fraud-model", name="Fraud model")
    data = tmp_path / "tx.csv"
    data.write_bytes(csv_bytes(40))
    dataset_version_create(
        project=project, dataset_name="tx", file_or_path=data, format="csv", label_column="label", by=user
    )
    artifact = tmp_path / "scorer.onnx"
    artifact.write_bytes(onnx_bytes(n_in=5))

    page.goto("/projects/fraud-model/models")
    expect(page).to_have_url(re.compile(r"/login"))
    page.get_by_label("Username").fill("grace")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    page.goto("/projects/fraud-model/models")
    expect(page.get_by_text("No models yet")).to_be_visible()

    page.get_by_role("button", name="Upload model").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Model name").fill("scorer")
    dialog.locator('input[type="file"]').set_input_files(str(artifact))
    dialog.get_by_label("Training dataset").fill("tx:1")
    dialog.get_by_label("Metrics (JSON)").fill('{"accuracy": 0.9621212121212122}')
    dialog.get_by_role("button", name="Upload version").click()

    expect(page).to_have_url(re.compile(r"/projects/fraud-model/models/scorer/versions/1$"))
    expect(page.get_by_role("heading", name="scorer v1")).to_be_visible()
    card = page.get_by_test_id("model-card")
    expect(card.get_by_text("onnx", exact=True).first).to_be_visible()
    expect(page.get_by_test_id("signature").get_by_text("x: float32 [N, 5]")).to_be_visible()
    # numbers are rounded for people: 0.9621212121212122 reads 0.9621
    expect(page.get_by_test_id("version-metrics").get_by_text("0.9621", exact=True)).to_be_visible()
    assert "0.96212" not in page.get_by_test_id("version-metrics").inner_text()
    lineage = page.get_by_test_id("lineage-graph")
    expect(lineage.get_by_text("tx v1")).to_be_visible()
    expect(lineage.get_by_text("scorer v1")).to_be_visible()
    # a real edge: an arrow from the dataset's card to the version's card
    edge = lineage.get_by_test_id("lineage-edge")
    expect(edge).to_have_count(1)
    source = lineage.locator(f'[data-node="{edge.get_attribute("data-from")}"]').bounding_box()
    target = lineage.locator(f'[data-node="{edge.get_attribute("data-to")}"]').bounding_box()
    line = edge.bounding_box()
    assert abs(line["x"] - (source["x"] + source["width"])) <= 4
    assert abs(line["x"] + line["width"] - target["x"]) <= 4
    assert lineage.locator(f'[data-node="{edge.get_attribute("data-from")}"]').inner_text().endswith("tx v1")

    # a rejected upload shows the server's message and stores nothing
    page.goto("/projects/fraud-model/models/scorer")
    page.get_by_role("button", name="Upload version").click()
    bad = tmp_path / "broken.onnx"
    bad.write_bytes(b"not an onnx model at all")
    dialog = page.get_by_role("dialog")
    dialog.locator('input[type="file"]').set_input_files(str(bad))
    dialog.get_by_role("button", name="Upload version").click()
    expect(dialog.get_by_role("alert")).to_contain_text(re.compile("ONNX", re.I))

    page.goto("/projects/fraud-model/datasets/tx")
    expect(page.get_by_test_id("dataset-schema").get_by_text("country")).to_be_visible()
    expect(page.get_by_test_id("feature-histogram").first).to_be_visible()


def test_maintainer_moves_an_alias_and_sees_a_concurrent_move_as_a_conflict(
    page: Any, password: str, settings: Any, tmp_path: Path
) -> None:
    settings.ARTIFACT_ROOT = tmp_path / "artifacts"
    user = UserFactory(username="grace")
    team = TeamFactory(slug="acme", name="Acme ML")
    MembershipFactory(user=user, team=team, role="maintainer")
    project = ProjectFactory(team=team, slug="fraud-model", name="Fraud model")
    versions = []
    for seed in range(3):
        path = tmp_path / f"scorer-{seed}.onnx"
        path.write_bytes(onnx_bytes(seed=seed))
        versions.append(
            model_version_create(
                project=project, model_name="scorer", artifact_file_or_path=path, format="onnx", by=user
            )
        )
    alias_set(version=versions[0], name="champion", by=user)

    page.goto("/login")
    page.get_by_label("Username").fill("grace")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    page.goto("/projects/fraud-model/models/scorer")

    page.get_by_role("button", name="Move alias").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Version").select_option("2")
    expect(dialog.get_by_test_id("alias-move-summary")).to_have_text("champion: v1 → v2")
    dialog.get_by_label("Reason (optional)").fill("better recall on DE")
    dialog.get_by_role("button", name="Move champion to v2").click()
    expect(dialog).to_be_hidden()
    page.get_by_role("tab", name="Aliases").click()
    expect(page.get_by_text("champion → v2")).to_be_visible()
    expect(page.get_by_role("cell", name="better recall on DE")).to_be_visible()

    # someone else moves it while the dialog is open: the move is refused as a conflict
    page.get_by_role("button", name="Move alias").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Version").select_option("3")
    alias_set(version=versions[0], name="champion", by=user, reason="rolled back elsewhere")
    dialog.get_by_role("button", name="Move champion to v3").click()
    alert = dialog.get_by_role("alert")
    expect(alert).to_contain_text("Conflict — someone else moved this alias")
    expect(alert).to_contain_text("points at version 1, not 2")
    alert.get_by_role("button", name="Reload aliases").click()
    expect(dialog.get_by_test_id("alias-move-summary")).to_have_text("champion: v1 → v3")
