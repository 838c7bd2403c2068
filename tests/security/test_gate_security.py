"""Issue 11, hole 3: a maintainer must not get a version past the quality gate.

The attacks: clear or loosen the gate's settings and then deploy a failing version; send (nearly) all
traffic to an ungated version through a canary; ask to override the gate without being an admin.
Each test performs the attack through the API against the real database.
"""

from __future__ import annotations

from typing import Any

import pytest

from shipyard.serving.models import Deployment, DeploymentEvent
from tests.factories import MembershipFactory, UserFactory
from tests.serving.conftest import fake_version

BASE = "/api/v1/projects/fraud-model/deployments/"
DETAIL = BASE + "digits/"
REASON = "incident 42: the evaluation set was mislabelled"


@pytest.fixture
def maintainer(world: Any) -> Any:
    user = UserFactory(username="maint")
    MembershipFactory(user=user, team=world.team, role="maintainer")
    return user


@pytest.fixture
def gated(world: Any) -> dict[str, Any]:
    """A deployment `digits` whose gate needs accuracy >= 0.9 (live v1 at 0.95), a failing v2 (0.5)
    and a passing v3 (0.96)."""
    v1 = fake_version(world.project, metrics={"accuracy": 0.95})
    res = world.client(world.owner).post(
        BASE,
        {"name": "digits", "model": "digits", "version": v1.number, "reason": "first", "quality_threshold": 0.9},
        format="json",
    )
    assert res.status_code == 201, res.json()
    bad = fake_version(world.project, metrics={"accuracy": 0.5})
    good = fake_version(world.project, metrics={"accuracy": 0.96})
    return {"live": v1, "bad": bad, "good": good}


def _state() -> tuple[Any, ...]:
    d = Deployment.objects.get(name="digits")
    return (
        d.live_version_id,
        d.canary_version_id,
        d.canary_weight,
        d.quality_metric,
        d.quality_threshold,
        d.quality_tolerance,
        d.quality_lower_is_better,
        d.max_delay_ms,
    )


def _error(res: Any, status: int, code: str, field: str) -> None:
    assert res.status_code == status, res.json()
    error = res.json()["error"]
    assert error["code"] == code, error
    assert field in error["fields"], error


# -- (a) changing the gate's settings ---------------------------------------------------------------
def test_maintainer_cannot_clear_the_threshold_then_deploy_a_failing_version(
    world: Any, maintainer: Any, gated: dict[str, Any]
) -> None:
    m = world.client(maintainer)
    before, events = _state(), DeploymentEvent.objects.count()
    res = m.patch(DETAIL, {"quality_threshold": None, "reason": REASON}, format="json")
    _error(res, 403, "forbidden", "quality_threshold")
    assert _state() == before
    assert DeploymentEvent.objects.count() == events
    # the second half of the attack: the failing version is still refused
    res = m.post(DETAIL + "deploy/", {"version": gated["bad"].number, "reason": REASON}, format="json")
    _error(res, 409, "quality_gate", "version")
    assert Deployment.objects.get().live_version_id == gated["live"].pk


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("quality_threshold", 0.1),
        ("quality_metric", "made_up_metric"),
        ("quality_tolerance", 1.0),
        ("quality_lower_is_better", True),
    ],
)
def test_maintainer_cannot_loosen_any_gate_setting(
    world: Any, maintainer: Any, gated: dict[str, Any], field: str, value: Any
) -> None:
    before, events = _state(), DeploymentEvent.objects.count()
    # bundled with an allowed change, the whole request is refused and nothing is written
    res = world.client(maintainer).patch(DETAIL, {field: value, "max_delay_ms": 2, "reason": REASON}, format="json")
    _error(res, 403, "forbidden", field)
    assert _state() == before
    assert DeploymentEvent.objects.count() == events


def test_maintainer_may_still_change_other_settings(world: Any, maintainer: Any, gated: dict[str, Any]) -> None:
    # sending the gate settings unchanged (as a full settings form would) is not a gate change
    res = world.client(maintainer).patch(
        DETAIL, {"max_delay_ms": 2, "quality_threshold": 0.9, "quality_metric": "accuracy"}, format="json"
    )
    assert res.status_code == 200, res.json()
    assert res.json()["max_delay_ms"] == 2 and res.json()["quality_threshold"] == 0.9
    event = DeploymentEvent.objects.get(kind="settings")
    assert event.detail["changed"] == {"max_delay_ms": [5.0, 2]} and "gate" not in event.detail


