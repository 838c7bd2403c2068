"""Process supervision under ``manage.py shipyard_run``: a crashed process is restarted with
backoff and reported in /healthz, a crash loop is marked failed, and stopping leaves nothing behind.

The first tests drive ``shipyard.core.supervisor`` with tiny real child processes; the last one
runs the real platform and SIGKILLs each process kind in turn while requests keep coming.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from shipyard.core.supervisor import Policy, ProgramSpec, Supervisor
from tests.conftest import REPO_ROOT, worker_env
from tests.serving.conftest import free_port

pytestmark = pytest.mark.slow

PY = sys.executable
FAST = Policy(
    backoff_initial_s=0.1,
    backoff_max_s=0.4,
    backoff_reset_s=30.0,
    crash_loop_restarts=5,
    crash_loop_window_s=30.0,
    stop_timeout_s=1.0,
    orphan_grace_s=1.0,
)


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie nobody reaped yet counts as gone)."""
    try:
        os.kill(pid, 0)
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (ProcessLookupError, FileNotFoundError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, tick: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(tick)
    raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")


def step_until(sup: Supervisor, predicate: Callable[[], bool], timeout: float, what: str) -> None:
    def stepped() -> bool:
        sup.step()
        return predicate()

    wait_for(stepped, timeout, what, tick=0.02)


def with_grandchild(pid_file: Path, *, ignore_sigterm: bool = False) -> list[str]:
    """A main process that starts a long-lived child of its own (like gunicorn's workers)."""
    code = (
        "import pathlib, signal, subprocess, sys, time\n"
        + ("signal.signal(signal.SIGTERM, signal.SIG_IGN)\n" if ignore_sigterm else "")
        + "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
        + f"pathlib.Path({str(pid_file)!r}).write_text(str(child.pid))\n"
        + "time.sleep(120)\n"
    )
    return [PY, "-c", code]


def test_backoff_doubles_then_an_optional_crash_loop_is_marked_failed() -> None:
    logs: list[str] = []
    tables: list[list[dict[str, Any]]] = []
    sup = Supervisor(
        [
            ProgramSpec("crasher", [PY, "-c", "import sys; sys.exit(3)"], required=False),
            ProgramSpec("steady", [PY, "-c", "import time; time.sleep(120)"]),
        ],
        policy=FAST,
        log=logs.append,
        publish=tables.append,
    )
    sup.start()
    steady = sup.programs["steady"].proc
    assert steady is not None
    try:
        started = time.monotonic()
        step_until(sup, lambda: sup.programs["crasher"].state == "failed", 20, "the crash loop")
        # 0.1 + 0.2 + 0.4 + 0.4 + 0.4 s of backoff at least
        assert time.monotonic() - started >= 1.5
        assert logs[:5] == [
            f"crasher exited with code 3; restarting in {delay}s (restart {n})"
            for n, delay in enumerate(["0.1", "0.2", "0.4", "0.4", "0.4"], start=1)
        ]
        assert logs[5] == (
            "crasher exited with code 3; 6 exits within 30s: marked failed and not restarted; the rest keeps running"
        )
        # the rest keeps running; the platform does not stop for an optional process
        assert not sup.stopping and sup.exit_code == 0
        assert sup.programs["steady"].proc is steady and steady.poll() is None
        rows = {row["name"]: row for row in tables[-1]}
        assert rows["crasher"] == {
            **rows["crasher"],
            "state": "failed",
            "restarts": 5,
            "last_exit_code": 3,
            "pid": None,
        }
        assert rows["steady"]["state"] == "running" and rows["steady"]["pid"] == steady.pid
        assert {row["crasher"]["state"] for row in ({r["name"]: r for r in t} for t in tables)} >= {
            "running",
            "backoff",
            "failed",
        }
    finally:
        sup.shutdown()
    assert not alive(steady.pid)


def test_backoff_resets_after_a_program_stayed_up() -> None:
    logs: list[str] = []
    policy = dataclasses.replace(FAST, backoff_reset_s=0.3)
    sup = Supervisor(
        [ProgramSpec("flaky", [PY, "-c", "import sys, time; time.sleep(0.5); sys.exit(4)"])],
        policy=policy,
        log=logs.append,
    )
    sup.start()
    try:
        step_until(sup, lambda: sup.programs["flaky"].restarts >= 3 and len(logs) >= 3, 20, "three restarts")
    finally:
        sup.shutdown()
    assert logs[:3] == [f"flaky exited with code 4; restarting in 0.1s (restart {n})" for n in (1, 2, 3)]


def test_a_required_crash_loop_stops_everything_with_a_nonzero_exit(tmp_path: Path) -> None:
    logs: list[str] = []
    pid_file = tmp_path / "grandchild.pid"
    sup = Supervisor(
        [
            ProgramSpec("crasher", [PY, "-c", "import sys; sys.exit(3)"], required=True),
            ProgramSpec("other", with_grandchild(pid_file), required=False),
        ],
        policy=FAST,
        log=logs.append,
    )
    started = time.monotonic()
    assert sup.run() == 1
    assert time.monotonic() - started < 10
    assert logs[-1] == "crasher exited with code 3; 6 exits within 30s: it is failing; stopping everything"
    other = sup.programs["other"].proc
    assert other is not None and not alive(other.pid)
    wait_for(lambda: not alive(int(pid_file.read_text())), 5, "the grandchild to die")


def test_a_killed_program_is_restarted_and_its_leftover_children_are_stopped(tmp_path: Path) -> None:
    logs: list[str] = []
    first_pid_file = tmp_path / "first.pid"
    sup = Supervisor([ProgramSpec("app", with_grandchild(first_pid_file))], policy=FAST, log=logs.append)
    sup.start()
    leader = sup.programs["app"].proc
    assert leader is not None
    try:
        first_grandchild = int(wait_for(lambda: first_pid_file.exists() and first_pid_file.read_text(), 10, "pid"))
        os.kill(leader.pid, signal.SIGKILL)
        step_until(
            sup,
            lambda: sup.programs["app"].state == "running" and sup.programs["app"].proc is not leader,
            10,
            "the restart",
        )
        assert logs == ["app exited with code -9; restarting in 0.1s (restart 1)"]
        # the killed main process's child got SIGTERM: nothing of the old process group survives
        wait_for(lambda: not alive(first_grandchild), 5, "the old group to stop")
    finally:
        sup.shutdown()


def test_stop_kills_a_process_group_that_ignores_sigterm(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    logs: list[str] = []
    sup = Supervisor(
        [ProgramSpec("stubborn", with_grandchild(pid_file, ignore_sigterm=True))], policy=FAST, log=logs.append
    )
    sup.start()
    leader = sup.programs["stubborn"].proc
    assert leader is not None
    grandchild = int(wait_for(lambda: pid_file.exists() and pid_file.read_text(), 10, "pid"))
    started = time.monotonic()
    sup.shutdown()
    assert time.monotonic() - started < FAST.stop_timeout_s + 2
    assert logs == ["stubborn did not stop within 1s; killed"]
    assert not alive(leader.pid)
    wait_for(lambda: not alive(grandchild), 5, "the grandchild to die")


# -- the real platform ----------------------------------------------------------------------------


def tiny_onnx(path: Path) -> Path:
    """A digits-shaped linear model (64 features -> 10 logits), built without training."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    weights = numpy_helper.from_array(rng.normal(size=(64, 10)).astype(np.float32), "w")
    bias = numpy_helper.from_array(np.zeros(10, dtype=np.float32), "b")
    graph = helper.make_graph(
        [helper.make_node("Gemm", ["input", "w", "b"], ["logits"])],
        "digits",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 64])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 10])],
        initializer=[weights, bias],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


class Platform:
    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = REPO_ROOT / "var" / "test-logs" / "shipyard-run.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        env = {
            **worker_env(),
            "WEB_WORKERS": "1",
            "WEB_THREADS": "16",
            "SERVING_ORT_THREADS": "1",
            "GATEWAY_PORT": str(free_port()),
        }
        self.proc = subprocess.Popen(
            [PY, "manage.py", "shipyard_run", "--no-traffic", "--port", str(port)],
            env=env,
            cwd=REPO_ROOT,
            stdout=self.log_path.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log(self, offset: int = 0) -> str:
        with self.log_path.open("rb") as f:
            f.seek(offset)
            return f.read().decode(errors="replace")

    def health(self) -> tuple[int, dict[str, Any]]:
        try:
            res = requests.get(f"{self.url}/healthz", timeout=10)
        except requests.RequestException:
            return 0, {}
        return res.status_code, res.json()

    def wait_healthy(self, timeout: float) -> dict[str, Any]:
        def ok() -> dict[str, Any] | None:
            assert self.proc.poll() is None, self.log()[-6000:]
            code, body = self.health()
            return body if code == 200 and body.get("processes") else None

        try:
            return wait_for(ok, timeout, "/healthz ok", tick=0.3)  # type: ignore[no-any-return]
        except AssertionError as exc:
            raise AssertionError(f"{exc}; last: {self.health()}\n{self.log()[-6000:]}") from None


def process_groups(leaders: list[int]) -> set[int]:
    """Every live process in the process groups led by ``leaders``."""
    pids = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[2]) in leaders and fields[0] != "Z":
            pids.add(int(stat.parent.name))
    return pids


class Load:
    """Clients sending predictions one at a time, each over a fresh connection (no keep-alive)."""

    def __init__(self, url: str, token: str, clients: int = 4) -> None:
        self.url, self.token, self.clients = url, token, clients
        #: (status or 0 for a connection error, monotonic time the request was sent)
        self.results: list[tuple[int, float]] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._client, daemon=True) for _ in range(clients)]
        for t in self._threads:
            t.start()

    def _client(self) -> None:
        row = [float(i % 17) for i in range(64)]
        while not self._stop.is_set():
            sent = time.monotonic()
            try:
                res = requests.post(
                    f"{self.url}/serve/fraud-model/digits/predict",
                    json={"inputs": [row]},
                    headers={"Authorization": f"Token {self.token}", "Connection": "close"},
                    timeout=60,
                )
                self.results.append((res.status_code, sent))
            except requests.RequestException:
                self.results.append((0, sent))
            time.sleep(0.02)

    def stop(self) -> list[tuple[int, float]]:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=70)
        return self.results


@pytest.mark.django_db(transaction=True)
def test_shipyard_run_restarts_each_killed_process_and_stops_cleanly(
    world: Any, redis_client: Any, tmp_path: Path
) -> None:
    from rest_framework.authtoken.models import Token

    from shipyard.core.tasks import smoke
    from shipyard.serving import lifecycle
    from shipyard.serving.demo import register_onnx_version

    version = register_onnx_version(
        project=world.project, model_name="digits", onnx_path=tiny_onnx(tmp_path / "d.onnx"), metrics={"accuracy": 0.9}
    )
    lifecycle.deployment_create(
        project=world.project,
        name="digits",
        model=version.model,
        version=version,
        by=world.owner,
        reason="supervision test",
        settings={"request_timeout_ms": 60_000},
    )
    token = Token.objects.create(user=world.owner).key
    platform = Platform(free_port())
    leaders: list[int] = []
    try:
        body = platform.wait_healthy(90)
        kinds = ["web", "gateway", "serving", "worker-cpu", "worker-gpu", "beat"]
        assert set(body["processes"]) == set(kinds)
        assert all(p["state"] == "running" and p["restarts"] == 0 for p in body["processes"].values())
        for kind in kinds:
            old = body["processes"][kind]["pid"]
            leaders.append(old)
            load = Load(platform.url, token) if kind in {"web", "serving"} else None
            time.sleep(0.5)
            log_offset = platform.log_path.stat().st_size
            killed_at = time.monotonic()
            os.kill(old, signal.SIGKILL)
            queue = {"worker-cpu": "cpu", "worker-gpu": "gpu"}.get(kind)

            def restarted(kind: str = kind, old: int = old) -> dict[str, Any] | None:
                code, body = platform.health()
                p = body.get("processes", {}).get(kind, {})
                return body if code == 200 and p.get("pid") not in (None, old) and p["restarts"] == 1 else None

            body = wait_for(restarted, 60, f"{kind} to come back", tick=0.3)
            assert body["processes"][kind]["last_exit_code"] == -9
            if queue:
                # Work queued while the Celery worker restarts is done by its successor. (Queued once the
                # supervisor reaped the killed process: a message a dying consumer took is lost with it.)
                smoke_id = uuid.uuid4().hex
                smoke.apply_async(args=[smoke_id], queue=queue)
                key = f"shipyard:smoke:{smoke_id}"
                wait_for(lambda key=key: redis_client.get(key), 60, f"a task on {queue}", tick=0.3)
            if kind == "beat":
                wait_for(
                    lambda at=log_offset: "Sending due task" in platform.log(at), 30, "beat to schedule again", 0.3
                )
            if load is not None:
                # the stream goes on through the restarted process
                def resumed(load: Load = load, since: float = killed_at + 0.5) -> bool:
                    return sum(1 for _, sent in load.results if sent > since) >= 20

                wait_for(resumed, 60, f"requests through the new {kind}", 0.1)
                results = load.stop()
                lost = [(code, round(sent - killed_at, 2)) for code, sent in results if code != 200]
                # Every request sent while the process was dead or restarting was answered. Only a
                # request the killed process group had already taken may be lost: at most one per
                # client, sent before the supervisor noticed the kill (it polls every 0.1 s).
                assert len(lost) <= load.clients and all(at < 0.5 for _, at in lost), (kind, lost)
                assert sum(1 for _, sent in results if sent > killed_at + 0.5) >= 20
        assert all(p["restarts"] == 1 for p in body["processes"].values()), body
        log = platform.log()
        for kind in kinds:
            assert f"{kind} exited with code -9; restarting in 0.5s (restart 1)" in log
        leaders += [p["pid"] for p in body["processes"].values()]
        everything = process_groups(leaders)
        assert len(everything) >= 8  # main processes plus gunicorn and Celery pool processes
        started = time.monotonic()
        platform.proc.send_signal(signal.SIGTERM)
        assert platform.proc.wait(timeout=25) == 0, platform.log()[-6000:]
        assert time.monotonic() - started < 20
        wait_for(lambda: not any(alive(pid) for pid in everything), 5, "every child process to be gone")
        # the process table is withdrawn with the supervisor
        assert redis_client.get("shipyard:supervisor:processes") is None
    finally:
        if platform.proc.poll() is None:
            os.killpg(platform.proc.pid, signal.SIGKILL)
            platform.proc.wait()
        for pid in process_groups(leaders):
            os.kill(pid, signal.SIGKILL)
