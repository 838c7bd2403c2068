"""What the control plane writes to Redis for the gateway: routes, tokens and memberships."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.management import call_command

from shipyard.accounts.services import membership_remove, membership_set, token_for, token_revoke
from shipyard.core import authkeys
from shipyard.serving import lifecycle, protocol
from shipyard.serving.routing import DeploymentRoute
from shipyard.serving.selectors import deployment_route
from tests.serving.conftest import fake_version

pytestmark = pytest.mark.django_db(transaction=True)


def test_every_change_publishes_the_route_and_a_rebuild_repairs_redis(world: Any, redis_client: Any) -> None:
    live, canary = fake_version(world.project), fake_version(world.project)
    d = lifecycle.deployment_create(
        project=world.project, name="digits", model=live.model, version=live, by=world.owner
    )
    key = protocol.route_key("fraud-model", "digits")
    route = DeploymentRoute.loads(redis_client.get(key))
    assert route == deployment_route(project="fraud-model", name="digits")
    assert route.live.schema.names == deployment_route(project="fraud-model", name="digits").live.schema.names  # type: ignore[union-attr]
    assert redis_client.sismember(protocol.QUEUES, protocol.queue_key(d.pk))
    lifecycle.deployment_canary(deployment=d, version=canary, weight=20, by=world.owner)
    assert DeploymentRoute.loads(redis_client.get(key)).canary.version_id == canary.pk  # type: ignore[union-attr]
    api_key, _ = lifecycle.api_key_create(deployment=d, name="app", by=world.owner)
    assert api_key.key_hash in DeploymentRoute.loads(redis_client.get(key)).key_hashes
    lifecycle.api_key_revoke(key=api_key, by=world.owner)
    assert not DeploymentRoute.loads(redis_client.get(key)).key_hashes
    lifecycle.deployment_update(deployment=d, values={"max_batch_size": 8}, by=world.owner)
    assert DeploymentRoute.loads(redis_client.get(key)).max_batch == 8

    # Redis lost it all, and a deployment that no longer exists left a route behind
    redis_client.flushdb()
    redis_client.set(protocol.route_key("gone", "gone"), "{}")
    call_command("serving_publish")
    assert DeploymentRoute.loads(redis_client.get(key)).max_batch == 8
    assert not redis_client.exists(protocol.route_key("gone", "gone"))
    # deleting the deployment deletes its route and its request list
    queue = protocol.queue_key(d.pk)
    assert redis_client.sismember(protocol.QUEUES, queue)
    d.delete()
    assert not redis_client.exists(key)
    assert not redis_client.sismember(protocol.QUEUES, queue)


def test_tokens_and_memberships_are_mirrored(world: Any, redis_client: Any) -> None:
    token = token_for(user=world.teammate)
    record = json.loads(redis_client.get(authkeys.token_key(token)))
    assert record == {"user": world.teammate.pk, "exp": None}
    assert json.loads(redis_client.get(authkeys.teams_key(world.teammate.pk))) == [world.team.pk]
    assert token not in str(redis_client.keys("*"))  # only its digest is stored
    membership_set(team=world.other_team, user=world.teammate, role="viewer")
    assert sorted(json.loads(redis_client.get(authkeys.teams_key(world.teammate.pk)))) == sorted(
        [world.team.pk, world.other_team.pk]
    )
    membership_remove(team=world.team, user=world.teammate)
    assert json.loads(redis_client.get(authkeys.teams_key(world.teammate.pk))) == [world.other_team.pk]
    rotated = token_for(user=world.teammate, rotate=True, expires_in_days=3)
    assert not redis_client.exists(authkeys.token_key(token))
    assert json.loads(redis_client.get(authkeys.token_key(rotated)))["exp"] is not None
    assert 0 < redis_client.ttl(authkeys.token_key(rotated)) <= 3 * 86400 + 1
    token_revoke(key=rotated)
    assert not redis_client.exists(authkeys.token_key(rotated))
    # a full resync drops what is no longer valid and restores what is
    redis_client.set(authkeys.token_key("stale"), json.dumps({"user": 1, "exp": None}))
    owner = token_for(user=world.owner)
    redis_client.delete(authkeys.token_key(owner))
    call_command("serving_publish")
    assert not redis_client.exists(authkeys.token_key("stale"))
    assert json.loads(redis_client.get(authkeys.token_key(owner)))["user"] == world.owner.pk
