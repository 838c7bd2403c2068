"""The `platform` trap: source roots without __init__.py never shadow the standard library."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_source_roots_are_not_packages() -> None:
    assert not (ROOT / "platform" / "__init__.py").exists()
    assert not (ROOT / "workers" / "__init__.py").exists()


def test_stdlib_platform_under_pytest() -> None:
    import platform

    assert platform.system() == "Linux"
    assert Path(platform.__file__).name == "platform.py"


def test_stdlib_platform_from_repo_root() -> None:
    out = subprocess.run(
        [sys.executable, "-c", "import platform; print(platform.system(), platform.__file__)"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.startswith("Linux ") and out.strip().endswith("platform.py")


@pytest.mark.django_db
def test_stdlib_platform_under_manage_py() -> None:
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", "import platform, shipyard; print(platform.system())"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "shipyard.config.settings.test"},
    ).stdout
    assert out.strip().splitlines()[-1] == "Linux"
