"""Run the whole platform in the foreground: web, Celery workers for every queue, and beat.

Ctrl-C (SIGINT) or SIGTERM stops everything this command started. If one process dies, the
others are stopped too and the exit code says so.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand

from shipyard.config import env

#: processes whose exit is reported but does not stop the others
OPTIONAL = frozenset({"traffic"})


def process_table(port: int) -> dict[str, list[str]]:
    py = sys.executable
    celery = [py, "-m", "celery", "-A", "shipyard.config"]
    return {
        "web": [
            py,
            "-m",
            "gunicorn",
            "shipyard.config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--worker-class",
            "gthread",
            "--workers",
            str(env.env_int("WEB_WORKERS", 2, minimum=1)),
            "--threads",
            str(env.env_int("WEB_THREADS", 32, minimum=1)),
            "--timeout",
            "120",
            "--access-logfile",
            "-",
            "--log-level",
            "warning",
        ],
        "worker-cpu": [*celery, "worker", "-Q", "cpu,monitoring", "-n", "cpu@%h", "--concurrency", "2", "-l", "info"],
        "worker-gpu": [*celery, "worker", "-Q", "gpu", "-n", "gpu@%h", "--concurrency", "1", "-l", "info"],
        "serving": [py, "-m", "shipyard.serving.worker"],
        "beat": [*celery, "beat", "-l", "info", "--schedule", "var/celerybeat-schedule"],
        # Demo traffic against the demo deployment (drift starts mid-way, users correct some answers).
        "traffic": [py, "manage.py", "shipyard_simulate_traffic", "--no-backfill", "--follow"],
    }


class Command(BaseCommand):
    help = "Run web, Celery workers (cpu, gpu, monitoring), serving workers, beat and demo traffic in the foreground."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=env.env_int("PORT", 8000, minimum=1))
        parser.add_argument("--only", nargs="*", help="start only these processes")
        parser.add_argument("--no-traffic", action="store_true", help="do not run the demo traffic simulator")

    def handle(self, *args: Any, **opts: Any) -> None:
        os.makedirs("var", exist_ok=True)
        table = process_table(opts["port"])
        if opts["no_traffic"]:
            table.pop("traffic")
        if opts["only"]:
            table = {name: cmd for name, cmd in table.items() if name in opts["only"]}
        child_env = {**os.environ, "PYTHONUNBUFFERED": "1", "LOG_FORMAT": os.environ.get("LOG_FORMAT", "text")}
        procs: dict[str, subprocess.Popen[bytes]] = {}
        stopping = False

        def stop_all(*_: Any) -> None:
            nonlocal stopping
            if stopping:
                return
            stopping = True
            for proc in procs.values():
                if proc.poll() is None:
                    proc.terminate()

        signal.signal(signal.SIGINT, stop_all)
        signal.signal(signal.SIGTERM, stop_all)
        for name, cmd in table.items():
            procs[name] = subprocess.Popen(cmd, env=child_env, start_new_session=True)
        self.stdout.write(
            self.style.SUCCESS(f"Shipyard is running at http://127.0.0.1:{opts['port']}  (Ctrl-C stops it)")
        )
        exit_code = 0
        try:
            while not stopping:
                for name, proc in list(procs.items()):
                    code = proc.poll()
                    if code is not None and name in OPTIONAL:
                        self.stderr.write(f"{name} exited with code {code}; the rest keeps running")
                        del procs[name]
                        continue
                    if code is not None:
                        self.stderr.write(f"{name} exited with code {code}; stopping the rest")
                        exit_code = code or 1
                        stop_all()
                        break
                time.sleep(0.5)
        finally:
            stop_all()
            deadline = time.monotonic() + 20
            for proc in procs.values():
                try:
                    proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    proc.kill()
        sys.exit(exit_code)
