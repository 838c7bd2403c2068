"""Run the whole platform in the foreground: web, the serving gateway, Celery workers for every
queue, serving workers, beat.

Before the processes start, the data plane's view of the database is published to Redis
(``manage.py serving_publish``: every deployment's route, every valid token and membership).

The processes are supervised (``shipyard.core.supervisor``): one that exits is restarted with
backoff and reported in the log and in ``/healthz``; one in a crash loop is marked failed, and if
it is required (web, serving, worker-cpu) everything stops with a non-zero exit code. Ctrl-C
(SIGINT) or SIGTERM stops everything this command started, their child processes included.

The command itself holds the web's listening socket and hands it to gunicorn, so connections
that arrive while the web process restarts wait in the socket's backlog instead of being refused.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from shipyard.config import env
from shipyard.core.supervisor import ProgramSpec, RedisStatus, Supervisor

#: processes whose crash loop stops everything; the others are marked failed and the rest keeps running
REQUIRED = frozenset({"web", "gateway", "serving", "worker-cpu"})


def process_table(bind: str) -> dict[str, list[str]]:
    """The command line of every process; ``bind`` is gunicorn's ``--bind`` (``fd://N`` or ``host:port``)."""
    py = sys.executable
    celery = [py, "-m", "celery", "-A", "shipyard.config"]
    return {
        "web": [
            py,
            "-m",
            "gunicorn",
            "shipyard.config.wsgi:application",
            "--bind",
            bind,
            "--worker-class",
            "gthread",
            "--workers",
            str(env.env_int("WEB_WORKERS", 2, minimum=1)),
            "--threads",
            str(env.env_int("WEB_THREADS", 32, minimum=1)),
            "--timeout",
            "120",
            "--graceful-timeout",
            "10",
            "--access-logfile",
            "-",
            "--log-level",
            "warning",
        ],
        # the data plane: /serve/<project>/<deployment>/predict and /v2 without Django
        "gateway": [
            *(py, "-m", "shipyard.gateway", "--port", str(env.env_int("GATEWAY_PORT", 8001, minimum=1))),
            *("--workers", str(env.env_int("GATEWAY_WORKERS", 1, minimum=1))),
        ],
        "worker-cpu": [*celery, "worker", "-Q", "cpu,monitoring", "-n", "cpu@%h", "--concurrency", "2", "-l", "info"],
        "worker-gpu": [*celery, "worker", "-Q", "gpu", "-n", "gpu@%h", "--concurrency", "1", "-l", "info"],
        "serving": [py, "-m", "shipyard.serving.worker"],
        "beat": [*celery, "beat", "-l", "info", "--schedule", "var/celerybeat-schedule"],
        # Demo traffic against the demo deployment (drift starts mid-way, users correct some answers).
        "traffic": [py, "manage.py", "shipyard_simulate_traffic", "--no-backfill", "--follow"],
    }


def listen(port: int) -> socket.socket:
    try:
        return socket.create_server(("127.0.0.1", port), backlog=2048)
    except OSError as exc:
        raise CommandError(f"Cannot listen on 127.0.0.1:{port}: {exc.strerror}") from None


class Command(BaseCommand):
    help = (
        "Run web, the serving gateway, Celery workers (cpu, gpu, monitoring), serving workers, beat and demo "
        "traffic in the foreground."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=env.env_int("PORT", 8000, minimum=1))
        parser.add_argument("--only", nargs="*", help="start only these processes")
        parser.add_argument("--no-traffic", action="store_true", help="do not run the demo traffic simulator")

    def handle(self, *args: Any, **opts: Any) -> None:
        os.makedirs("var", exist_ok=True)
        names = list(process_table("").keys())
        if opts["no_traffic"]:
            names.remove("traffic")
        if opts["only"]:
            names = [name for name in names if name in opts["only"]]
        sock = listen(opts["port"]) if "web" in names else None
        table = process_table(f"fd://{sock.fileno()}" if sock else "")
        specs = [
            ProgramSpec(
                name=name,
                cmd=table[name],
                required=name in REQUIRED,
                pass_fds=(sock.fileno(),) if sock and name == "web" else (),
            )
            for name in names
        ]
        if "gateway" in names:
            try:
                call_command("serving_publish", stdout=self.stdout, stderr=self.stderr)
            except CommandError as exc:  # Redis not up yet: the hourly serving.maintain publishes too
                self.stderr.write(f"The gateway starts without published routes: {exc}")
        child_env = {**os.environ, "PYTHONUNBUFFERED": "1", "LOG_FORMAT": os.environ.get("LOG_FORMAT", "text")}
        status = RedisStatus(log=self.stderr.write)
        supervisor = Supervisor(specs, env=child_env, log=self.stderr.write, publish=status)

        def stop(*_: Any) -> None:
            supervisor.request_stop()

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        self.stdout.write(
            self.style.SUCCESS(f"Shipyard is running at http://127.0.0.1:{opts['port']}  (Ctrl-C stops it)")
        )
        try:
            exit_code = supervisor.run()
        finally:
            status.clear()
            if sock is not None:
                sock.close()
        sys.exit(exit_code)
