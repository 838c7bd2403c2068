"""Attacks on the CI receiver: bodies that make the parser raise, captured deliveries replayed under
new ids, and a metric policy posted without one of its fields."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from rest_framework.test import APIClient

from shipyard.ci.models import CIRun, Delivery, MetricPolicy
from tests.ci.conftest import ci_secret, fixture_bytes, native_body, post_webhook, signed_headers  # noqa: F401

DEPTH = 100_000
DEEP_JSON = "[" * DEPTH + "]" * DEPTH
DEEP_XML = '<testsuite name="s">' * DEPTH + '<testcase name="deep"/>' + "</testsuite>" * DEPTH


def wait_until_finished(pk: int, worker: Any, timeout: float = 90.0) -> Delivery:
    deadline = time.monotonic() + timeout
    delivery = Delivery.objects.get(pk=pk)
    while time.monotonic() < deadline:
        delivery = Delivery.objects.get(pk=pk)
        if delivery.status != "queued":
            return delivery
        time.sleep(0.3)
    raise AssertionError(f"delivery {pk} is still queued after {timeout} s\n{worker.log()[-4000:]}")


def send(provider: str, secret: str, body: bytes, *, event: str = "", content_type: str = "application/json") -> int:
    headers = signed_headers(provider, secret, body, event=event)
    response = post_webhook(APIClient(), "fraud-model", body, headers, content_type=content_type)
    assert response.status_code == 202, response.content
    return int(response.json()["delivery"])


# --------------------------------------------------------------------------- hole 8: deliveries that never finish


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_every_hostile_delivery_ends_processed_or_failed_with_a_reason(
    world: Any,
    ci_secret: str,  # noqa: F811
    celery_worker: Any,
) -> None:
    """Bodies that raise inside parsing or recording, processed by a real worker: none stays queued."""
    github = json.loads(fixture_bytes("github-workflow_run.json"))
    sent = {
        "native JSON 100,000 deep": send("shipyard", ci_secret, DEEP_JSON.encode()),
        "github JSON 100,000 deep": send(
            "github", ci_secret, json.dumps({**github, "workflow_run": "@"}).replace('"@"', DEEP_JSON).encode()
        ),
        "junit XML 100,000 deep in JSON": send("shipyard", ci_secret, native_body(junit=DEEP_XML)),
        "junit XML 100,000 deep": send("shipyard", ci_secret, DEEP_XML.encode(), content_type="application/xml"),
        "lockfile JSON 100,000 deep": send("shipyard", ci_secret, native_body(lockfile=DEEP_JSON)),
        "NUL in a test name": send(
            "shipyard", ci_secret, native_body(junit=None, tests=[{"name": "nul\u0000name", "status": "passed"}])
        ),
    }
    finished = {name: wait_until_finished(pk, celery_worker) for name, pk in sent.items()}
    assert {name: d.status for name, d in finished.items()} == {
        "native JSON 100,000 deep": "failed",
        "github JSON 100,000 deep": "failed",
        "junit XML 100,000 deep in JSON": "processed",
        "junit XML 100,000 deep": "processed",
        "lockfile JSON 100,000 deep": "processed",
        "NUL in a test name": "failed",
    }
    assert "nested too deeply" in finished["native JSON 100,000 deep"].error
    assert "nested too deeply" in finished["github JSON 100,000 deep"].error
    assert finished["NUL in a test name"].error == "the delivery could not be recorded (DataError)"
    for delivery in finished.values():
        assert delivery.processed_at is not None
        assert delivery.status == "processed" or delivery.error
    deep = CIRun.objects.get(deliveries=finished["junit XML 100,000 deep in JSON"])
    assert list(deep.cases.values_list("name", "classname")) == [("deep", "s")]
    assert not Delivery.objects.filter(status="queued").exists()


# --------------------------------------------------------------------------- hole 9: replay under a new delivery id


@pytest.mark.django_db
def test_github_delivery_replayed_under_a_new_id_is_409_replay(world: Any, ci_secret: str) -> None:  # noqa: F811
    body = fixture_bytes("github-workflow_run.json")
    captured = signed_headers("github", ci_secret, body, event="workflow_run")
    client = APIClient()
    assert post_webhook(client, "fraud-model", body, captured).status_code == 202
    for _ in range(3):
        replayed = {**captured, "X-GitHub-Delivery": str(uuid.uuid4())}
        response = post_webhook(client, "fraud-model", body, replayed)
        assert response.status_code == 409, response.content
        assert response.json()["error"]["code"] == "replay"
        assert list(response.json()["error"]["fields"]) == ["signature"]
    # the sender's own retry of the same delivery stays an idempotent duplicate
    retry = post_webhook(client, "fraud-model", body, captured)
    assert retry.status_code == 200 and retry.json()["duplicate"] is True
    assert Delivery.objects.count() == 1


@pytest.mark.django_db
def test_shipyard_signature_covers_the_delivery_id(world: Any, ci_secret: str) -> None:  # noqa: F811
    body = native_body()
    captured = signed_headers("shipyard", ci_secret, body)
    client = APIClient()
    assert post_webhook(client, "fraud-model", body, captured).status_code == 202
    replayed = {**captured, "X-Shipyard-Delivery": str(uuid.uuid4())}
    response = post_webhook(client, "fraud-model", body, replayed)
    assert response.status_code == 401, response.content
    assert response.json()["error"] == {"code": "unauthenticated", "message": "X-Shipyard-Signature does not match"}
    # without the id header the signature cannot be checked at all
    no_id = {k: v for k, v in captured.items() if k != "X-Shipyard-Delivery"}
    assert post_webhook(client, "fraud-model", body, no_id).status_code == 401
    retry = post_webhook(client, "fraud-model", body, captured)
    assert retry.status_code == 200 and retry.json()["duplicate"] is True
    assert Delivery.objects.count() == 1


@pytest.mark.django_db
def test_shipyard_v1_signature_without_the_delivery_id_is_refused(world: Any, ci_secret: str) -> None:  # noqa: F811
    from tests.ci.conftest import hexmac

    body = native_body()
    t = int(time.time())
    headers = {
        "X-Shipyard-Signature": f"t={t},v1={hexmac(ci_secret, f'{t}.'.encode() + body)}",
        "X-Shipyard-Delivery": str(uuid.uuid4()),
    }
    response = post_webhook(APIClient(), "fraud-model", body, headers)
    assert response.status_code == 401
    assert "v1 does not cover the delivery id" in response.json()["error"]["message"]
    assert not Delivery.objects.exists()


@pytest.mark.django_db
def test_replay_with_a_padded_signature_header_is_still_a_replay(world: Any, ci_secret: str) -> None:  # noqa: F811
    """The stored digest is of the verified MAC, not of the header text: extra values do not make it new."""
    body = fixture_bytes("circleci-workflow-completed.json")
    captured = signed_headers("circleci", ci_secret, body, event="workflow-completed")
    client = APIClient()
    assert post_webhook(client, "fraud-model", body, captured).status_code == 202
    stored = Delivery.objects.get()
    # same MAC, another header text and (since CircleCI's id is in the body) the first delivery's id
    # removed from the record: only the signature digest can recognise the replay
    Delivery.objects.filter(pk=stored.pk).update(delivery_id="renamed")
    padded = {**captured, "circleci-signature": "v1=" + "0" * 64 + "," + captured["circleci-signature"]}
    response = post_webhook(client, "fraud-model", body, padded)
    assert response.status_code == 409, response.content
    assert response.json()["error"]["code"] == "replay"
    assert Delivery.objects.count() == 1


# --------------------------------------------------------------------------- hole 7: a 500 for a missing field


@pytest.mark.django_db
@pytest.mark.parametrize("missing", ["metric", "direction", "tolerance", "relative", "kind"])
def test_metric_policy_without_a_field_is_400_naming_it(world: Any, missing: str) -> None:
    body = {"metric": "auc", "direction": "higher", "tolerance": 0.01, "relative": False, "kind": "quality"}
    body.pop(missing)
    client = world.client(world.teammate)
    client.raise_request_exception = False
    response = client.post("/api/v1/projects/fraud-model/ci/metric-policies/", body, format="json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid" and list(error["fields"]) == [missing]
    assert not MetricPolicy.objects.exists()
