"""Shadow traffic served by a real worker: callers only ever get live's answers, through the
gateway and the web process alike; the shadow's answers are collected and compared with live's."""

from __future__ import annotations

from typing import Any

import pytest

from shipyard.serving import dataplane, shadow
from shipyard.serving.models import ShadowLog
from shipyard.serving.shadow_service import shadow_collect, shadow_report, shadow_start
from tests.gateway.conftest import until
from tests.gateway.test_gateway import gw, setup, web  # noqa: F401  (the shared fixture)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_shadow_is_mirrored_never_returned_and_compared(
    gateway: str,
    worker: Any,
    setup: Any,  # noqa: F811
    digits_rows: Any,
    redis_client: Any,
) -> None:
    d = shadow_start(deployment=setup["deployment"], version=setup["v2"], share=1.0, by=None)
    dataplane.ROUTES.clear()
    auth = {"Authorization": f"Token {setup['token']}"}
    body = {"inputs": digits_rows[:5]}
    # the gateway's route cache may still hold the route without the shadow for half a second
    until(lambda: redis_client.llen(shadow.REPLIES) > 0 or (gw(gateway, body=body, **auth) and False), seconds=10)
    redis_client.delete(shadow.REPLIES)
    answers = [gw(gateway, body=body, **auth).json() for _ in range(4)] + [
        web(body=body, **auth).json() for _ in range(4)
    ]
    assert {a["model_version"] for a in answers} == {1}
    assert all(set(a) == {"outputs", "model_version", "request_ids", "probabilities", "confidence"} for a in answers)
    assert until(lambda: redis_client.llen(shadow.REPLIES) >= 8, seconds=15)
    assert shadow_collect(redis_client) == 40
    logged = ShadowLog.objects.filter(deployment=d)
    live_ids = {rid for a in answers for rid in a["request_ids"]}
    assert set(logged.values_list("request_id", flat=True)) == live_ids
    # the shadow's answers are v2's own: compare with v2 served live
    from shipyard.serving import lifecycle

    lifecycle.deployment_deploy(deployment=d, version=setup["v2"], by=None, reason="compare")
    dataplane.ROUTES.clear()
    v2 = until(lambda: (r := web(body=body, **auth).json())["model_version"] == 2 and r, seconds=5)
    first = answers[0]
    for i, rid in enumerate(first["request_ids"]):
        row = logged.get(request_id=rid)
        assert row.live_output == first["outputs"][i] and row.shadow_output == v2["outputs"][i]
        assert row.agree == (first["outputs"][i] == v2["outputs"][i]) and row.shadow_ms > 0
    report = shadow_report(deployment=d)
    agree = sum(r.agree for r in logged)
    assert report["count"] == 40 and report["agreement"] == pytest.approx(agree / 40)
