"""Browser journey: a maintainer sets the project's feature policy, then reads the policy check and the
PII scan on a dataset version page, the access audit of its downloads, and the check on a model version."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from playwright.sync_api import expect

from shipyard.registry import privacy
from shipyard.registry.datasets import dataset_version_create
from shipyard.registry.versions import model_version_create
from tests.factories import MembershipFactory, ProjectFactory, TeamFactory, UserFactory, onnx_bytes

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def customers() -> bytes:
    rows = 12
    frame = pd.DataFrame(
        {
            "f0": [i * 0.5 for i in range(rows)],
            "f1": [i % 4 for i in range(rows)],
            "f2": [1.0 - i * 0.1 for i in range(rows)],
            "f3": [i * 2.0 for i in range(rows)],
            "contact": [f"user{i}@example.com" for i in range(rows)],
            "label": [i % 2 for i in range(rows)],
        }
    )
    return frame.to_csv(index=False).encode()


def test_policy_editor_violations_pii_scan_and_access_audit(
    page: Any, password: str, settings: Any, tmp_path: Path
) -> None:
    settings.ARTIFACT_ROOT = tmp_path / "artifacts"
    user = UserFactory(username="grace")
    team = TeamFactory(slug="acme", name="Acme ML")
    MembershipFactory(user=user, team=team, role="admin")
    project = ProjectFactory(team=team, slug="fraud-model", name="Fraud model")
    version = dataset_version_create(
        project=project,
        dataset_name="customers",
        file_or_path=io.BytesIO(customers()),
        original_filename="customers.csv",
        format="csv",
        label_column="label",
        feature_meta={"f0": {"owner": "risk-team", "source": "warehouse.payments"}},
        by=user,
    )

    page.goto("/login")
    page.get_by_label("Username").fill("grace")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    # the dataset page before any policy: nothing is checked yet
    page.goto("/projects/fraud-model/datasets/customers")
    expect(page.get_by_test_id("policy-check")).to_contain_text("not checked")

    # the policy editor, by keyboard: forbidden feature f3, owners required, warn mode
    page.goto("/projects/fraud-model?tab=data-policy")
    expect(page.get_by_text("No policy yet: nothing is checked.")).to_be_visible()
    page.get_by_text("Warn (register, record violations)").click()
    forbidden = page.get_by_role("combobox", name="Forbidden features")
    forbidden.fill("f3")
    forbidden.press("Enter")
    page.get_by_label("Every feature must declare an owner").check()
    page.get_by_role("button", name="Save policy").click()
    expect(page.get_by_role("status").filter(has_text="Saved; latest versions re-checked.")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Last changed .* by grace"))).to_be_visible()

    # the PII scan a worker runs after each upload (run here in-process; tests/registry runs it on a worker)
    privacy.pii_scan_run(version_id=version.pk)

    page.goto("/projects/fraud-model/datasets/customers")
    check = page.get_by_test_id("policy-check")
    expect(check).to_contain_text("Feature policy: 5 violations")
    expect(check).to_contain_text("'f3' is a forbidden feature ('f3')")
    expect(check).to_contain_text("'contact' declares no owner")
    scan = page.get_by_test_id("pii-scan")
    expect(scan).to_contain_text("PII scan: personal data in 1 undeclared column")
    findings = page.get_by_test_id("pii-findings")
    expect(findings.get_by_role("row", name=re.compile(r"contact\s+e-mail: 12\s+not declared"))).to_be_visible()
    expect(page.get_by_test_id("dataset-schema").get_by_role("row", name=re.compile("^f0"))).to_contain_text(
        "risk-team"
    )
    assert "user3@example.com" not in page.content()  # values of a personal column are never shown
    expect(page.get_by_test_id("feature-histogram").filter(has_text="contact")).to_contain_text(
        "Values hidden: personal data"
    )

    # every download is logged, and admins read the log on the dataset page
    expect(page.get_by_text("No downloads yet")).to_be_visible()
    response = page.request.get("/api/v1/projects/fraud-model/datasets/customers/versions/1/file")
    assert response.status == 200
    page.reload()
    audit = page.get_by_test_id("download-audit")
    expect(audit.get_by_role("row", name=re.compile(r"grace\s+v1\s+as uploaded\s+served"))).to_be_visible()

    # a model version registered under the warn policy shows its violations on its page
    artifact = tmp_path / "scorer.onnx"
    artifact.write_bytes(onnx_bytes(n_in=5))
    model_version_create(
        project=project,
        model_name="scorer",
        artifact_file_or_path=artifact,
        format="onnx",
        signature={"features": ["f0", "f1", "f2", "f3", "contact"]},
        training_dataset=version,
        by=user,
    )
    page.goto("/projects/fraud-model/models/scorer/versions/1")
    model_check = page.get_by_test_id("policy-check")
    expect(model_check).to_contain_text("Feature policy: 5 violations")
    expect(model_check.get_by_text("forbidden_features")).to_be_visible()
