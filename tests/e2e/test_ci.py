"""Browser: a run posted through the signed webhook shows in the UI with its failures first."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from rest_framework.test import APIClient

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.mark.django_db(transaction=True)
def test_posted_run_shows_with_failures(page: Any, live_server: Any, world: Any, password: str) -> None:
    from playwright.sync_api import expect

    from shipyard.ci.deliveries import delivery_process
    from shipyard.ci.models import Delivery
    from shipyard.ci.services import secret_rotate
    from tests.ci.conftest import fixture_bytes, post_webhook, signed_headers

    _, secret = secret_rotate(project=world.project)
    body = json.dumps(
        {
            "run": {"id": "e2e-1", "name": "nightly checks", "branch": "main", "commit": "deadbeef" * 5},
            "junit": fixture_bytes("surefire.xml").decode(),
            "metrics": {"accuracy": 0.91},
            "lockfile": "numpy==1.26.4\n",
        }
    ).encode()
    response = post_webhook(APIClient(), "fraud-model", body, signed_headers("shipyard", secret, body))
    assert response.status_code == 202
    delivery_process(delivery_id=Delivery.objects.get().pk)  # what the worker does, in-process here

    page.goto("/login")
    page.fill("input[name=username]", "owner")
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/projects$"))

    page.get_by_role("link", name="CI", exact=True).click()
    page.get_by_role("link", name="Fraud model").click()
    page.wait_for_url(re.compile(r".*/projects/fraud-model/ci$"))
    row = page.get_by_test_id("ci-run-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("main")
    expect(row).to_contain_text("deadbeef")
    expect(row).to_contain_text("2 failed")

    page.get_by_role("link", name="nightly checks").click()
    cases = page.get_by_test_id("ci-case-row")
    expect(cases).to_have_count(4)
    expect(cases.nth(0)).to_have_attribute("data-status", "failed")
    expect(cases.nth(0)).to_contain_text("rejectsNegativeAmount")
    expect(cases.nth(0)).to_contain_text("expected: <true> but was: <false>")
    expect(cases.nth(1)).to_have_attribute("data-status", "error")
    expect(cases.nth(1)).to_contain_text("model.onnx (No such file or directory)")
    expect(cases.nth(3)).to_have_attribute("data-status", "skipped")
    expect(page.get_by_text(re.compile(r"^accuracy 0\.91\b"))).to_be_visible()  # rounded for people
