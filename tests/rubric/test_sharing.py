"""Sharing: the Markdown report and the SVG badge (private by default)."""

from __future__ import annotations

from typing import Any

from rest_framework.test import APIClient

from shipyard.rubric.services import evidence_record
from tests.rubric.conftest import answers

URL = "/api/v1/projects/fraud-model/assessments/"


def _assess(world: Any) -> dict[str, Any]:
    body = {
        section + f"-{n}": {"status": "automated" if n <= 3 else "manual"}
        for section in ("data", "model", "infra", "monitor")
        for n in range(1, 8)
    }
    body["data-1"] = {"status": "automated", "note": "Schema | checked", "links": ["https://ci.example.com/run/1"]}
    return world.client(world.owner).post(URL, {"answers": body}, format="json").json()


def test_markdown_report(world: Any) -> None:
    snapshot = _assess(world)
    evidence_record(project=world.project, test_id="data-1", source="ci", passed=True, title="schema test")
    response = world.client(world.teammate).get(f"{URL}{snapshot['id']}/report.md")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/markdown")
    text = response.content.decode()
    assert "# ML Test Score: Fraud model" in text
    assert "**Final score: 5**" in text and "Strong levels of automated testing" in text
    assert "| data-1 | Feature expectations are captured in a schema. | Automated | 1 | verified by evidence |" in text
    assert "| data-2 | All features are beneficial. | Automated | 1 | claimed, no evidence |" in text
    assert "Schema | checked" in text and "<https://ci.example.com/run/1>" in text
    assert "**Verified score: 3.5**" in text


def test_report_of_an_older_snapshot_has_no_verification(world: Any) -> None:
    first = world.client(world.owner).post(URL, {"answers": answers(data_1="manual")}, format="json").json()
    world.client(world.teammate).post(URL, {"answers": answers(data_1="automated"), "base": first["id"]}, format="json")
    text = world.client(world.owner).get(f"{URL}{first['id']}/report.md").content.decode()
    assert "| data-1 | Feature expectations are captured in a schema. | Manual | 0.5 |" in text
    assert "Verified score" not in text
    assert world.client(world.owner).get(f"{URL}999999/report.md").status_code == 404


def test_private_badge_for_members_only(world: Any, client: Any) -> None:
    _assess(world)
    session = APIClient()
    session.force_login(world.teammate)  # the browser's session cookie
    member = session.get("/badge/fraud-model.svg")
    assert member.status_code == 200 and member["Content-Type"] == "image/svg+xml"
    svg = member.content.decode()
    assert "ML Test Score" in svg and ">5<" in svg and "#97ca00" in svg
    assert "private" in member["Cache-Control"]
    assert client.get("/badge/fraud-model.svg").status_code == 404  # anonymous
    outsider = APIClient()
    outsider.force_login(world.outsider)
    assert outsider.get("/badge/fraud-model.svg").status_code == 404
    assert client.get("/badge/no-such-project.svg").status_code == 404

    from shipyard.accounts.services import token_for

    token = token_for(user=world.teammate)
    assert APIClient().get("/badge/fraud-model.svg", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
    assert APIClient().get("/badge/fraud-model.svg", HTTP_AUTHORIZATION="Token nope").status_code == 404


def test_public_badge_and_verified_variant(world: Any, client: Any) -> None:
    world.project.badge_public = True
    world.project.save()
    assert client.get("/badge/fraud-model.svg").status_code == 200  # no assessment yet
    assert "not assessed" in client.get("/badge/fraud-model.svg").content.decode()
    _assess(world)
    verified = client.get("/badge/fraud-model.svg?score=verified").content.decode()
    assert "ML Test Score (verified)" in verified and ">3.5<" in verified
    assert "public" in client.get("/badge/fraud-model.svg")["Cache-Control"]
