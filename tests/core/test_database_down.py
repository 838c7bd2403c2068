"""Postgres unreachable: /healthz is 503 naming the database, and the API answers 503 with Retry-After."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import json, django
django.setup()
from django.test import Client
c = Client(raise_request_exception=False)
h = c.get("/healthz")
a = c.get("/api/v1/projects/", HTTP_AUTHORIZATION="Token abc")
print(json.dumps({"health": [h.status_code, h.json()], "api": [a.status_code, a.json(), a.get("Retry-After")]}))
"""


def test_database_down_gives_503_everywhere() -> None:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        DATABASE_URL="postgres://postgres@127.0.0.1:1/shipyard",
        DJANGO_SETTINGS_MODULE="shipyard.config.settings.test",
        PYTHONPATH=os.pathsep.join([str(ROOT / "platform"), str(ROOT / "workers"), str(ROOT)]),
    )
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    health_status, health = result["health"]
    assert health_status == 503 and "database" in health["down"]
    api_status, api, retry_after = result["api"]
    assert api_status == 503, api
    assert api["error"]["code"] == "unavailable" and retry_after
