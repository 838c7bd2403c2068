"""Bandit routing: the Thompson simulation on digits (real Redis, the real policy and reward code),
the API (one arm is a 400 naming ``versions``, roles, scoping), feedback rewarding exactly the
arm that served the request once, stickiness, and the state rebuilt from Postgres after Redis lost it."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import numpy as np
import pytest
from django.test import Client
from django.utils import timezone

from shipyard.accounts.services import token_for
from shipyard.serving import bandit, dataplane, lifecycle
from shipyard.serving.bandit_service import bandit_rebuild, bandit_start
from shipyard.serving.models import BanditArm, Deployment, DeploymentEvent, PredictionLog
from shipyard.serving.selectors import bandit_config, deployment_route
from tests.serving.conftest import fake_version

BASE = "/api/v1/projects/fraud-model/deployments/digits/"


def _version_predictions(labels: np.ndarray, accuracy: float, seed: int) -> np.ndarray:
    """A version's answers on the digits rows: right on exactly ``accuracy`` of them, a wrong digit
    on the rest (seeded)."""
    rng = np.random.default_rng(seed)
    out = labels.copy()
    wrong = rng.choice(len(labels), size=round(len(labels) * (1 - accuracy)), replace=False)
    out[wrong] = (labels[wrong] + rng.integers(1, 10, size=len(wrong))) % 10
    return out


def test_thompson_sends_most_traffic_to_the_better_version(redis_client: Any) -> None:
    from sklearn.datasets import load_digits

    _, labels = load_digits(return_X_y=True)
    answers = {11: _version_predictions(labels, 0.90, seed=1), 12: _version_predictions(labels, 0.70, seed=2)}
    assert abs(float((answers[11] == labels).mean()) - 0.90) < 0.005
    assert abs(float((answers[12] == labels).mean()) - 0.70) < 0.005
    config = bandit.BanditConfig(policy="thompson", epsilon=0.0, min_share=0.02, epoch=1, arms=(12, 11))
    rows = random.Random(7)
    chosen: list[int] = []
    for _ in range(5_000):
        arm = bandit.pick_sync(redis_client, 1, config, None)
        i = rows.randrange(len(labels))
        bandit.reward_sync(redis_client, 1, config.epoch, arm, bool(answers[arm][i] == labels[i]))
        chosen.append(arm)
    last = chosen[-1_000:]
    share = last.count(11) / len(last)
    assert share >= 0.85, share
    # the state lives in Redis: a fresh reader (another process) sees the same posteriors
    state = bandit.parse_state(redis_client.hgetall(bandit.state_key(1, 1)), config.arms)
    assert state[11].successes + state[11].failures == chosen.count(11)
    assert state[11].mean > state[12].mean
    # and the minimum exploration share still reaches the worse arm
    assert last.count(12) >= 5


def test_epsilon_greedy_and_min_share() -> None:
    rng = random.Random(3)
    state = {1: bandit.ArmState(1, 90, 10), 2: bandit.ArmState(2, 10, 90)}
    greedy = bandit.BanditConfig(policy="epsilon_greedy", epsilon=0.2, min_share=0.0, epoch=1, arms=(1, 2))
    picks = [bandit.choose(greedy, state, rng) for _ in range(4_000)]
    assert 0.07 < picks.count(2) / len(picks) < 0.13  # epsilon / 2 explores the worse arm
    floor = bandit.BanditConfig(policy="thompson", epsilon=0.0, min_share=0.1, epoch=1, arms=(1, 2))
    picks = [bandit.choose(floor, state, rng) for _ in range(4_000)]
    assert picks.count(2) / len(picks) > 0.08  # at least min_share, whatever the posterior


def test_sticky_per_routing_key(redis_client: Any) -> None:
    config = bandit.BanditConfig(policy="thompson", epsilon=0.0, min_share=0.5, epoch=5, arms=(1, 2))
    for user in ("u-1", "u-2", "u-3"):
        first = bandit.pick_sync(redis_client, 9, config, user)
        # whatever the rewards do meanwhile, the key stays on its arm
        for _ in range(20):
            bandit.reward_sync(redis_client, 9, 5, first, False)
            assert bandit.pick_sync(redis_client, 9, config, user) == first
    # without a key, min_share 0.5 x 2 arms is a uniform draw: both arms come up
    assert {bandit.pick_sync(redis_client, 9, config, None) for _ in range(40)} == {1, 2}


def _deploy(world: Any) -> tuple[Deployment, Any, Any]:
    v1, v2 = fake_version(world.project), fake_version(world.project)
    d = lifecycle.deployment_create(
        project=world.project, name="digits", model=v1.model, version=v1, by=world.owner, reason="first"
    )
    return d, v1, v2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"versions": [1]}, "versions"),
        ({"versions": []}, "versions"),
        ({"versions": [1, 1]}, "versions"),
        ({"versions": [1, 99]}, "versions"),
        ({"versions": [1, 2], "policy": "ucb"}, "policy"),
        ({"versions": [1, 2], "min_share": 0.6}, "min_share"),
        ({"versions": [1, 2], "epsilon": -1}, "epsilon"),
        ({"versions": "1,2"}, "versions"),
        ({"versions": [1, 2], "surprise": True}, "surprise"),
    ],
)
def test_bad_bandit_is_a_400_naming_the_field(world: Any, body: dict[str, Any], field: str) -> None:
    _deploy(world)
    res = world.client(world.owner).post(BASE + "bandit/", body, format="json")
    assert res.status_code == 400, res.json()
    assert field in res.json()["error"]["fields"], res.json()
    assert not BanditArm.objects.exists() and not Deployment.objects.get().bandit_policy


def test_min_share_must_fit_the_arms(world: Any) -> None:
    _deploy(world)
    v3 = fake_version(world.project)
    res = world.client(world.owner).post(BASE + "bandit/", {"versions": [1, 2, 3], "min_share": 0.4}, format="json")
    assert res.status_code == 400 and "min_share" in res.json()["error"]["fields"]
    assert v3.number == 3


def test_start_report_stop_roles_and_scoping(world: Any, redis_client: Any) -> None:
    from tests.factories import MembershipFactory, UserFactory

    _deploy(world)
    member = world.client(world.teammate)
    assert member.post(BASE + "bandit/", {"versions": [1, 2]}, format="json").status_code == 403
    outsider = world.client(world.outsider)
    assert outsider.get(BASE + "bandit/").status_code == 404
    assert outsider.post(BASE + "bandit/", {"versions": [1, 2]}, format="json").status_code == 404
    maintainer = UserFactory(username="maint")
    MembershipFactory(user=maintainer, team=world.team, role="maintainer")
    res = world.client(maintainer).post(BASE + "bandit/", {"versions": [1, 2], "reason": "try v2"}, format="json")
    assert res.status_code == 200, res.json()
    assert res.json()["bandit_policy"] == "thompson" and res.json()["bandit_arms"] == [1, 2]
    event = DeploymentEvent.objects.filter(kind="bandit").get()
    assert event.detail["versions"] == [1, 2] and event.reason == "try v2"
    report = member.get(BASE + "bandit/").json()
    assert report["active"] and [a["version"] for a in report["arms"]] == [1, 2]
    assert report["arms"][0]["mean"] == 0.5 and report["arms"][0]["low"] < 0.5 < report["arms"][0]["high"]
    # the route the data plane reads carries the arms
    route = deployment_route(project="fraud-model", name="digits")
    assert route is not None and route.bandit is not None and [a.number for a in route.arms] == [1, 2]
    # a canary while a bandit routes is a conflict
    res = world.client(world.owner).post(
        BASE + "canary/", {"version": 2, "weight": 10, "reason": "canary during a bandit"}, format="json"
    )
    assert res.status_code == 409 and "bandit" in res.json()["error"]["fields"]
    assert member.delete(BASE + "bandit/").status_code == 403
    res = world.client(maintainer).delete(BASE + "bandit/")
    assert res.status_code == 200 and res.json()["bandit_arms"] == []
    assert world.client(maintainer).delete(BASE + "bandit/").status_code == 409
    assert not member.get(BASE + "bandit/").json()["active"]


def _log(d: Deployment, version: Any, request_id: str, at: dt.datetime, output: int = 3) -> None:
    PredictionLog.objects.create(
        created_at=at,
        deployment=d,
        version=version,
        request_id=request_id,
        inputs=[0.0] * 64,
        outputs=output,
        latency_ms=1.0,
    )


def _feedback(token: str, request_id: str, label: int) -> Any:
    return Client().post(
        "/serve/fraud-model/digits/feedback",
        data={"request_id": request_id, "label": label},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token}",
    )


@pytest.mark.django_db(transaction=True)
def test_feedback_rewards_exactly_that_arm_once(world: Any, redis_client: Any) -> None:
    from shipyard.accounts.tokens import tokens_resync

    d, v1, v2 = _deploy(world)
    d = bandit_start(deployment=d, versions=[v1, v2], by=world.owner)
    tokens_resync()
    dataplane.ROUTES.clear()
    token = token_for(user=world.owner)
    config = bandit_config(Deployment.objects.get(pk=d.pk))
    assert config is not None
    key = bandit.state_key(d.pk, config.epoch)
    now = timezone.now()
    _log(d, v2, "req-a-0", now)
    _log(d, v1, "req-b-0", now)
    _log(d, v2, "req-old-0", d.bandit_started_at - dt.timedelta(minutes=5))  # served before the bandit
    for _ in range(3):  # the same feedback again is a no-op
        assert _feedback(token, "req-a-0", 3).status_code in (200, 201)
    assert bandit.parse_state(redis_client.hgetall(key), config.arms)[v2.pk] == bandit.ArmState(v2.pk, 1, 0)
    assert _feedback(token, "req-b-0", 4).status_code == 201
    state = bandit.parse_state(redis_client.hgetall(key), config.arms)
    assert state[v1.pk] == bandit.ArmState(v1.pk, 0, 1) and state[v2.pk] == bandit.ArmState(v2.pk, 1, 0)
    # a changed label that flips correctness moves the reward; the request still counts once
    assert _feedback(token, "req-a-0", 5).status_code == 200
    assert bandit.parse_state(redis_client.hgetall(key), config.arms)[v2.pk] == bandit.ArmState(v2.pk, 0, 1)
    assert _feedback(token, "req-old-0", 3).status_code == 201
    assert bandit.parse_state(redis_client.hgetall(key), config.arms)[v2.pk] == bandit.ArmState(v2.pk, 0, 1)
    # Redis loses the state: the control plane rebuilds it from the feedback rows
    before = bandit.parse_state(redis_client.hgetall(key), config.arms)
    redis_client.delete(key)
    assert bandit_rebuild(deployment=Deployment.objects.get(pk=d.pk))
    assert bandit.parse_state(redis_client.hgetall(key), config.arms) == before
    assert not bandit_rebuild(deployment=Deployment.objects.get(pk=d.pk))  # present: left alone
    # a new bandit is a new epoch with fresh priors
    d2 = bandit_start(deployment=Deployment.objects.get(pk=d.pk), versions=[v2, v1], by=world.owner)
    config2 = bandit_config(Deployment.objects.get(pk=d2.pk))
    assert config2 is not None and config2.epoch != config.epoch
    assert not redis_client.exists(bandit.state_key(d.pk, config2.epoch))
