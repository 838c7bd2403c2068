"""The serving benchmark's load generator: wrk (closed loop, keep-alive, one connection per client)
driven by a generated Lua script that sets the POST body and headers and prints the figures."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

WRK_HINT = "the serving benchmark needs wrk: `sudo apt-get install -y wrk` (Debian/Ubuntu)"

LUA = """
wrk.method = "POST"
wrk.body = [==[{body}]==]
{headers}
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH %d %d %d %d %d %d %d %.1f %.1f\\n", summary.requests, summary.duration,
    e.connect, e.read, e.write, e.status, e.timeout, latency:percentile(50), latency:percentile(99)))
end
"""


@dataclass(frozen=True)
class Cell:
    """One measurement: requests per second, latency percentiles in ms, failed requests."""

    rps: float
    p50: float
    p99: float
    errors: int
    requests: int

    def row(self) -> str:
        return f"{self.rps:,.0f} / {self.p50:.2f} / {self.p99:.1f} / {self.errors}"


def ensure_wrk() -> str:
    """The wrk binary; installed with apt-get when missing and running as root, else a clear exit."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing wrk with apt-get ...", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        if subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, capture_output=True).returncode:
            subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True)
            subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, capture_output=True)
        found = shutil.which("wrk")
        if found:
            return found
    raise SystemExit(WRK_HINT)


def _script(body: bytes, headers: dict[str, str]) -> Path:
    text = body.decode()
    if "]==]" in text:
        raise ValueError("the request body cannot be embedded in the Lua script")
    lines = "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in {"Content-Type": "application/json", **headers}.items())
    fd, name = tempfile.mkstemp(prefix="shipyard-wrk-", suffix=".lua")
    with os.fdopen(fd, "w") as fh:
        fh.write(LUA.format(body=text, headers=lines))
    return Path(name)


@dataclass(frozen=True)
class Load:
    """A wrk run in progress and its script."""

    proc: subprocess.Popen[str]
    script: Path


def start(url: str, body: bytes, *, clients: int, seconds: float, headers: dict[str, str] | None = None) -> Load:
    """Start wrk in the background: ``clients`` keep-alive connections, each sending its next request
    when the previous answer arrives, for ``seconds``. Collect the figures with ``result``."""
    script = _script(body, headers or {})
    command = [
        ensure_wrk(),
        "-t",
        str(min(clients, 2)),
        "-c",
        str(clients),
        "-d",
        f"{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url,
    ]
    return Load(subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True), script)


def result(load: Load) -> Cell:
    out, _ = load.proc.communicate()
    load.script.unlink(missing_ok=True)
    line = next((ln for ln in out.splitlines() if ln.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no figures: {out.strip()[-500:]}")
    requests, duration_us, connect, read, write, status, timeout = (int(v) for v in line.split()[1:8])
    p50_us, p99_us = (float(v) for v in line.split()[8:10])
    return Cell(
        rps=requests / (duration_us / 1e6),
        p50=p50_us / 1000,
        p99=p99_us / 1000,
        errors=connect + read + write + status + timeout,
        requests=requests,
    )


def measure(
    url: str, body: bytes, *, clients: int, seconds: float, headers: dict[str, str] | None = None, warmup: float = 1.0
) -> Cell:
    """A warm-up run (discarded), then the measured run."""
    if warmup > 0:
        result(start(url, body, clients=clients, seconds=warmup, headers=headers))
        time.sleep(0.2)
    return result(start(url, body, clients=clients, seconds=seconds, headers=headers))
