"""The CI read/write API: scoping (outsider 404), roles, bad input naming the field."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shipyard.ci import deliveries
from shipyard.ci.models import CIConfig, MetricPolicy, TagRule
from tests.ci.conftest import fixture_bytes

BASE = "/api/v1/projects/fraud-model/ci"


def record_run(world: Any) -> Any:
    delivery, _ = deliveries.delivery_receive(
        project=world.project,
        provider="shipyard",
        delivery_id="d1",
        event="report",
        content_type="application/json",
        query={},
        body=json.dumps(
            {
                "run": {"id": "r1", "branch": "main"},
                "junit": fixture_bytes("surefire.xml").decode(),
                "metrics": {"accuracy": 0.9},
            }
        ).encode(),
    )
    deliveries.delivery_process(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    return delivery.run


def test_secret_rotation_shows_secret_once(world: Any) -> None:
    client = world.client(world.owner)
    response = client.post(f"{BASE}/secret/", {}, format="json")
    assert response.status_code == 201
    secret = response.json()["secret"]
    assert len(secret) > 30
    assert CIConfig.objects.get(project=world.project).secret == secret
    status = client.get(f"{BASE}/secret/").json()
    assert status["configured"] is True and "secret" not in status
    again = client.post(f"{BASE}/secret/", {"grace_hours": 2}, format="json").json()
    assert again["secret"] != secret and again["previous_valid_until"] is not None


def test_secret_rotation_roles_scoping_and_bad_input(world: Any) -> None:
    assert world.client(world.teammate).post(f"{BASE}/secret/", {}, format="json").status_code == 403
    assert world.client(world.outsider).post(f"{BASE}/secret/", {}, format="json").status_code == 404
    assert world.client(world.outsider).get(f"{BASE}/secret/").status_code == 404
    response = world.client(world.owner).post(f"{BASE}/secret/", {"grace_hours": -1}, format="json")
    assert response.status_code == 400 and "grace_hours" in response.json()["error"]["fields"]
    response = world.client(world.owner).post(f"{BASE}/secret/", {"grace": 1}, format="json")
    assert response.status_code == 400 and "grace" in response.json()["error"]["fields"]
    assert not CIConfig.objects.filter(project=world.project).exclude(secret="").exists()


def test_runs_list_detail_and_failures_first(world: Any) -> None:
    run = record_run(world)
    client = world.client(world.teammate)
    listing = client.get(f"{BASE}/runs/").json()
    assert listing["count"] == 1 and listing["results"][0]["tests_failed"] == 1
    assert client.get(f"{BASE}/runs/?branch=other").json()["count"] == 0
    detail = client.get(f"{BASE}/runs/{run.pk}/").json()
    assert detail["metrics"][0]["name"] == "accuracy"
    cases = client.get(f"{BASE}/runs/{run.pk}/cases/").json()["results"]
    assert [c["status"] for c in cases] == ["failed", "error", "passed", "skipped"]
    assert client.get(f"{BASE}/runs/{run.pk}/cases/?status=error").json()["count"] == 1
    assert client.get(f"{BASE}/runs/999999/").status_code == 404
    assert client.get(f"{BASE}/runs/abc/").status_code == 404


def test_outsider_sees_nothing(world: Any) -> None:
    run = record_run(world)
    client = world.client(world.outsider)
    for path in [
        "runs/",
        f"runs/{run.pk}/",
        f"runs/{run.pk}/cases/",
        "tag-rules/",
        "metric-policies/",
        "metrics/",
        "dependency-changes/",
        "deliveries/",
        "notifications/",
        "settings/",
    ]:
        assert client.get(f"{BASE}/{path}").status_code == 404, path
    # and the rival project's runs list does not show ours
    assert world.client(world.outsider).get("/api/v1/projects/rival-secret/ci/runs/").json()["count"] == 0


def test_tag_rules_crud(world: Any) -> None:
    client = world.client(world.teammate)
    created = client.post(f"{BASE}/tag-rules/", {"pattern": "tests/infra/*", "rubric_id": "infra-1"}, format="json")
    assert created.status_code == 201
    rule_id = created.json()["id"]
    assert (
        client.post(
            f"{BASE}/tag-rules/", {"pattern": "tests/infra/*", "rubric_id": "infra-1"}, format="json"
        ).status_code
        == 409
    )
    assert (
        client.patch(f"{BASE}/tag-rules/{rule_id}/", {"rubric_id": "infra-2"}, format="json").json()["rubric_id"]
        == "infra-2"
    )
    assert client.get(f"{BASE}/tag-rules/").json()[0]["rubric_id"] == "infra-2"
    assert world.client(world.outsider).delete(f"{BASE}/tag-rules/{rule_id}/").status_code == 404
    assert client.delete(f"{BASE}/tag-rules/{rule_id}/").status_code == 204
    assert not TagRule.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"pattern": "x", "rubric_id": "infra-99"}, "rubric_id"),
        ({"rubric_id": "infra-1"}, "pattern"),
        ({"pattern": "x", "rubric_id": "infra-1", "extra": 1}, "extra"),
    ],
)
def test_tag_rule_bad_input(world: Any, body: dict[str, Any], field: str) -> None:
    response = world.client(world.teammate).post(f"{BASE}/tag-rules/", body, format="json")
    assert response.status_code == 400 and field in response.json()["error"]["fields"]
    assert not TagRule.objects.exists()


def test_metric_policies_and_series(world: Any) -> None:
    client = world.client(world.teammate)
    body = {"metric": "auc", "direction": "higher", "tolerance": 0.02, "relative": False, "kind": "quality"}
    assert client.post(f"{BASE}/metric-policies/", body, format="json").status_code == 200
    bad = client.post(f"{BASE}/metric-policies/", {**body, "direction": "up"}, format="json")
    assert bad.status_code == 400 and "direction" in bad.json()["error"]["fields"]
    assert client.post(f"{BASE}/metric-policies/", {**body, "tolerance": -1}, format="json").status_code == 400
    assert MetricPolicy.objects.get().tolerance == 0.02
    assert client.delete(f"{BASE}/metric-policies/auc/").status_code == 204
    record_run(world)
    series = client.get(f"{BASE}/metrics/").json()
    assert series["default_branch"] == "" and series["default_branches"] == ["main", "master"]
    assert series["series"]["accuracy"][0]["value"] == 0.9


def test_settings(world: Any, settings: Any) -> None:
    settings.OUTBOUND_ALLOW_PRIVATE = False
    owner = world.client(world.owner)
    initial = owner.get(f"{BASE}/settings/").json()
    assert initial["default_branch"] == "" and initial["default_branches"] == ["main", "master"]
    response = owner.patch(f"{BASE}/settings/", {"default_branch": "trunk", "baseline_runs": 3}, format="json")
    assert response.status_code == 200 and response.json()["default_branch"] == "trunk"
    assert response.json()["default_branches"] == ["trunk"]
    bad = owner.patch(f"{BASE}/settings/", {"default_branches": ["x"]}, format="json")
    assert bad.status_code == 400 and "default_branches" in bad.json()["error"]["fields"]
    bad = owner.patch(f"{BASE}/settings/", {"notify_url": "http://127.0.0.1:8000/hook"}, format="json")
    assert bad.status_code == 400 and "notify_url" in bad.json()["error"]["fields"]
    bad = owner.patch(f"{BASE}/settings/", {"baseline_runs": 0}, format="json")
    assert bad.status_code == 400 and "baseline_runs" in bad.json()["error"]["fields"]
    assert (
        world.client(world.teammate).patch(f"{BASE}/settings/", {"default_branch": "x"}, format="json").status_code
        == 403
    )
    assert CIConfig.objects.get().default_branch == "trunk"


def test_deliveries_and_notifications_lists(world: Any) -> None:
    record_run(world)
    client = world.client(world.teammate)
    deliveries = client.get(f"{BASE}/deliveries/").json()["results"]
    assert deliveries[0]["status"] == "processed" and "body" not in deliveries[0]
    assert client.get(f"{BASE}/notifications/").json()["count"] == 0
    assert client.get(f"{BASE}/dependency-changes/").json()["count"] == 0
