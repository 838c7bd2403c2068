"""Deployments API: create, deploy, canary, promote, rollback, audit history, roles, scoping, quality gate."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from shipyard.rubric.models import Evidence
from shipyard.serving.models import Deployment, DeploymentEvent
from tests.factories import MembershipFactory, UserFactory
from tests.serving.conftest import fake_version

BASE = "/api/v1/projects/fraud-model/deployments/"


def create(world: Any, **extra: Any) -> Any:
    v1 = fake_version(world.project)
    body = {"name": "digits", "model": "digits", "version": v1.number, "reason": "first", **extra}
    return world.client(world.owner).post(BASE, body, format="json"), v1


@pytest.fixture
def maintainer(world: Any) -> Any:
    user = UserFactory(username="maint")
    MembershipFactory(user=user, team=world.team, role="maintainer")
    return user


def test_create_list_detail(world: Any, maintainer: Any) -> None:
    v1 = fake_version(world.project)
    res = world.client(maintainer).post(
        BASE,
        {"name": "digits", "model": "digits", "version": 1, "max_batch_size": 16, "reason": "first release"},
        format="json",
    )
    assert res.status_code == 201, res.json()
    body = res.json()
    assert body["live_version"]["number"] == v1.number
    assert body["max_batch_size"] == 16 and body["max_delay_ms"] == 5.0
    assert body["traffic"] == [{"version": 1, "role": "live", "share": 100}]
    assert body["endpoint"] == "/serve/fraud-model/digits/predict"
    listed = world.client(world.teammate).get(BASE).json()
    assert [d["name"] for d in listed["results"]] == ["digits"]
    assert world.client(world.teammate).get(BASE + "digits/").status_code == 200
    event = DeploymentEvent.objects.get()
    assert (event.kind, event.actor, event.to_version_id) == ("create", maintainer, v1.pk)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Bad Name!", "model": "digits", "version": 1}, "name"),
        ({"name": "d", "model": "nope", "version": 1, "reason": "r"}, "model"),
        ({"name": "d", "model": "digits", "version": 99, "reason": "r"}, "version"),
        ({"name": "d", "model": "digits", "version": 1, "max_batch_size": 0}, "max_batch_size"),
        ({"name": "d", "model": "digits", "version": 1, "log_sample_rate": 2}, "log_sample_rate"),
        ({"name": "d", "model": "digits", "version": 1, "validation_policy": "maybe"}, "validation_policy"),
        ({"name": "d", "model": "digits", "version": 1, "surprise": 1}, "surprise"),
        ({"model": "digits", "version": 1}, "name"),
        ({"name": "d", "model": "digits", "version": 1}, "reason"),
        ({"name": "d", "model": "digits", "version": 1, "reason": "   "}, "reason"),
    ],
)
def test_create_bad_input_names_the_field(world: Any, body: dict[str, Any], field: str) -> None:
    fake_version(world.project)
    res = world.client(world.owner).post(BASE, body, format="json")
    assert res.status_code == 400, res.json()
    assert field in res.json()["error"]["fields"]
    assert not Deployment.objects.exists() and not DeploymentEvent.objects.exists()


def test_roles_and_scoping(world: Any) -> None:
    res, _ = create(world)
    assert res.status_code == 201
    fake_version(world.project)
    member = world.client(world.teammate)
    for path, body in [
        ("canary/", {"version": 2, "weight": 10}),
        ("promote/", {}),
        ("rollback/", {}),
        ("deploy/", {"version": 2}),
    ]:
        assert member.post(BASE + "digits/" + path, body, format="json").status_code == 403
    assert member.post(BASE, {"name": "x", "model": "digits", "version": 1}, format="json").status_code == 403
    outsider = world.client(world.outsider)
    assert outsider.get(BASE).status_code == 404
    assert outsider.get(BASE + "digits/").status_code == 404
    assert outsider.post(BASE + "digits/rollback/", {}, format="json").status_code == 404
    assert outsider.get(BASE + "digits/events/").status_code == 404
    assert outsider.get(BASE + "digits/metrics/").status_code == 404
    # the outsider's own project lists nothing of ours
    assert world.client(world.outsider).get("/api/v1/projects/rival-secret/deployments/").json()["results"] == []
    assert Deployment.objects.get().canary_version is None


def test_canary_promote_rollback_history_and_evidence(world: Any) -> None:
    create(world)
    v2 = fake_version(world.project)
    owner = world.client(world.owner)
    res = owner.post(BASE + "digits/canary/", {"version": v2.number, "weight": 20, "reason": "try v2"}, format="json")
    assert res.status_code == 200, res.json()
    assert res.json()["traffic"] == [
        {"version": 1, "role": "live", "share": 80},
        {"version": 2, "role": "canary", "share": 20},
    ]
    assert (
        owner.post(BASE + "digits/canary/", {"weight": 50, "reason": "more"}, format="json").json()["canary_weight"]
        == 50
    )
    res = owner.post(BASE + "digits/promote/", {"reason": "looks good"}, format="json")
    assert res.json()["live_version"]["number"] == 2 and res.json()["canary_version"] is None
    res = owner.post(BASE + "digits/rollback/", {"reason": "v2 regressed"}, format="json")
    assert res.status_code == 200 and res.json()["live_version"]["number"] == 1
    assert owner.post(BASE + "digits/rollback/", {"reason": "again"}, format="json").status_code == 409
    events = owner.get(BASE + "digits/events/").json()["results"]
    assert [e["kind"] for e in events] == ["rollback", "promote", "weight", "canary", "create"]
    assert events[0]["from_version"] == 2 and events[0]["to_version"] == 1
    assert events[0]["actor"] == "owner" and events[0]["reason"] == "v2 regressed"
    tests = set(Evidence.objects.filter(project=world.project, source="deployment").values_list("test_id", flat=True))
    assert {"infra-6", "infra-7"} <= tests


def test_canary_rollback_sets_weight_zero(world: Any) -> None:
    create(world)
    fake_version(world.project)
    owner = world.client(world.owner)
    owner.post(BASE + "digits/canary/", {"version": 2, "weight": 30, "reason": "try v2"}, format="json")
    res = owner.post(BASE + "digits/rollback/", {"reason": "canary errors"}, format="json").json()
    assert res["live_version"]["number"] == 1 and res["canary_weight"] == 0


@pytest.mark.parametrize(
    ("path", "body", "field", "status"),
    [
        ("canary/", {"version": 2, "weight": 101}, "weight", 400),
        ("canary/", {"version": 2}, "weight", 400),
        ("canary/", {"version": 1, "weight": 10, "reason": "r"}, "version", 409),
        ("canary/", {"version": 9, "weight": 10, "reason": "r"}, "version", 400),
        ("deploy/", {"version": "two"}, "version", 400),
        ("promote/", {"bogus": True}, "bogus", 400),
        ("promote/", {"reason": "r"}, "canary", 409),
        ("deploy/", {"version": 2}, "reason", 400),
        ("deploy/", {"version": 2, "reason": ""}, "reason", 400),
        ("canary/", {"version": 2, "weight": 10}, "reason", 400),
        ("promote/", {}, "reason", 400),
        ("rollback/", {}, "reason", 400),
    ],
)
def test_change_bad_input(world: Any, path: str, body: dict[str, Any], field: str, status: int) -> None:
    create(world)
    fake_version(world.project)
    before = DeploymentEvent.objects.count()
    res = world.client(world.owner).post(BASE + "digits/" + path, body, format="json")
    assert res.status_code == status, res.json()
    assert field in res.json()["error"]["fields"]
    assert DeploymentEvent.objects.count() == before


def test_quality_gate_blocks_and_admin_override(world: Any, maintainer: Any) -> None:
    res, _ = create(world, quality_threshold=0.9)
    assert res.status_code == 201
    assert Evidence.objects.filter(test_id="infra-4", passed=True).exists()
    bad = fake_version(world.project, metrics={"accuracy": 0.5})
    worse = fake_version(world.project, metrics={"accuracy": 0.91})  # meets 0.9 but 0.04 below live 0.95
    m = world.client(maintainer)
    res = m.post(BASE + "digits/deploy/", {"version": bad.number, "reason": "try"}, format="json")
    assert res.status_code == 409 and res.json()["error"]["code"] == "quality_gate"
    res = m.post(BASE + "digits/deploy/", {"version": worse.number, "reason": "try"}, format="json")
    assert res.status_code == 409 and "worse than the live" in res.json()["error"]["message"]
    # a maintainer may not override; an admin may, with a written reason
    res = m.post(
        BASE + "digits/deploy/",
        {"version": bad.number, "override_gate": True, "reason": "hotfix needed now"},
        format="json",
    )
    assert res.status_code == 403 and res.json()["error"]["code"] == "forbidden"
    assert "override_gate" in res.json()["error"]["fields"]
    res = world.client(world.owner).post(
        BASE + "digits/deploy/", {"version": bad.number, "override_gate": True, "reason": "x"}, format="json"
    )
    assert res.status_code == 400 and "reason" in res.json()["error"]["fields"]
    res = world.client(world.owner).post(
        BASE + "digits/deploy/",
        {"version": bad.number, "override_gate": True, "reason": "known-bad metric, ship the fix"},
        format="json",
    )
    assert res.status_code == 200 and res.json()["live_version"]["number"] == bad.number
    kinds = list(DeploymentEvent.objects.values_list("kind", flat=True))
    assert "gate_override" in kinds
    gate = world.client(world.owner).get(BASE + "digits/gate/", {"version": 1}).json()
    assert gate["passed"] is True and gate["metric"] == "accuracy"


@pytest.mark.django_db(transaction=True)
def test_concurrent_promotions_leave_one_live_version(world: Any) -> None:
    from django.db import connection

    from shipyard.core.errors import DomainConflict
    from shipyard.serving import lifecycle

    create(world)
    fake_version(world.project)
    world.client(world.owner).post(
        BASE + "digits/canary/", {"version": 2, "weight": 50, "reason": "try v2"}, format="json"
    )
    deployment = Deployment.objects.get()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def promote() -> None:
        barrier.wait()
        try:
            lifecycle.deployment_promote(deployment=deployment, by=world.owner, reason="race")
            outcomes.append("ok")
        except DomainConflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=promote) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "ok"]
    d = Deployment.objects.get()
    assert d.live_version.number == 2 and d.canary_version is None and len(d.live_history) == 1
    assert DeploymentEvent.objects.filter(kind="promote").count() == 1


def test_api_keys(world: Any) -> None:
    create(world)
    owner = world.client(world.owner)
    res = owner.post(BASE + "digits/keys/", {"name": "checkout"}, format="json")
    assert res.status_code == 201 and res.json()["key"].startswith("sk_")
    assert owner.post(BASE + "digits/keys/", {}, format="json").json()["error"]["fields"].keys() == {"name"}
    assert world.client(world.teammate).get(BASE + "digits/keys/").status_code == 403
    key_id = res.json()["id"]
    assert owner.post(BASE + f"digits/keys/{key_id}/revoke/").json()["revoked_at"]
    assert world.client(world.outsider).post(BASE + f"digits/keys/{key_id}/revoke/").status_code == 404


def test_settings_patch_and_metrics(world: Any) -> None:
    create(world)
    owner = world.client(world.owner)
    res = owner.patch(BASE + "digits/", {"max_delay_ms": 2, "reason": "lower latency"}, format="json")
    assert res.status_code == 200 and res.json()["max_delay_ms"] == 2
    assert owner.patch(BASE + "digits/", {"max_delay_ms": -1}, format="json").status_code == 400
    assert world.client(world.teammate).patch(BASE + "digits/", {"max_delay_ms": 3}, format="json").status_code == 403
    assert DeploymentEvent.objects.filter(kind="settings").count() == 1
    # the prediction log's retention: whole days within range, the field named when not
    assert owner.patch(BASE + "digits/", {"log_hot_days": 31}, format="json").json()["log_hot_days"] == 31
    for bad in (0, 3651, "x", None):
        res = owner.patch(BASE + "digits/", {"log_hot_days": bad}, format="json")
        assert res.status_code == 400 and res.json()["error"]["fields"].keys() == {"log_hot_days"}, bad
    assert world.client(world.teammate).patch(BASE + "digits/", {"log_hot_days": 5}, format="json").status_code == 403
    assert owner.get(BASE + "digits/metrics/", {"minutes": "x"}).json()["error"]["fields"].keys() == {"minutes"}
    assert owner.get(BASE + "digits/metrics/").json()["series"] == []


def test_team_deployment_list_spans_projects_and_hides_other_teams(world: Any) -> None:
    from shipyard.serving import lifecycle
    from tests.factories import ProjectFactory

    create(world)
    second = ProjectFactory(team=world.team, slug="churn")
    v = fake_version(second)
    lifecycle.deployment_create(
        project=second, name="churn", model=v.model, version=v, by=world.owner, reason="", override_gate=False
    )
    rival = fake_version(world.other_project)
    lifecycle.deployment_create(
        project=world.other_project, name="secret", model=rival.model, version=rival, by=world.outsider, reason=""
    )
    listed = world.client(world.teammate).get("/api/v1/deployments/").json()["results"]
    assert [(d["project"], d["name"]) for d in listed] == [("churn", "churn"), ("fraud-model", "digits")]
    only = world.client(world.teammate).get("/api/v1/deployments/?team=acme").json()["results"]
    assert len(only) == 2
    # another team's slug, even passed explicitly, shows nothing
    assert world.client(world.teammate).get("/api/v1/deployments/?team=rival").json()["results"] == []
    assert [d["name"] for d in world.client(world.outsider).get("/api/v1/deployments/").json()["results"]] == ["secret"]


def test_version_page_keeps_its_deployment_history(world: Any) -> None:
    create(world)
    v2 = fake_version(world.project)
    owner = world.client(world.owner)
    owner.post(BASE + "digits/canary/", {"version": v2.number, "weight": 20, "reason": "try v2"}, format="json")
    owner.post(BASE + "digits/promote/", {"reason": "looks good"}, format="json")
    owner.post(BASE + "digits/rollback/", {"reason": "v2 regressed"}, format="json")
    events = {e.kind: e.created_at.isoformat() for e in DeploymentEvent.objects.all()}
    page = owner.get("/api/v1/projects/fraud-model/models/digits/versions/2/").json()
    (used,) = page["deployments"]
    assert (used["name"], used["role"]) == ("digits", "past")
    assert used["periods"] == [
        {"role": "canary", "start": events["canary"], "end": events["promote"]},
        {"role": "live", "start": events["promote"], "end": events["rollback"]},
    ]
    (v1_used,) = owner.get("/api/v1/projects/fraud-model/models/digits/versions/1/").json()["deployments"]
    assert v1_used["role"] == "live"
    assert [(p["role"], p["end"]) for p in v1_used["periods"]] == [
        ("live", events["promote"]),
        ("live", None),
    ]


def test_canary_comparison_warns_without_traffic_and_compares_with_it(world: Any) -> None:
    from django.utils import timezone

    from shipyard.serving.models import PredictionRollup

    create(world)
    v2 = fake_version(world.project)
    owner = world.client(world.owner)
    assert owner.get(BASE + "digits/comparison/").json()["canary"] is None
    owner.post(BASE + "digits/canary/", {"version": v2.number, "weight": 20, "reason": "try v2"}, format="json")
    res = owner.get(BASE + "digits/comparison/").json()
    assert res["no_traffic"] is True and res["canary"]["count"] == 0 and res["canary"]["weight"] == 20
    d = Deployment.objects.get()
    minute = timezone.now().replace(second=0, microsecond=0)
    for version, count, errors, hist in ((d.live_version, 80, 0, [0, 80]), (v2, 20, 5, [0, 20])):
        PredictionRollup.objects.create(
            deployment=d, version=version, bucket_start=minute, count=count, errors=errors, latency_hist=hist
        )
    res = owner.get(BASE + "digits/comparison/").json()
    assert res["no_traffic"] is False and res["enough_traffic"] is True
    assert (res["canary"]["count"], res["canary"]["error_rate"]) == (20, 0.25)
    assert (res["live"]["count"], res["live"]["error_rate"]) == (80, 0.0)
    assert res["breaches"] == ["error_rate"] and res["thresholds"]["max_error_rate_delta"] == 0.02
    assert world.client(world.outsider).get(BASE + "digits/comparison/").status_code == 404
