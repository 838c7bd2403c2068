"""Rubric API: the rubric text, assessments (snapshots, 409 on a stale base), score, evidence."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from shipyard.rubric.models import Assessment
from shipyard.rubric.services import evidence_record
from tests.rubric.conftest import answers

URL = "/api/v1/projects/fraud-model/assessments/"


def post(client: Any, body: dict[str, Any], url: str = URL) -> Any:
    return client.post(url, body, format="json")


def test_rubric_document(world: Any) -> None:
    data = world.client(world.teammate).get("/api/v1/rubric/").json()
    assert [s["id"] for s in data["sections"]] == ["data", "model", "infra", "monitor"]
    assert [s["title"] for s in data["sections"]] == ["Data", "Model", "ML Infrastructure", "Monitoring"]
    tests = [t for s in data["sections"] for t in s["tests"]]
    assert [t["id"] for t in tests][:3] == ["data-1", "data-2", "data-3"] and len(tests) == 28
    assert tests[14]["title"] == "Training is reproducible."
    for test in tests:
        sentences = [x for x in test["guidance"].split(". ") if x.strip()]
        assert 3 <= len(sentences) <= 6, test["id"]
    assert len(data["bands"]) == 6 and data["version"] == 1


def test_rubric_needs_login() -> None:
    from rest_framework.test import APIClient

    assert APIClient().get("/api/v1/rubric/").status_code == 401


def test_save_snapshot_and_score(world: Any) -> None:
    client = world.client(world.teammate)
    created = post(client, {"answers": answers(data_1="automated", model_1="manual", infra_1="manual"), "base": None})
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["sections"] == {"data": 1.0, "model": 0.5, "infra": 0.5, "monitor": 0.0}
    assert body["final"] == 0.0 and body["band"]["id"] == "research"
    assert body["created_by"] == "teammate" and body["base"] is None
    assert len(body["answers"]) == 28 and body["answers"]["data-2"] == {"status": "none", "note": "", "links": []}

    # a later editing session (past the gap) makes a new snapshot on top of the first
    Assessment.objects.filter(pk=body["id"]).update(created_at=timezone.now() - timedelta(minutes=11))
    second = post(
        client,
        {
            "answers": answers(data_1="automated", model_1="manual", infra_1="manual", monitor_1="manual")
            | {"data-2": {"status": "manual", "note": "ablation notebook", "links": ["https://wiki.example.com/x"]}},
            "base": body["id"],
        },
    )
    assert second.status_code == 201 and second.json()["base"] == body["id"]
    assert second.json()["final"] == 0.5 and second.json()["band"]["id"] == "untested"

    score = client.get("/api/v1/projects/fraud-model/score/").json()
    assert score["assessment"]["id"] == second.json()["id"]
    assert score["sections"] == {"data": 1.5, "model": 0.5, "infra": 0.5, "monitor": 0.5}
    assert score["final"] == 0.5 and score["band"]["text"].startswith("Not totally untested")
    assert score["weakest"] == ["model", "infra", "monitor"]
    # automated claim on data-1 without evidence: manual at best in the verified score
    assert score["tests"]["data-1"]["holds"] == "unverified"
    assert score["verified"]["sections"]["data"] == 1.0
    assert score["unverified_claims"] == 1

    listed = client.get(URL).json()
    assert [a["id"] for a in listed["results"]] == [second.json()["id"], body["id"]]
    assert "answers" not in listed["results"][0]
    assert "answers" in client.get(URL + "?answers=true").json()["results"][0]
    detail = client.get(f"{URL}{body['id']}/").json()
    assert detail["answers"]["data-1"]["status"] == "automated"


def test_unchanged_answers_create_no_new_snapshot(world: Any) -> None:
    client = world.client(world.owner)
    first = post(client, {"answers": answers(data_1="manual")}).json()
    again = post(client, {"answers": answers(data_1="manual"), "base": first["id"]})
    assert again.status_code == 200 and again.json()["id"] == first["id"]
    assert Assessment.objects.count() == 1


def test_stale_base_is_409_and_writes_nothing(world: Any) -> None:
    owner, mate = world.client(world.owner), world.client(world.teammate)
    first = post(mate, {"answers": answers(data_1="manual"), "base": None}).json()
    # both start from `first`; the owner saves first, the teammate's save is stale
    assert post(owner, {"answers": answers(data_1="automated"), "base": first["id"]}).status_code == 201
    stale = post(mate, {"answers": answers(model_1="automated"), "base": first["id"]})
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "conflict" and "base" in stale.json()["error"]["fields"]
    # a client that never loaded the project cannot overwrite it either
    assert post(mate, {"answers": answers(model_1="automated")}).status_code == 409
    assert Assessment.objects.count() == 2
    assert Assessment.objects.first().answers["model-1"]["status"] == "none"  # type: ignore[union-attr]


def test_first_save_with_a_base_is_409(world: Any) -> None:
    assert post(world.client(world.owner), {"answers": {}, "base": 12345}).status_code == 409
    assert Assessment.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"answers": {"data-8": {"status": "manual"}}}, "answers.data-8"),
        ({"answers": {"bogus": {"status": "manual"}}}, "answers.bogus"),
        ({"answers": {"data-1": {"status": "done"}}}, "answers.data-1.status"),
        ({"answers": {"data-1": {}}}, "answers.data-1.status"),
        ({"answers": {"data-1": "manual"}}, "answers.data-1"),
        ({"answers": {"data-1": {"status": "manual", "note": "x" * 2001}}}, "answers.data-1.note"),
        ({"answers": {"data-1": {"status": "manual", "note": 5}}}, "answers.data-1.note"),
        ({"answers": {"data-1": {"status": "manual", "links": ["javascript:alert(1)"]}}}, "answers.data-1.links[0]"),
        ({"answers": {"data-1": {"status": "manual", "links": "https://x.example.com"}}}, "answers.data-1.links"),
        (
            {"answers": {"data-1": {"status": "manual", "links": ["https://a.example.com"] * 11}}},
            "answers.data-1.links",
        ),
        ({"answers": {"data-1": {"status": "manual", "owner": "me"}}}, "answers.data-1.owner"),
        ({"answers": []}, "answers"),
        ({}, "answers"),
        ({"answers": {}, "base": "latest"}, "base"),
        ({"answers": {}, "extra": 1}, "extra"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_saves_nothing(world: Any, body: dict[str, Any], field: str) -> None:
    response = post(world.client(world.owner), body)
    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["fields"], response.json()
    assert Assessment.objects.count() == 0


def test_note_at_the_limit_is_accepted(world: Any) -> None:
    body = {"answers": {"data-1": {"status": "manual", "note": "x" * 2000}}}
    assert post(world.client(world.owner), body).status_code == 201


def test_viewer_reads_but_cannot_write(world: Any, viewer: Any) -> None:
    post(world.client(world.owner), {"answers": answers(data_1="manual")})
    client = world.client(viewer)
    assert client.get(URL).status_code == 200
    assert client.get("/api/v1/projects/fraud-model/score/").status_code == 200
    denied = post(client, {"answers": answers(data_1="automated"), "base": Assessment.objects.get().pk})
    assert denied.status_code == 403
    assert Assessment.objects.count() == 1


def test_outsider_gets_404_from_every_endpoint(world: Any) -> None:
    owner = world.client(world.owner)
    snapshot = post(owner, {"answers": answers(data_1="manual")}).json()
    client = world.client(world.outsider)
    for ref in ("fraud-model", str(world.project.pk)):
        base = f"/api/v1/projects/{ref}"
        assert client.get(f"{base}/assessments/").status_code == 404
        assert post(client, {"answers": answers(data_1="automated")}, f"{base}/assessments/").status_code == 404
        assert client.get(f"{base}/assessments/{snapshot['id']}/").status_code == 404
        assert client.get(f"{base}/assessments/{snapshot['id']}/report.md").status_code == 404
        assert client.get(f"{base}/score/").status_code == 404
        assert client.get(f"{base}/evidence/").status_code == 404
    assert client.get("/api/v1/rubric/teams/acme/").status_code == 404
    # a snapshot id of another project is not reachable through one's own project either
    assert client.get(f"/api/v1/projects/rival-secret/assessments/{snapshot['id']}/").status_code == 404
    assert Assessment.objects.count() == 1


def test_evidence_makes_a_claim_verified(world: Any) -> None:
    client = world.client(world.owner)
    post(client, {"answers": answers(infra_1="automated", infra_6="automated", infra_7="automated")})
    now = timezone.now()
    evidence_record(project=world.project, test_id="infra-1", source="job", passed=True, title="repro", key="job:1")
    evidence_record(project=world.project, test_id="infra-6", source="deployment", passed=True, title="canary", key="d")
    evidence_record(project=world.project, test_id="infra-6", source="deployment", passed=False, title="c2", key="d")
    evidence_record(
        project=world.project,
        test_id="infra-7",
        source="deployment",
        passed=True,
        title="old rollback",
        key="r",
        observed_at=now - timedelta(days=31),
    )
    evidence_record(project=world.project, test_id="monitor-2", source="monitor", passed=True, title="inv", key="m")
    score = client.get("/api/v1/projects/fraud-model/score/").json()
    tests = score["tests"]
    assert (tests["infra-1"]["holds"], tests["infra-1"]["points"]) == ("evidence", {"claimed": 1.0, "verified": 1.0})
    assert tests["infra-6"]["holds"] == "failing" and tests["infra-6"]["verified"] == "manual"
    assert tests["infra-7"]["holds"] == "unverified" and tests["infra-7"]["evidence_state"] == "stale"
    assert tests["monitor-2"]["claimed"] == "none" and tests["monitor-2"]["verified"] == "automated"
    assert score["sections"]["infra"] == 3.0 and score["verified"]["sections"]["infra"] == 2.0
    assert score["verified"]["sections"]["monitor"] == 1.0
    assert tests["infra-1"]["evidence"][0]["title"] == "repro"

    # a longer window turns the stale rollback into verified evidence
    world.project.evidence_window_days = 60
    world.project.save()
    assert client.get("/api/v1/projects/fraud-model/score/").json()["tests"]["infra-7"]["holds"] == "evidence"


def test_evidence_list_and_filters(world: Any) -> None:
    evidence_record(project=world.project, test_id="infra-1", source="job", passed=True, title="a")
    evidence_record(project=world.project, test_id="data-1", source="ci", passed=False, title="b")
    evidence_record(project=world.other_project, test_id="data-1", source="ci", passed=True, title="secret")
    client = world.client(world.teammate)
    url = "/api/v1/projects/fraud-model/evidence/"
    assert [e["title"] for e in client.get(url).json()["results"]] == ["b", "a"]
    assert [e["title"] for e in client.get(url + "?test=infra-1").json()["results"]] == ["a"]
    assert [e["title"] for e in client.get(url + "?source=ci").json()["results"]] == ["b"]
    for query, field in (("?test=infra-9", "test"), ("?source=email", "source")):
        bad = client.get(url + query)
        assert bad.status_code == 400 and field in bad.json()["error"]["fields"]


def test_score_of_an_unassessed_project(world: Any) -> None:
    score = world.client(world.owner).get("/api/v1/projects/fraud-model/score/").json()
    assert score["assessment"] is None and score["final"] == 0.0 and score["band"]["id"] == "research"
    assert score["window_days"] == 30


def test_team_overview_and_heatmap(world: Any) -> None:
    from tests.factories import ProjectFactory

    ProjectFactory(team=world.team, slug="churn")
    client = world.client(world.owner)
    post(client, {"answers": answers(data_1="automated", model_1="manual")})
    post(client, {"answers": answers(data_1="manual")}, "/api/v1/projects/churn/assessments/")
    evidence_record(project=world.project, test_id="data-1", source="ci", passed=True, title="schema")
    data = client.get("/api/v1/rubric/teams/acme/").json()
    assert data["project_count"] == 2 and [p["slug"] for p in data["projects"]] == ["churn", "fraud-model"]
    assert data["heatmap"]["data-1"] == {"none": 0, "manual": 1, "automated": 1, "verified": 1}
    assert data["heatmap"]["model-1"]["manual"] == 1 and data["heatmap"]["monitor-7"]["none"] == 2
    assert len(data["heatmap"]) == 28
    fraud = data["projects"][1]
    assert fraud["sections"]["data"] == 1.0 and len(fraud["history"]) == 1
    assert "rival-secret" not in str(data)
    assert client.get("/api/v1/rubric/teams/rival/").status_code == 404


def test_options_and_nul_bytes_are_not_server_errors(world: Any) -> None:
    client = world.client(world.owner)
    for path in (URL, "/api/v1/projects/fraud-model/evidence/", "/api/v1/projects/fraud-model/score/"):
        assert client.options(path).status_code == 200
    assert client.get("/api/v1/rubric/teams/%00x/").status_code == 404
    bad = post(client, {"answers": {"data-1": {"status": "manual", "note": "a\x00b"}}})
    assert bad.status_code == 400 and "answers.data-1.note" in bad.json()["error"]["fields"]