def test_admin_changing_the_gate_needs_a_reason(world: Any, gated: dict[str, Any]) -> None:
    owner = world.client(world.owner)
    before = _state()
    _error(owner.patch(DETAIL, {"quality_threshold": None}, format="json"), 400, "invalid", "reason")
    _error(
        owner.patch(DETAIL, {"quality_threshold": None, "reason": "  too short "}, format="json"),
        400,
        "invalid",
        "reason",
    )
    assert _state() == before
    assert not DeploymentEvent.objects.filter(kind="settings").exists()


def test_admin_changes_the_gate_with_a_reason_and_the_event_records_it(world: Any, gated: dict[str, Any]) -> None:
    res = world.client(world.owner).patch(DETAIL, {"quality_threshold": None, "reason": REASON}, format="json")
    assert res.status_code == 200, res.json()
    assert res.json()["quality_threshold"] is None
    assert Deployment.objects.get().quality_threshold is None
    event = DeploymentEvent.objects.get(kind="settings")
    assert event.actor == world.owner and event.reason == REASON
    assert event.detail["changed"] == {"quality_threshold": [0.9, None]}
    gate = event.detail["gate"]
    assert gate["by"] == "owner" and gate["reason"] == REASON
    assert gate["old"]["quality_threshold"] == 0.9 and gate["new"]["quality_threshold"] is None
    assert gate["old"]["quality_metric"] == gate["new"]["quality_metric"] == "accuracy"
    # the history shows who and why
    listed = world.client(world.teammate).get(DETAIL + "events/").json()["results"]
    assert (listed[0]["kind"], listed[0]["actor"], listed[0]["reason"]) == ("settings", "owner", REASON)


# -- (b) a canary that takes most of the traffic ----------------------------------------------------
def test_maintainer_canary_at_100_with_a_failing_version_is_refused(
    world: Any, maintainer: Any, gated: dict[str, Any]
) -> None:
    before, events = _state(), DeploymentEvent.objects.count()
    res = world.client(maintainer).post(
        DETAIL + "canary/", {"version": gated["bad"].number, "weight": 100, "reason": REASON}, format="json"
    )
    _error(res, 409, "quality_gate", "version")
    assert _state() == before
    assert DeploymentEvent.objects.count() == events
    traffic = world.client(maintainer).get(DETAIL).json()["traffic"]
    assert traffic == [{"version": gated["live"].number, "role": "live", "share": 100}]


def test_raising_an_ungated_canary_above_the_bar_is_gated(world: Any, maintainer: Any, gated: dict[str, Any]) -> None:
    m = world.client(maintainer)
    bad = gated["bad"].number
    res = m.post(DETAIL + "canary/", {"version": bad, "weight": 30, "reason": "try it"}, format="json")
    assert res.status_code == 200, res.json()
    before = _state()
    res = m.post(DETAIL + "canary/", {"weight": 100, "reason": REASON}, format="json")
    _error(res, 409, "quality_gate", "version")
    assert _state() == before and before[2] == 30


@pytest.mark.parametrize("weight", [30, 50])
def test_canary_at_or_under_the_bar_is_not_gated(
    world: Any, maintainer: Any, gated: dict[str, Any], weight: int
) -> None:
    res = world.client(maintainer).post(
        DETAIL + "canary/", {"version": gated["bad"].number, "weight": weight, "reason": "try it"}, format="json"
    )
    assert res.status_code == 200, res.json()
    assert res.json()["canary_version"]["number"] == gated["bad"].number and res.json()["canary_weight"] == weight
    assert not DeploymentEvent.objects.filter(kind="gate_override").exists()


def test_the_bar_is_configurable(world: Any, maintainer: Any, gated: dict[str, Any], settings: Any) -> None:
    settings.SERVING_CANARY_GATE_WEIGHT = 20
    m = world.client(maintainer)
    res = m.post(DETAIL + "canary/", {"version": gated["bad"].number, "weight": 30, "reason": "try it"}, format="json")
    _error(res, 409, "quality_gate", "version")
    res = m.post(DETAIL + "canary/", {"version": gated["bad"].number, "weight": 20, "reason": "try it"}, format="json")
    assert res.status_code == 200, res.json()


