"""`shipyard deploy ...` against a live server."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.authtoken.models import Token

from shipyard.client import cli
from shipyard.serving.models import Deployment
from tests.serving.conftest import fake_version


@pytest.mark.django_db(transaction=True)
def test_cli_create_canary_promote_rollback_status(live_server: Any, world: Any, monkeypatch: Any, capsys: Any) -> None:
    monkeypatch.setenv("SHIPYARD_TOKEN", Token.objects.create(user=world.owner).key)
    fake_version(world.project)
    fake_version(world.project)
    run = lambda *a: cli.main(["--url", live_server.url, "deploy", *a])  # noqa: E731
    assert run("create", "-p", "fraud-model", "digits", "-m", "digits", "-v", "1", "--reason", "first") == 0
    assert run("canary", "-p", "fraud-model", "digits", "-v", "2", "-w", "20", "-r", "try v2") == 0
    assert "canary v2 20%" in capsys.readouterr().out
    assert run("promote", "-p", "fraud-model", "digits", "--reason", "ok") == 0
    assert run("rollback", "-p", "fraud-model", "digits", "--reason", "bad") == 0
    assert Deployment.objects.get().live_version.number == 1
    capsys.readouterr()
    assert run("status", "-p", "fraud-model", "digits") == 0
    out = capsys.readouterr().out
    assert "rollback" in out and "promote" in out and "live v1" in out
    assert run("canary", "-p", "fraud-model", "digits", "-v", "9", "-w", "20", "-r", "nope") == 1
    assert "version" in capsys.readouterr().err
    monkeypatch.setenv("SHIPYARD_TOKEN", Token.objects.create(user=world.teammate).key)
    assert run("rollback", "-p", "fraud-model", "digits", "--reason", "not allowed") == 1
    with pytest.raises(SystemExit):  # the reason is required on the command line too
        run("promote", "-p", "fraud-model", "digits")
    assert "--reason" in capsys.readouterr().err


@pytest.mark.django_db(transaction=True)
def test_cli_canary_above_the_gated_share_needs_an_admin_override(
    live_server: Any, world: Any, monkeypatch: Any, capsys: Any
) -> None:
    from shipyard.serving.models import DeploymentEvent

    monkeypatch.setenv("SHIPYARD_TOKEN", Token.objects.create(user=world.owner).key)
    fake_version(world.project, metrics={"accuracy": 0.95})
    fake_version(world.project, metrics={"accuracy": 0.5})  # fails a 0.9 threshold
    run = lambda *a: cli.main(["--url", live_server.url, "deploy", *a])  # noqa: E731
    assert run("create", "-p", "fraud-model", "digits", "-m", "digits", "-v", "1", "--reason", "first") == 0
    Deployment.objects.update(quality_threshold=0.9)
    assert run("canary", "-p", "fraud-model", "digits", "-v", "2", "-w", "80", "-r", "try it") == 1
    assert "quality" in capsys.readouterr().err.lower()
    reason = "hotfix accepted by the on-call lead"
    assert (
        run("canary", "-p", "fraud-model", "digits", "-v", "2", "-w", "80", "--override-gate", "--reason", reason) == 0
    )
    assert Deployment.objects.get().canary_weight == 80
    assert DeploymentEvent.objects.filter(kind="gate_override", reason=reason).count() == 1


@pytest.mark.django_db(transaction=True)
def test_cli_bandit_start_show_stop(
    live_server: Any, world: Any, monkeypatch: Any, capsys: Any, redis_client: Any
) -> None:
    monkeypatch.setenv("SHIPYARD_TOKEN", Token.objects.create(user=world.owner).key)
    fake_version(world.project)
    fake_version(world.project)
    run = lambda *a: cli.main(["--url", live_server.url, "deploy", *a])  # noqa: E731
    assert run("create", "-p", "fraud-model", "digits", "-m", "digits", "-v", "1", "--reason", "first") == 0
    assert run("bandit", "-p", "fraud-model", "digits", "--versions", "1") == 1
    assert "versions" in capsys.readouterr().err
    assert run("bandit", "-p", "fraud-model", "digits", "--versions", "1", "2", "--min-share", "0.1") == 0
    out = capsys.readouterr().out
    assert "thompson bandit, min share 0.1" in out and "v2: - of 0 requests" in out
    assert Deployment.objects.get().bandit_policy == "thompson"
    assert run("bandit", "-p", "fraud-model", "digits", "--stop", "--reason", "done") == 0
    assert Deployment.objects.get().bandit_policy == ""


@pytest.mark.django_db(transaction=True)
def test_cli_ensemble(live_server: Any, world: Any, monkeypatch: Any, capsys: Any) -> None:
    monkeypatch.setenv("SHIPYARD_TOKEN", Token.objects.create(user=world.owner).key)
    fake_version(world.project)
    fake_version(world.project)
    run = lambda *a: cli.main(["--url", live_server.url, "deploy", *a])  # noqa: E731
    assert run("ensemble", "-p", "fraud-model", "-m", "digits", "--members", "1") == 1
    assert "members" in capsys.readouterr().err
    args = ["ensemble", "-p", "fraud-model", "-m", "digits", "--members", "1", "2", "--combine", "weighted"]
    assert run(*args, "--weights", "3", "1", "--metric", "accuracy=0.97") == 0
    assert "v3: ensemble (weighted) of v1 + v2" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_cli_shadow(live_server: Any, world: Any, monkeypatch: Any, capsys: Any, redis_client: Any) -> None:
    monkeypatch.setenv("SHIPYARD_TOKEN", Token.objects.create(user=world.owner).key)
    fake_version(world.project)
    fake_version(world.project)
    run = lambda *a: cli.main(["--url", live_server.url, "deploy", *a])  # noqa: E731
    assert run("create", "-p", "fraud-model", "digits", "-m", "digits", "-v", "1", "--reason", "first") == 0
    assert run("shadow", "-p", "fraud-model", "digits", "-v", "1") == 1
    assert "version" in capsys.readouterr().err
    assert run("shadow", "-p", "fraud-model", "digits", "-v", "2", "--share", "0.5") == 0
    out = capsys.readouterr().out
    assert "shadow v2 gets 50% of requests" in out and "0 rows compared" in out
    assert run("shadow", "-p", "fraud-model", "digits", "--stop") == 0
    assert Deployment.objects.get().shadow_version is None
