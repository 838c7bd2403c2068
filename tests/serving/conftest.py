"""Serving fixtures: demo ONNX models, real serving worker processes, a real gunicorn web process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import REPO_ROOT, worker_env

LOG_DIR = REPO_ROOT / "var" / "test-logs"


@pytest.fixture(scope="session")
def digits_onnx(tmp_path_factory: Any) -> dict[str, Path]:
    """Two digits MLPs exported to ONNX (trained once per session) and one trained on shuffled labels."""
    from shipyard.serving.demo import train_digits_onnx

    root = tmp_path_factory.mktemp("onnx")
    out = {}
    for name, kwargs in {"a": {"seed": 0}, "b": {"seed": 1}, "bad": {"seed": 2, "corrupt": True}}.items():
        path = root / f"digits-{name}.onnx"
        metrics = train_digits_onnx(path, epochs=8, **kwargs)
        out[name] = path
        out[f"{name}_metrics"] = metrics  # type: ignore[assignment]
    return out


@pytest.fixture
def digits_rows() -> list[list[float]]:
    from sklearn.datasets import load_digits

    x, _ = load_digits(return_X_y=True)
    return x[:50].tolist()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Proc:
    def __init__(self, name: str, cmd: list[str], env: dict[str, str]) -> None:
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.log_path = LOG_DIR / f"{name}.log"
        self.proc = subprocess.Popen(
            cmd, env=env, cwd=REPO_ROOT, stdout=self.log_path.open("wb"), stderr=subprocess.STDOUT
        )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def kill(self) -> None:
        if self.alive():
            self.proc.kill()
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def serving_env(redis_url: str | None = None) -> dict[str, str]:
    env = worker_env()
    if redis_url:
        env["REDIS_URL"] = redis_url
        env["TEST_REDIS_DB"] = redis_url.rsplit("/", 1)[-1]
    env.setdefault("SERVING_ORT_THREADS", "1")
    return env


def start_serving_worker(name: str, redis_client: Any, env: dict[str, str] | None = None) -> Proc:
    from shipyard.serving import protocol

    before = {m.decode() for m in redis_client.smembers(protocol.WORKERS)}
    proc = Proc(name, [sys.executable, "-m", "shipyard.serving.worker", "--processes", "1"], env or serving_env())
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        now = {m.decode() for m in redis_client.smembers(protocol.WORKERS)}
        if now - before:
            proc.worker_id = next(iter(now - before))  # type: ignore[attr-defined]
            return proc
        if not proc.alive():
            break
        time.sleep(0.1)
    proc.stop()
    raise RuntimeError(f"serving worker did not start:\n{proc.log()}")


def start_web(env: dict[str, str] | None = None, threads: int = 32) -> tuple[Proc, str]:
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "shipyard.config.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--worker-class",
        "gthread",
        "--workers",
        "1",
        "--threads",
        str(threads),
        "--timeout",
        "60",
        "--log-level",
        "warning",
    ]
    env = dict(env or serving_env())
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT / "platform"), str(REPO_ROOT / "workers"), str(REPO_ROOT)])
    proc = Proc(f"web-{port}", cmd, env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/healthz", timeout=1).status_code in (200, 503):
                return proc, url
        except requests.RequestException:
            pass
        if not proc.alive():
            break
        time.sleep(0.2)
    proc.stop()
    raise RuntimeError(f"web did not start:\n{proc.log()}")


@pytest.fixture
def serving_worker(redis_client: Any) -> Any:
    proc = start_serving_worker("serving-worker-1", redis_client)
    yield proc
    proc.stop()


@pytest.fixture
def web(redis_client: Any) -> Any:
    proc, url = start_web()
    yield url
    proc.stop()


def make_versions(project: Any, digits_onnx: dict[str, Path], names: tuple[str, ...] = ("a", "b")) -> list[Any]:
    from shipyard.serving.demo import register_onnx_version

    return [
        register_onnx_version(
            project=project, model_name="digits", onnx_path=digits_onnx[n], metrics=dict(digits_onnx[f"{n}_metrics"])
        )  # type: ignore[arg-type]
        for n in names
    ]


def fake_version(
    project: Any, *, model_name: str = "digits", metrics: dict[str, float] | None = None, fmt: str = "onnx"
) -> Any:
    """A model version row with a made-up artifact key (for API tests that never run the model)."""
    import hashlib
    import uuid

    from shipyard.registry.models import ModelVersion, RegisteredModel
    from shipyard.serving.demo import SIGNATURE

    model, _ = RegisteredModel.objects.get_or_create(project=project, name=model_name)
    number = (model.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    sha = hashlib.sha256(uuid.uuid4().bytes).hexdigest()
    return ModelVersion.objects.create(
        model=model,
        number=number,
        format=fmt,
        artifact_key=f"sha256/{sha[:2]}/{sha[2:]}",
        artifact_sha256=sha,
        artifact_size=1,
        signature=SIGNATURE,
        metrics=metrics if metrics is not None else {"accuracy": 0.95},
    )