def test_canary_above_the_bar_with_a_passing_version_is_allowed(
    world: Any, maintainer: Any, gated: dict[str, Any]
) -> None:
    res = world.client(maintainer).post(
        DETAIL + "canary/", {"version": gated["good"].number, "weight": 100, "reason": "ship it"}, format="json"
    )
    assert res.status_code == 200, res.json()
    assert res.json()["canary_weight"] == 100
    event = DeploymentEvent.objects.get(kind="canary")
    assert event.detail["gate"]["passed"] is True and event.detail["gate"]["configured"] is True


# -- overriding the gate --------------------------------------------------------------------------
def _override_request(action: str, gated: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    bad = gated["bad"].number
    body = {"override_gate": True, "reason": REASON}
    if action == "deploy":
        return DETAIL + "deploy/", {"version": bad, **body}
    if action == "canary":
        return DETAIL + "canary/", {"version": bad, "weight": 100, **body}
    if action == "promote":
        return DETAIL + "promote/", body
    return BASE, {"name": "digits-2", "model": "digits", "version": bad, "quality_threshold": 0.9, **body}


def _canary_bad_at_10(world: Any, gated: dict[str, Any]) -> None:
    res = world.client(world.owner).post(
        DETAIL + "canary/", {"version": gated["bad"].number, "weight": 10, "reason": "try it"}, format="json"
    )
    assert res.status_code == 200, res.json()


@pytest.mark.parametrize("action", ["create", "deploy", "canary", "promote"])
def test_maintainer_asking_to_override_gets_403(
    world: Any, maintainer: Any, gated: dict[str, Any], action: str
) -> None:
    if action == "promote":
        _canary_bad_at_10(world, gated)
    before, events = _state(), DeploymentEvent.objects.count()
    path, body = _override_request(action, gated)
    res = world.client(maintainer).post(path, body, format="json")
    _error(res, 403, "forbidden", "override_gate")
    assert _state() == before
    assert DeploymentEvent.objects.count() == events
    assert Deployment.objects.count() == 1


@pytest.mark.parametrize(
    ("action", "kind"), [("create", "create"), ("deploy", "deploy"), ("canary", "canary"), ("promote", "promote")]
)
def test_admin_override_always_leaves_a_gate_override_event(
    world: Any, gated: dict[str, Any], action: str, kind: str
) -> None:
    if action == "promote":
        _canary_bad_at_10(world, gated)
    path, body = _override_request(action, gated)
    res = world.client(world.owner).post(path, body, format="json")
    assert res.status_code == (201 if action == "create" else 200), res.json()
    name = "digits-2" if action == "create" else "digits"
    d = Deployment.objects.get(name=name)
    if action == "canary":
        assert (d.canary_version_id, d.canary_weight) == (gated["bad"].pk, 100)
    else:
        assert d.live_version_id == gated["bad"].pk
    override = DeploymentEvent.objects.get(deployment=d, kind="gate_override")
    assert override.actor == world.owner and override.reason == REASON
    assert override.to_version_id == gated["bad"].pk
    assert override.detail["gate"]["passed"] is False
    assert DeploymentEvent.objects.filter(deployment=d, kind=kind, to_version=gated["bad"]).exists()


def test_admin_override_of_a_gated_canary_needs_a_reason(world: Any, gated: dict[str, Any]) -> None:
    before = _state()
    res = world.client(world.owner).post(
        DETAIL + "canary/",
        {"version": gated["bad"].number, "weight": 100, "override_gate": True, "reason": "x"},
        format="json",
    )
    _error(res, 400, "invalid", "reason")
    assert _state() == before
    assert not DeploymentEvent.objects.filter(kind="gate_override").exists()


def test_the_bar_must_be_a_percentage() -> None:
    from shipyard.config import env

    for raw in ("101", "-1", "half"):
        with pytest.raises(env.EnvError, match="SERVING_CANARY_GATE_WEIGHT"):
            env.env_int(
                "SERVING_CANARY_GATE_WEIGHT", 50, environ={"SERVING_CANARY_GATE_WEIGHT": raw}, minimum=0, maximum=100
            )
