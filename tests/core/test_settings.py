from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}, **env},
    )


def test_production_settings_pass_deploy_check() -> None:
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="shipyard.config.settings.prod",
        SECRET_KEY="k9$Vq2!xZ7@pL4#mN8^rT1&wY6*bC3(dF5)gH0_jK2+sQ9=uE7",
        ALLOWED_HOSTS="shipyard.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_weak_secret() -> None:
    result = _manage("check", DJANGO_SETTINGS_MODULE="shipyard.config.settings.prod", SECRET_KEY="short")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_malformed_variable_fails_loudly() -> None:
    result = _manage("check", DJANGO_SETTINGS_MODULE="shipyard.config.settings.test", DEBUG="perhaps")
    assert result.returncode != 0
    assert "DEBUG='perhaps' is not a boolean" in result.stderr


def test_development_settings_keep_debug_off_unless_asked() -> None:
    show = "from django.conf import settings; print('DEBUG', settings.DEBUG)"
    env = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    off = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", show],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**env, "DJANGO_SETTINGS_MODULE": "shipyard.config.settings.dev"},
    )
    assert off.returncode == 0, off.stderr
    assert "DEBUG False" in off.stdout
    on = _manage("shell", "-c", show, DJANGO_SETTINGS_MODULE="shipyard.config.settings.dev", DEBUG="1")
    assert on.returncode == 0, on.stderr
    assert "DEBUG True" in on.stdout
