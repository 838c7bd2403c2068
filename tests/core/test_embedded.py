"""The embedded default starts a real PostgreSQL and a real Redis from pip-installed wheels."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
import redis

from shipyard.config.env import parse_database_url

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_embedded_services_start_and_answer(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env["SHIPYARD_VAR"] = str(tmp_path / "var")
    try:
        out = subprocess.run(
            [sys.executable, "-m", "shipyard.config.embedded", "env"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout
        exports = dict(line.removeprefix("export ").split("=", 1) for line in out.strip().splitlines())
        database_url = exports["DATABASE_URL"].strip("'")
        cfg = parse_database_url(database_url)
        with psycopg.connect(dbname=cfg.name, user=cfg.user, host=cfg.host) as conn:
            assert conn.execute("select version()").fetchone()[0].startswith("PostgreSQL")
        assert redis.Redis.from_url(exports["REDIS_URL"]).ping()
        # A second run reuses the running servers.
        again = subprocess.run(
            [sys.executable, "-m", "shipyard.config.embedded", "env"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
        assert again == out
    finally:
        subprocess.run([sys.executable, "-m", "shipyard.config.embedded", "stop"], cwd=ROOT, env=env, timeout=60)
    # `stop` really stops both servers: nothing answers on the socket or the port any more.
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(dbname=cfg.name, user=cfg.user, host=cfg.host, connect_timeout=2)
    with pytest.raises(redis.ConnectionError):
        redis.Redis.from_url(exports["REDIS_URL"], socket_connect_timeout=1).ping()
