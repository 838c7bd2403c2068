"""Starting and stopping a bandit, a shadow and an ensemble with hostile bodies: wrong types, NUL
bytes, deep nesting, huge numbers and NaN are a 400 naming the field (or the body), never a 500,
and nothing changes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shipyard.serving.models import BanditArm, Deployment
from tests.serving.test_shadow import _deploy

BASE = "/api/v1/projects/fraud-model/deployments/digits/"
ENSEMBLES = "/api/v1/projects/fraud-model/models/{model}/ensembles/"


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def _post_raw(world: Any, url: str, raw: str, method: str = "post") -> Any:
    client = world.client(world.owner)
    return getattr(client, method)(url, raw, content_type="application/json")


def _post(world: Any, url: str, body: dict[str, Any] | str) -> Any:
    """A body as JSON; a string is sent as it is (JSON cannot encode 1e999 as a float)."""
    return _post_raw(world, url, body if isinstance(body, str) else json.dumps(body))


def _names(res: Any, field: str) -> bool:
    """The error names the field itself or one of its items (``versions.0``, ``metrics.accuracy``)."""
    fields = res.json()["error"].get("fields") or {}
    return any(name == field or name.startswith(field + ".") for name in fields)


HOSTILE_BANDIT: list[tuple[dict[str, Any] | str, str]] = [
    ({"versions": [1, 2], "reason": "why\x00not"}, "reason"),
    ({"versions": [1, 2**63]}, "versions"),
    ({"versions": [1, 10**40]}, "versions"),
    ({"versions": [1, 2], "epsilon": "NaN"}, "epsilon"),
    ('{"versions": [1, 2], "epsilon": 1e999}', "epsilon"),
    ({"versions": [1, 2], "min_share": [0.1]}, "min_share"),
    ({"versions": [1, 2], "policy": {"$ne": ""}}, "policy"),
    ({"versions": [[1], [2]]}, "versions"),
    ({"versions": list(range(1, 10_000))}, "versions"),
    ({"versions": [1, 2], "reason": "x" * 100_000}, "reason"),
    ({"versions": None}, "versions"),
]


@pytest.mark.parametrize(("body", "field"), HOSTILE_BANDIT)
def test_hostile_bandit_is_a_400_naming_the_field(world: Any, body: dict[str, Any] | str, field: str) -> None:
    _deploy(world)
    res = _post(world, BASE + "bandit/", body)
    assert res.status_code == 400, res.content
    assert _names(res, field), res.json()
    assert not BanditArm.objects.exists() and not Deployment.objects.get().bandit_policy


HOSTILE_SHADOW = [
    ({"version": 2, "reason": "\x00"}, "reason"),
    ({"version": 2**63}, "version"),
    ({"version": "2; DROP TABLE"}, "version"),
    ({"version": 2, "share": "NaN"}, "share"),
    ({"version": 2, "share": {"a": 1}}, "share"),
    ({"version": [2]}, "version"),
    ({"version": True}, "version"),
]


@pytest.mark.parametrize(("body", "field"), HOSTILE_SHADOW)
def test_hostile_shadow_is_a_400_naming_the_field(world: Any, body: dict[str, Any], field: str) -> None:
    _deploy(world)
    res = _post(world, BASE + "shadow/", body)
    assert res.status_code == 400, res.content
    assert _names(res, field), res.json()
    assert Deployment.objects.get().shadow_version is None


HOSTILE_ENSEMBLE: list[tuple[dict[str, Any] | str, str]] = [
    ({"members": [1, 2**63]}, "members"),
    ('{"members": [1, 2], "combine": "weighted", "weights": [1e999, 1]}', "weights"),
    ({"members": [1, 2], "combine": "weighted", "weights": ["NaN", 1]}, "weights"),
    ({"members": [1, 2], "description": "a\x00b"}, "description"),
    ({"members": [1, 2], "metrics": {"accuracy": "NaN"}}, "metrics"),
    ({"members": [1, 2], "metrics": {"accuracy": {"deep": [1]}}}, "metrics"),
    ({"members": {"1": 2}}, "members"),
]


@pytest.mark.parametrize(("body", "field"), HOSTILE_ENSEMBLE)
def test_hostile_ensemble_is_a_400_naming_the_field(world: Any, body: dict[str, Any] | str, field: str) -> None:
    d, _, _ = _deploy(world)
    count = d.model.versions.count()
    res = _post(world, ENSEMBLES.format(model=d.model.name), body)
    assert res.status_code == 400, res.content
    assert _names(res, field), res.json()
    assert d.model.versions.count() == count


@pytest.mark.parametrize("path", ["bandit/", "shadow/"])
@pytest.mark.parametrize(
    "raw", [_nested(100_000), '{"versions": [1, 2], "version": 2, "share": 0.5', "\x00", "[]", "3"]
)
def test_malformed_start_bodies_are_a_400(world: Any, path: str, raw: str) -> None:
    _deploy(world)
    res = _post_raw(world, BASE + path, raw)
    assert res.status_code == 400, res.content
    assert "error" in res.json()
    d = Deployment.objects.get()
    assert not d.bandit_policy and d.shadow_version is None


@pytest.mark.parametrize("path", ["bandit/", "shadow/"])
@pytest.mark.parametrize(
    ("raw", "field"), [('{"reason": "\\u0000"}', "reason"), ('{"reason": [1]}', "reason"), ('{"why": 1}', "why")]
)
def test_hostile_stop_bodies_are_a_400_and_change_nothing(world: Any, path: str, raw: str, field: str) -> None:
    d, v1, v2 = _deploy(world)
    from shipyard.serving.bandit_service import bandit_start
    from shipyard.serving.shadow_service import shadow_start

    if path == "bandit/":
        bandit_start(deployment=d, versions=[v1, v2], by=world.owner)
    else:
        shadow_start(deployment=d, version=v2, share=0.5, by=world.owner)
    res = _post_raw(world, BASE + path, raw, method="delete")
    assert res.status_code == 400, res.content
    assert _names(res, field), res.json()
    d = Deployment.objects.get()
    assert bool(d.bandit_policy) == (path == "bandit/") and (d.shadow_version is not None) == (path == "shadow/")


def test_stop_returns_the_deployment_and_another_team_gets_a_404(world: Any) -> None:
    d, v1, v2 = _deploy(world)
    from shipyard.serving.bandit_service import bandit_start

    bandit_start(deployment=d, versions=[v1, v2], by=world.owner)
    body = json.dumps({"reason": "enough data"})
    assert _post_raw(world, BASE + "bandit/", "{}").status_code in (400, 409)
    outsider = world.client(world.outsider)
    assert outsider.delete(BASE + "bandit/", body, content_type="application/json").status_code == 404
    assert outsider.post(BASE + "shadow/", {"version": 2}, format="json").status_code == 404
    assert outsider.post(ENSEMBLES.format(model=d.model.name), {"members": [1, 2]}, format="json").status_code == 404
    res = world.client(world.owner).delete(BASE + "bandit/", body, content_type="application/json")
    assert res.status_code == 200 and res.json()["bandit_arms"] == [] and res.json()["name"] == "digits"
