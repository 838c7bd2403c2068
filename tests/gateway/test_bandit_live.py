"""Bandit routing end to end: the gateway process and the web process route among the same arms from
the same Redis state, a routing key sticks to one arm across both, and feedback on a served request
rewards the arm that answered it."""

from __future__ import annotations

from typing import Any

import pytest

from shipyard.serving import bandit, dataplane
from shipyard.serving.bandit_service import bandit_start
from shipyard.serving.drain import drain_prediction_log
from shipyard.serving.models import Deployment
from shipyard.serving.selectors import bandit_config
from tests.gateway.conftest import until
from tests.gateway.test_gateway import gw, setup, web  # noqa: F401  (the shared fixture)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_gateway_and_web_share_the_bandit(
    gateway: str,
    worker: Any,
    setup: Any,  # noqa: F811
    digits_rows: Any,
    redis_client: Any,
) -> None:
    d = bandit_start(deployment=setup["deployment"], versions=[setup["v1"], setup["v2"]], min_share=0.5, by=None)
    dataplane.ROUTES.clear()
    auth = {"Authorization": f"Token {setup['token']}"}
    body = {"inputs": digits_rows[:1]}

    def both_arms_seen() -> bool:
        seen = {gw(gateway, body=body, **auth).json()["model_version"] for _ in range(12)}
        return seen == {1, 2}

    # min_share 0.5 with two arms is a uniform draw: both arms answer, through either process
    assert until(both_arms_seen, seconds=10)
    assert {web(body=body, **auth).json()["model_version"] for _ in range(12)} == {1, 2}
    # a routing key sticks to the arm chosen first, whichever process serves it
    keyed = {"inputs": digits_rows[:1], "routing_key": "user-42"}
    first = gw(gateway, body=keyed, **auth).json()["model_version"]
    assert {gw(gateway, body=keyed, **auth).json()["model_version"] for _ in range(5)} == {first}
    assert {web(body=keyed, **auth).json()["model_version"] for _ in range(5)} == {first}
    # feedback on a served request rewards the arm that answered, once
    answer = web(body=body, **auth).json()
    dataplane.STATS.flush()
    assert drain_prediction_log(redis_client) > 0
    feedback = {"request_id": answer["request_ids"][0], "label": answer["outputs"][0]}
    assert web("/serve/fraud-model/digits/feedback", body=feedback, **auth).status_code == 201
    assert web("/serve/fraud-model/digits/feedback", body=feedback, **auth).status_code == 200
    config = bandit_config(Deployment.objects.get(pk=d.pk))
    assert config is not None
    state = bandit.parse_state(redis_client.hgetall(bandit.state_key(d.pk, config.epoch)), config.arms)
    served = setup["v1"] if answer["model_version"] == 1 else setup["v2"]
    other = setup["v2"] if served is setup["v1"] else setup["v1"]
    assert state[served.pk] == bandit.ArmState(served.pk, 1, 0)
    assert state[other.pk] == bandit.ArmState(other.pk, 0, 0)
