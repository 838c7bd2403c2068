"""Shadow traffic through the API: bad input names the field, roles and scoping; the collector logs
each mirrored row with its agreement and both latencies; the report sums them up."""

from __future__ import annotations

import time
from typing import Any

import pytest

from shipyard.serving import protocol, shadow
from shipyard.serving.models import Deployment, ShadowLog
from shipyard.serving.selectors import deployment_route
from shipyard.serving.shadow_service import shadow_collect, shadow_start
from tests.serving.conftest import fake_version

BASE = "/api/v1/projects/fraud-model/deployments/digits/"


def _deploy(world: Any) -> tuple[Deployment, Any, Any]:
    from shipyard.serving import lifecycle

    v1, v2 = fake_version(world.project), fake_version(world.project)
    d = lifecycle.deployment_create(
        project=world.project, name="digits", model=v1.model, version=v1, by=world.owner, reason="first"
    )
    return d, v1, v2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"version": 3, "share": 0.5}, "version"),  # a state_dict without a recipe cannot be served
        ({"version": 1, "share": 0.5}, "version"),  # the live version
        ({"version": 9}, "version"),
        ({"version": 2, "share": 0}, "share"),
        ({"version": 2, "share": 1.5}, "share"),
        ({"share": 0.5}, "version"),
        ({"version": 2, "surprise": 1}, "surprise"),
    ],
)
def test_bad_shadow_is_a_400_naming_the_field(world: Any, body: dict[str, Any], field: str) -> None:
    _deploy(world)
    fake_version(world.project, fmt="state_dict")
    res = world.client(world.owner).post(BASE + "shadow/", body, format="json")
    assert res.status_code == 400, res.json()
    assert field in res.json()["error"]["fields"], res.json()
    assert Deployment.objects.get().shadow_version is None


def test_start_stop_roles_and_scoping(world: Any, redis_client: Any) -> None:
    _deploy(world)
    assert world.client(world.teammate).post(BASE + "shadow/", {"version": 2}, format="json").status_code == 403
    assert world.client(world.outsider).get(BASE + "shadow/").status_code == 404
    res = world.client(world.owner).post(BASE + "shadow/", {"version": 2, "share": 0.25}, format="json")
    assert res.status_code == 200, res.json()
    assert res.json()["shadow_version"]["number"] == 2 and res.json()["shadow_share"] == 0.25
    route = deployment_route(project="fraud-model", name="digits")
    assert route is not None and route.shadow is not None and route.shadow.number == 2 and route.shadow_share == 0.25
    report = world.client(world.teammate).get(BASE + "shadow/").json()
    assert report["active"] and report["version"] == 2 and report["count"] == 0 and report["agreement"] is None
    assert world.client(world.teammate).get(BASE + "shadow/?minutes=0").status_code == 400
    assert world.client(world.teammate).delete(BASE + "shadow/").status_code == 403
    assert world.client(world.owner).delete(BASE + "shadow/").status_code == 200
    assert world.client(world.owner).delete(BASE + "shadow/").status_code == 409
    assert deployment_route(project="fraud-model", name="digits").shadow is None  # type: ignore[union-attr]


def test_collector_logs_agreement_and_latencies(world: Any, redis_client: Any) -> None:
    d, v1, v2 = _deploy(world)
    d = shadow_start(deployment=d, version=v2, share=1.0, by=world.owner)
    route = deployment_route(project="fraud-model", name="digits")
    assert route is not None
    message = shadow.shadow_message(
        route=route,
        message_id="abc",
        rows=[[0.0] * 64] * 3,
        live_version_id=v1.pk,
        live_outputs=[1, 2, 3],
        live_ms=4.0,
        request_ids=["abc-0", "abc-1", "abc-2"],
    )
    # what a worker answers (the shadow agrees on two rows of three), echoed with the live side
    assert protocol.Request.loads(message.dumps()).shadow == message.shadow
    time.sleep(0.01)
    body = shadow.annotate(protocol.ok_reply([1, 2, 9], None, None, "w", message.id), message.shadow or {})
    redis_client.lpush(shadow.REPLIES, body, b"not json")
    assert shadow_collect(redis_client) == 3
    rows = list(ShadowLog.objects.order_by("request_id"))
    assert [r.agree for r in rows] == [True, True, False]
    assert [r.shadow_output for r in rows] == [1, 2, 9] and rows[0].live_ms == 4.0 and rows[0].shadow_ms > 0
    report = world.client(world.owner).get(BASE + "shadow/").json()
    assert report["count"] == 3 and report["agreement"] == pytest.approx(2 / 3)
    assert report["live_p50_ms"] == 4.0 and report["shadow_p50_ms"] > 0 and len(report["series"]) == 1
    assert report["disagreements"][0]["request_id"] == "abc-2" and report["disagreements"][0]["shadow_output"] == 9
