"""Pieces every server benchmark needs: a private database, the environment, gunicorn, percentiles."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bench_env(suffix: str, **extra: str) -> dict[str, str]:
    """The environment for a benchmark's processes: its own database `<db>_<suffix>` on the
    configured server, Redis logical db 14 (unless REDIS_URL is passed in `extra`), bench settings."""
    from shipyard.config import env as envmod

    url = os.environ.get("DATABASE_URL", "")
    if not url:
        raise SystemExit("set DATABASE_URL (and REDIS_URL), or run through `make bench`")
    name = envmod.parse_database_url(url).name
    base, _, query = url.partition("?")
    bench_url = base.rsplit("/", 1)[0] + f"/{name}_{suffix}" + (f"?{query}" if query else "")
    return {
        **os.environ,
        "DATABASE_URL": bench_url,
        "REDIS_URL": envmod.with_redis_db(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"), 14),
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "PYTHONPATH": os.pathsep.join([str(REPO / "platform"), str(REPO / "workers"), str(REPO)]),
        "LOG_LEVEL": "warning",
        **extra,
    }


def prepare_database(env: dict[str, str]) -> None:
    """Create the benchmark's database when missing and migrate it."""
    from shipyard.config.embedded import ensure_database

    ensure_database(env["DATABASE_URL"])
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=REPO, env=env, check=True)


def run_django(env: dict[str, str], script: str) -> str:
    """Run a snippet with Django set up in the benchmark's environment; return its last line."""
    out = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + script],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1]


def wait_http(url: str, proc: subprocess.Popen[Any], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return  # an HTTP error answer (say a 503 from /healthz): the server is up
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def start_gunicorn(
    env: dict[str, str], port: int, *, workers: int = 2, threads: int = 0, timeout: int = 120
) -> subprocess.Popen[bytes]:
    """gunicorn on loopback: gthread with `threads` > 0, else sync workers. Waits until it answers."""
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "shipyard.config.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--timeout",
        str(timeout),
        "--log-level",
        "warning",
    ]
    if threads:
        command += ["--worker-class", "gthread", "--threads", str(threads)]
    proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL)
    wait_http(f"http://127.0.0.1:{port}/healthz", proc)
    return proc


def stop(proc: subprocess.Popen[Any] | None) -> None:
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
