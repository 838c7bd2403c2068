"""Gateway fixtures: the gateway process (``python -m shipyard.gateway``) against the test Redis,
real serving workers, deployments made through the control plane's services and published."""

from __future__ import annotations

import sys
import time
from typing import Any

import pytest
import requests

from tests.serving.conftest import Proc, digits_onnx, digits_rows, free_port, serving_env, start_serving_worker  # noqa: F401  (shared fixtures)


def start_gateway(env: dict[str, str] | None = None, *, expect_healthy: bool = True) -> tuple[Proc, str]:
    port = free_port()
    proc = Proc(
        f"gateway-{port}", [sys.executable, "-m", "shipyard.gateway", "--port", str(port)], env or serving_env()
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            status = requests.get(f"{url}/healthz", timeout=1).status_code
            if status == 200 or (status == 503 and not expect_healthy):
                return proc, url
        except requests.RequestException:
            pass
        if not proc.alive():
            break
        time.sleep(0.1)
    proc.stop()
    raise RuntimeError(f"gateway did not start:\n{proc.log()}")


@pytest.fixture(scope="module")
def gateway(django_db_setup: Any, django_db_blocker: Any) -> Any:
    proc, url = start_gateway()
    yield url
    proc.stop()
    assert "Traceback" not in proc.log(), proc.log()


@pytest.fixture
def worker(redis_client: Any) -> Any:
    proc = start_serving_worker("gateway-serving-worker", redis_client)
    yield proc
    proc.stop()


def until(check: Any, *, seconds: float) -> Any:
    """Poll ``check`` until it returns something truthy, up to ``seconds``; the last value."""
    deadline = time.monotonic() + seconds
    value = check()
    while not value and time.monotonic() < deadline:
        time.sleep(0.05)
        value = check()
    return value
