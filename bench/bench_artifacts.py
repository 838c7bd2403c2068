"""Artifact upload and download throughput for a 500 MB artifact, and the web process's memory.

Starts gunicorn (1 sync worker, so one process holds the request) on a free port against the
configured PostgreSQL (a `<db>_artifactbench` database, migrated on first use) with a private
ARTIFACT_ROOT, then:

* uploads a 500 MB safetensors file through ``POST .../models/{m}/versions/`` with the client's
  streamed multipart body (the safetensors check reads only the header, so the figure is the
  transport + hashing + commit path; ONNX/state_dict checks load the file in a child process);
* downloads it back through ``GET .../versions/{n}/artifact`` (streamed), and a 64 MiB range;
* samples the gunicorn worker's RSS every 20 ms: idle before, peak during upload and download.

Baselines measured in the same run: copying the same file on the same disk (``shutil.copyfile``)
and reading it back. Printed: MB/s, ratios against the baselines, and peak RSS / idle RSS.

    python -m bench artifacts [--size-mb 500]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import struct
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import REPO, bench_env, free_port, prepare_database, run_django, start_gunicorn

MB = 1024 * 1024


def prepare(env: dict[str, str]) -> str:
    """Create and migrate the bench database; make a user and project and return an API token."""
    prepare_database(env)
    script = (
        "from django.contrib.auth import get_user_model\n"
        "from shipyard.accounts.models import Team, Membership\n"
        "from shipyard.accounts.services import token_for\n"
        "from shipyard.projects.models import Project\n"
        "from shipyard.registry.models import RegisteredModel\n"
        "user, _ = get_user_model().objects.get_or_create(username='bench-artifacts')\n"
        "team, _ = Team.objects.get_or_create(slug='bench', defaults={'name': 'Bench'})\n"
        "Membership.objects.get_or_create(user=user, team=team, defaults={'role': 'admin'})\n"
        "project, _ = Project.objects.get_or_create(slug='bench-artifacts', defaults={'team': team, 'name': 'Bench artifacts'})\n"
        "RegisteredModel.objects.filter(project=project).delete()\n"
        "print(token_for(user=user))\n"
    )
    return run_django(env, script)


class RssSampler:
    """Peak RSS of the gunicorn worker process(es) (children of the master), sampled every 20 ms."""

    def __init__(self, master_pid: int) -> None:
        import psutil

        self.master = psutil.Process(master_pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def current(self) -> int:
        # the web process only: validation runs in grandchildren, which are not counted here
        return max((c.memory_info().rss for c in self.master.children(recursive=False)), default=0)

    def __enter__(self) -> RssSampler:
        self.peak = self.current()

        def loop() -> None:
            while not self._stop.is_set():
                try:
                    self.peak = max(self.peak, self.current())
                except Exception:  # a worker may be between requests
                    pass
                time.sleep(0.02)

        self._thread = threading.Thread(target=loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()


def make_artifact(path: Path, size_mb: int) -> None:
    """A valid safetensors file of about ``size_mb`` MB (one uint8 tensor of random bytes)."""
    data_len = size_mb * MB
    header = json.dumps({"blob": {"dtype": "U8", "shape": [data_len], "data_offsets": [0, data_len]}}).encode()
    block = os.urandom(MB)
    with path.open("wb") as fh:
        fh.write(struct.pack("<Q", len(header)) + header)
        for _ in range(size_mb):
            fh.write(block)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench artifacts")
    parser.add_argument("--size-mb", type=int, default=500)
    args = parser.parse_args(argv)

    sys.path[:0] = [str(REPO / "platform"), str(REPO / "workers")]
    from shipyard.client.registry import Registry

    work = Path(tempfile.mkdtemp(prefix="shipyard-artifact-bench-", dir=str(REPO / "var")))
    try:
        env = bench_env("artifactbench", ARTIFACT_ROOT=str(work / "artifacts"), MAX_UPLOAD_BYTES=str(4 * 1024**3))
        token = prepare(env)
        src = work / "model.safetensors"
        make_artifact(src, args.size_mb)
        size = src.stat().st_size
        started = time.perf_counter()
        shutil.copyfile(src, work / "copy.bin")
        copy_s = time.perf_counter() - started
        started = time.perf_counter()
        with (work / "copy.bin").open("rb") as fh:
            while fh.read(MB):
                pass
        read_s = time.perf_counter() - started
        (work / "copy.bin").unlink()

        port = free_port()
        server = start_gunicorn(env, port, workers=1, timeout=600)
        try:
            reg = Registry(
                url=f"http://127.0.0.1:{port}", token=token, project="bench-artifacts", timeout=600, retries=0
            )
            reg.list_models()  # warm the worker (imports, DB connection)
            time.sleep(0.5)
            sampler = RssSampler(server.pid)
            idle = sampler.current()
            with sampler:
                started = time.perf_counter()
                version = reg.log_model(src, name="big", format="safetensors", git_commit="")
                upload_s = time.perf_counter() - started
            upload_peak = sampler.peak
            with RssSampler(server.pid) as down:
                started = time.perf_counter()
                artifact = reg.get_model("big", version["number"], dest=work / "dl")
                download_s = time.perf_counter() - started
            assert artifact.path.stat().st_size == size
            range_bytes = min(64 * MB, size // 2)
            started = time.perf_counter()
            response = reg.request(
                "GET",
                f"/api/v1/projects/bench-artifacts/models/big/versions/{version['number']}/artifact",
                headers={"Range": f"bytes={size // 2}-{size // 2 + range_bytes - 1}"},
                stream=True,
            )
            got = sum(len(c) for c in response.iter_content(MB))
            range_s = time.perf_counter() - started
            assert response.status_code == 206 and got == range_bytes
        finally:
            server.terminate()
            server.wait(timeout=30)

        mbs = size / MB
        print(f"artifact: {mbs:.0f} MiB safetensors; gunicorn 1 sync worker; loopback")
        print(f"disk copy baseline      {mbs / copy_s:8.0f} MiB/s   read baseline {mbs / read_s:8.0f} MiB/s")
        print(f"upload (validate+store) {mbs / upload_s:8.0f} MiB/s   ratio vs disk copy x{copy_s / upload_s:.2f}")
        print(
            f"download (streamed)     {mbs / download_s:8.0f} MiB/s   ratio vs disk copy x{copy_s / download_s:.2f} "
            "(the client hashes and writes the file to disk)"
        )
        print(f"{range_bytes // MB} MiB range request    {range_bytes / MB / range_s:8.0f} MiB/s")
        print(
            f"web worker RSS: idle {idle / MB:.0f} MiB, peak during upload {upload_peak / MB:.0f} MiB "
            f"(x{upload_peak / idle:.2f}), during download {down.peak / MB:.0f} MiB (x{down.peak / idle:.2f}); "
            f"artifact/idle RSS x{size / idle:.1f}"
        )
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
