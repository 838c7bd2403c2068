"""Autosave sessions fold into one snapshot; evidence verdicts never contradict the page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from shipyard.rubric.models import Assessment
from shipyard.rubric.services import EDIT_SESSION_GAP, evidence_record
from tests.rubric.conftest import answers

URL = "/api/v1/projects/fraud-model/assessments/"


def post(client: Any, body: dict[str, Any], url: str = URL) -> Any:
    return client.post(url, body, format="json")


def test_one_editing_session_is_one_snapshot(world: Any) -> None:
    client = world.client(world.owner)
    first = post(client, {"answers": answers(data_1="manual"), "base": None})
    assert first.status_code == 201
    second = post(client, {"answers": answers(data_1="automated"), "base": first.json()["id"]})
    assert second.status_code == 201
    third = post(client, {"answers": answers(data_1="automated", model_1="manual"), "base": second.json()["id"]})
    assert third.status_code == 201
    saved = list(Assessment.objects.all())
    assert len(saved) == 1 and saved[0].pk == third.json()["id"] and saved[0].base_id is None
    assert saved[0].answers["model-1"]["status"] == "manual" and saved[0].score_final == 0.0
    # an editor still holding a folded snapshot id is told about the newer one
    stale = post(client, {"answers": answers(infra_1="manual"), "base": first.json()["id"]})
    assert stale.status_code == 409 and "base" in stale.json()["error"]["fields"]


def test_a_session_keeps_the_snapshot_it_started_from(world: Any) -> None:
    owner, mate = world.client(world.owner), world.client(world.teammate)
    first = post(owner, {"answers": answers(data_1="manual"), "base": None}).json()
    # another author starts a session of their own on top of it
    second = post(mate, {"answers": answers(data_1="automated"), "base": first["id"]})
    assert second.status_code == 201 and second.json()["base"] == first["id"]
    third = post(mate, {"answers": answers(data_1="automated", infra_1="manual"), "base": second.json()["id"]})
    assert third.status_code == 201 and third.json()["base"] == first["id"]
    assert Assessment.objects.count() == 2
    # a session that returns to where it started leaves no snapshot of its own
    back = post(mate, {"answers": answers(data_1="manual"), "base": third.json()["id"]})
    assert back.status_code == 200 and back.json()["id"] == first["id"]
    assert list(Assessment.objects.values_list("pk", flat=True)) == [first["id"]]


def test_a_pause_longer_than_the_gap_starts_a_new_snapshot(world: Any) -> None:
    client = world.client(world.owner)
    first = post(client, {"answers": answers(data_1="manual"), "base": None}).json()
    Assessment.objects.filter(pk=first["id"]).update(
        created_at=timezone.now() - EDIT_SESSION_GAP - timedelta(seconds=5)
    )
    second = post(client, {"answers": answers(data_1="automated"), "base": first["id"]})
    assert second.status_code == 201 and second.json()["base"] == first["id"]
    assert Assessment.objects.count() == 2


def test_failing_evidence_marks_a_manual_claim_failing(world: Any) -> None:
    client = world.client(world.owner)
    post(client, {"answers": answers(monitor_3="manual", data_1="automated", data_2="none")})
    evidence_record(project=world.project, test_id="monitor-3", source="monitor", passed=False, title="drift", key="m")
    evidence_record(project=world.project, test_id="data-2", source="ci", passed=False, title="schema", key="c")
    score = client.get("/api/v1/projects/fraud-model/score/").json()
    monitor = score["tests"]["monitor-3"]
    assert (monitor["holds"], monitor["evidence_state"], monitor["verified"]) == ("failing", "failing", "manual")
    assert score["tests"]["data-2"]["holds"] == "failing"
    # only automated claims that count as manual are unverified claims
    assert score["unverified_claims"] == 1
    assert score["verified"]["sections"]["monitor"] == 0.5


def test_heatmap_counts_tests_verified_without_a_claim(world: Any) -> None:
    from tests.factories import ProjectFactory

    churn = ProjectFactory(team=world.team, slug="churn")
    client = world.client(world.owner)
    post(client, {"answers": answers(model_1="manual")})
    evidence_record(project=world.project, test_id="data-1", source="ci", passed=True, title="schema", key="s")
    evidence_record(project=churn, test_id="data-1", source="ci", passed=True, title="schema", key="s")
    evidence_record(project=world.project, test_id="model-1", source="registry", passed=True, title="spec", key="m")
    heatmap = client.get("/api/v1/rubric/teams/acme/").json()["heatmap"]
    assert heatmap["data-1"] == {"none": 0, "manual": 0, "automated": 2, "verified": 2}
    assert heatmap["model-1"] == {"none": 1, "manual": 0, "automated": 1, "verified": 1}
    assert heatmap["data-2"] == {"none": 2, "manual": 0, "automated": 0, "verified": 0}
