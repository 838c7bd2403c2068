"""`shipyard deploy explain|replay` against a live server and a real worker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rest_framework.authtoken.models import Token

from shipyard.client import cli
from tests.debugging.conftest import MLP_CONFIG, dataset, deploy, digits_rows, log, predicted

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_cli_explain_and_replay(
    live_server: Any,
    world: Any,
    monkeypatch: Any,
    capsys: Any,
    celery_worker: Any,
    mlp_weights: Path,
    mlp_onnx: Path,
    digits_csv: Path,
) -> None:
    monkeypatch.setenv("SHIPYARD_TOKEN", Token.objects.create(user=world.owner).key)
    dv = dataset(world.project, digits_csv)
    d, torch_v = deploy(
        world.project,
        mlp_weights,
        "state_dict",
        name="digits",
        training=dv,
        recipe="digits_mlp",
        recipe_config=MLP_CONFIG,
    )
    deploy(world.project, mlp_onnx, "onnx", name="digits", training=dv)
    rows = digits_rows(2)
    ids = log(d, torch_v, rows, predicted(mlp_weights, rows))
    run = lambda *a: cli.main(["--url", live_server.url, "deploy", *a])  # noqa: E731

    assert run("explain", "-p", "fraud-model", "digits", "--request-id", ids[0]) == 0
    out = capsys.readouterr().out
    assert "integrated gradients on 1 row(s)" in out and f"predicted {predicted(mlp_weights, rows[:1])[0]}" in out
    assert "pixel_" in out

    assert run("replay", "-p", "fraud-model", "digits", "-v", "2", "--request-id", *ids) == 0
    out = capsys.readouterr().out
    assert "2 request(s) replayed on v2: 100% give the same output" in out and out.count("same") >= 2

    assert run("explain", "-p", "fraud-model", "digits", "--request-id", "missing") == 1
    assert "No logged prediction" in capsys.readouterr().err
