"""Browser: a not-found sub-page asks the API once for the missing object and stops there: no
follow-up requests that 404 too (siblings fetched in parallel, or polling a missing object)."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

MISSING = [
    "/projects/nope",
    "/projects/nope/rubric",
    "/projects/nope/ci",
    "/projects/nope/models",
    "/projects/nope/datasets",
    "/projects/fraud-model/models/nope",
    "/projects/fraud-model/models/nope/versions/1",
    "/projects/fraud-model/datasets/nope",
    "/projects/fraud-model/ci/runs/999999",
    "/deployments/fraud-model/nope",
    "/monitoring/fraud-model/nope",
    "/jobs/999999",
]


@pytest.mark.django_db(transaction=True)
def test_not_found_pages_fire_one_404_and_no_follow_ups(page: Any, live_server: Any, world: Any, password: str) -> None:
    from playwright.sync_api import expect

    page.goto("/login")
    page.fill("input[name=username]", "owner")
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/projects$"))

    failures: dict[str, list[str]] = {}
    for path in MISSING:
        seen: list[str] = []

        def record(response: Any, seen: list[str] = seen) -> None:
            if response.status == 404 and "/api/" in response.url:
                seen.append(response.url.split(live_server.url, 1)[-1])

        page.on("response", record)
        # a fake clock, run forward past every polling interval, instead of waiting for real time
        page.clock.install()
        page.goto(path)
        # the fake clock only moves when told: each step fires what is due (React's and the query
        # client's scheduling, then the polls) and lets the responses arrive
        for _ in range(5):
            page.clock.run_for(3_000)
            page.wait_for_timeout(200)
        try:
            expect(page.get_by_test_id("not-found")).to_be_visible()
        except AssertionError:
            seen.append("no not-found page")
        page.remove_listener("response", record)
        if len(seen) != 1:
            failures[path] = seen
    assert failures == {}, failures
