"""An ensemble served by a real worker: both members run in one batch, the answer is the mean of
their probabilities, and each member's own output comes back when asked, through the gateway and
the web process alike."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from shipyard.serving import dataplane, lifecycle
from shipyard.serving.ensembles import ensemble_version_create
from tests.gateway.conftest import until
from tests.gateway.test_gateway import gw, setup, web  # noqa: F401  (the shared fixture)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_ensemble_answers_with_its_members(
    gateway: str,
    worker: Any,
    setup: Any,  # noqa: F811
    digits_rows: Any,
    digits_onnx: Any,
) -> None:
    v1, v2 = setup["v1"], setup["v2"]
    ensemble = ensemble_version_create(
        model=v1.model, members=[v1, v2], combine="mean", metrics=dict(digits_onnx["a_metrics"])
    )
    lifecycle.deployment_deploy(deployment=setup["deployment"], version=ensemble, by=None, reason="ensemble")
    dataplane.ROUTES.clear()
    auth = {"Authorization": f"Token {setup['token']}"}
    body = {"inputs": digits_rows[:6], "members": True}
    res = until(lambda: (r := gw(gateway, body=body, **auth)).json().get("model_version") == 3 and r, seconds=10)
    assert res and res.status_code == 200, res and res.text
    ours = res.json()
    theirs = web(body=body, **auth).json()
    for answer in (ours, theirs):
        assert answer["model_version"] == 3
        assert [m["version"] for m in answer["members"]] == [1, 2]
        mean = (
            np.asarray(answer["members"][0]["probabilities"]) + np.asarray(answer["members"][1]["probabilities"])
        ) / 2
        assert np.allclose(answer["probabilities"], mean, atol=2e-6)
        assert answer["outputs"] == mean.argmax(axis=1).tolist()
        assert len(answer["members"][0]["outputs"]) == 6
    assert ours["outputs"] == theirs["outputs"] and ours["members"] == theirs["members"]
    # each member's output is what that version alone answers
    plain = gw(gateway, body={"inputs": digits_rows[:6]}, **auth).json()
    assert "members" not in plain and plain["outputs"] == ours["outputs"]
    lifecycle.deployment_deploy(deployment=setup["deployment"], version=v1, by=None, reason="back to v1")
    dataplane.ROUTES.clear()
    alone = until(
        lambda: (r := web(body={"inputs": digits_rows[:6]}, **auth).json())["model_version"] == 1 and r, seconds=5
    )
    assert alone["outputs"] == ours["members"][0]["outputs"]
    # a member flag that is not a boolean is a 400 naming it, on both
    bad = {"inputs": digits_rows[:1], "members": "yes"}
    assert gw(gateway, body=bad, **auth).json()["error"]["fields"] == {"members": ["members: Must be a boolean."]}
    assert web(body=bad, **auth).status_code == 400
