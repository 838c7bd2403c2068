"""The serving benchmark's peers: MLServer, LitServe, BentoML and Ray Serve, each in its own
virtualenv under ``var/bench-venvs/<peer>`` (created on first use with the machine's python3.11),
each serving one ONNX file with its own adaptive batching (max batch 32), one model replica and
onnxruntime on 1 intra-op thread, and each sent the request JSON its users send."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import REPO, free_port

VENVS = REPO / "var" / "bench-venvs"
#: how long a batch waits to fill, for the peers whose knob is a wait (Shipyard lingers up to 5 ms)
BATCH_WAIT_S = 0.005

ORT_SESSION = """
import onnxruntime as ort


def session(path):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(path, sess_options=opts, providers=["CPUExecutionProvider"])
"""

MLSERVER_RUNTIME = """
import numpy as np
from mlserver import MLModel
from mlserver.codecs import NumpyCodec
from mlserver.types import InferenceRequest, InferenceResponse

from ortsession import session


class OnnxModel(MLModel):
    async def load(self) -> bool:
        self.session = session(self.settings.parameters.uri)
        return True

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        x = NumpyCodec.decode_input(payload.inputs[0]).astype(np.float32, copy=False)
        y = self.session.run(None, {"input": x})[0]
        return InferenceResponse(model_name=self.name, outputs=[NumpyCodec.encode_output("output", y)])
"""

LITSERVE_SERVER = """
import os
import sys

import litserve as ls
import numpy as np

from ortsession import session


class Api(ls.LitAPI):
    def setup(self, device):
        self.session = session(os.environ["BENCH_ONNX"])

    def decode_request(self, request):
        return request["input"]

    def batch(self, inputs):
        return np.asarray(inputs, dtype=np.float32)

    def predict(self, x):
        return self.session.run(None, {"input": x})[0]

    def unbatch(self, output):
        return list(output)

    def encode_response(self, output):
        return {"output": output.tolist()}


if __name__ == "__main__":
    api = Api(max_batch_size=32, batch_timeout=float(os.environ["BENCH_BATCH_WAIT_S"]))
    server = ls.LitServer(api, accelerator="cpu", workers_per_device=1)
    server.run(host="127.0.0.1", port=int(sys.argv[1]), generate_client_file=False, log_level="warning")
"""

BENTOML_SERVICE = """
import os

import bentoml
import numpy as np

from ortsession import session


@bentoml.service(workers=1)
class Model:
    def __init__(self) -> None:
        self.session = session(os.environ["BENCH_ONNX"])

    @bentoml.api(batchable=True, max_batch_size=32, max_latency_ms=1000)
    def predict(self, inputs: np.ndarray) -> np.ndarray:
        return self.session.run(None, {"input": inputs.astype(np.float32)})[0]
"""

RAY_SERVER = """
import os
import signal
import sys
import time

import numpy as np
import ray
from ray import serve
from starlette.requests import Request

from ortsession import session


@serve.deployment(num_replicas=1, max_ongoing_requests=64)
class Model:
    def __init__(self) -> None:
        self.session = session(os.environ["BENCH_ONNX"])

    @serve.batch(max_batch_size=32, batch_wait_timeout_s=float(os.environ["BENCH_BATCH_WAIT_S"]))
    async def predict(self, rows: list) -> list:
        out = self.session.run(None, {"input": np.asarray(rows, dtype=np.float32)})[0]
        return [row.tolist() for row in out]

    async def __call__(self, request: Request) -> dict:
        body = await request.json()
        return {"output": await self.predict(body["input"])}


def stop(*_):
    serve.shutdown()
    ray.shutdown()
    sys.exit(0)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, stop)
    ray.init(num_cpus=os.cpu_count(), include_dashboard=False, object_store_memory=200 * 1024**2,
             _temp_dir=os.environ["BENCH_RAY_TMP"], log_to_driver=False)
    serve.start(http_options={"host": "127.0.0.1", "port": int(sys.argv[1])})
    serve.run(Model.bind(), route_prefix="/predict", name="bench")
    print("ready", flush=True)
    while True:
        time.sleep(3600)
"""


@dataclass(frozen=True)
class Peer:
    name: str
    label: str
    requirements: tuple[str, ...]
    module: str  # imported to check the venv, and whose __version__ is reported
    path: Callable[[str], str]  # model name -> request path
    body: Callable[[list[float]], dict[str, Any]]  # one row -> the request its users send
    launch: Callable[[Path, Path, Path, int], list[str]]  # python, onnx, workdir, port -> command


def _mlserver(python: Path, onnx: Path, work: Path, port: int) -> list[str]:
    (work / "runtime.py").write_text(textwrap.dedent(MLSERVER_RUNTIME))
    settings = {
        "host": "127.0.0.1",
        "http_port": port,
        "grpc_port": free_port(),
        "metrics_port": free_port(),
        "parallel_workers": 1,
        "debug": False,
    }
    (work / "settings.json").write_text(json.dumps(settings))
    model_dir = work / "models" / "model"
    model_dir.mkdir(parents=True)
    model = {
        "name": "model",
        "implementation": "runtime.OnnxModel",
        "max_batch_size": 32,
        "max_batch_time": BATCH_WAIT_S,
        "parameters": {"uri": str(onnx)},
    }
    (model_dir / "model-settings.json").write_text(json.dumps(model))
    return [str(python.parent / "mlserver"), "start", str(work)]


def _litserve(python: Path, onnx: Path, work: Path, port: int) -> list[str]:
    (work / "server.py").write_text(textwrap.dedent(LITSERVE_SERVER))
    return [str(python), "server.py", str(port)]


def _bentoml(python: Path, onnx: Path, work: Path, port: int) -> list[str]:
    (work / "service.py").write_text(textwrap.dedent(BENTOML_SERVICE))
    return [str(python), "-m", "bentoml", "serve", "service:Model", "--port", str(port), "--host", "127.0.0.1"]


def _ray(python: Path, onnx: Path, work: Path, port: int) -> list[str]:
    (work / "server.py").write_text(textwrap.dedent(RAY_SERVER))
    return [str(python), "server.py", str(port)]


def v2_body(row: list[float]) -> dict[str, Any]:
    """An Open Inference Protocol (KServe V2) JSON request with one FP32 row, as MLServer clients send it."""
    return {"inputs": [{"name": "input", "shape": [1, len(row)], "datatype": "FP32", "data": row}]}


PEERS: dict[str, Peer] = {
    "mlserver": Peer(
        "mlserver",
        "MLServer",
        ("mlserver==1.7.1", "uvloop<0.21", "onnxruntime", "numpy"),
        "mlserver",
        lambda model: "/v2/models/model/infer",
        v2_body,
        _mlserver,
    ),
    "litserve": Peer(
        "litserve",
        "LitServe",
        ("litserve==0.2.19", "onnxruntime", "numpy"),
        "litserve",
        lambda model: "/predict",
        lambda row: {"input": row},
        _litserve,
    ),
    "bentoml": Peer(
        "bentoml",
        "BentoML",
        ("bentoml>=1.4,<1.5", "onnxruntime", "numpy"),
        "bentoml",
        lambda model: "/predict",
        lambda row: {"inputs": [row]},
        _bentoml,
    ),
    "rayserve": Peer(
        "rayserve",
        "Ray Serve",
        ("ray[serve]>=2,<3", "onnxruntime", "numpy"),
        "ray",
        lambda model: "/predict",
        lambda row: {"input": row},
        _ray,
    ),
}


def venv_python(peer: Peer) -> tuple[Path | None, str]:
    """The peer's interpreter and version, creating its virtualenv on first use; (None, why) when it
    cannot be installed."""
    venv = VENVS / peer.name
    python = venv / "bin" / "python"
    probe = [str(python), "-c", f"import {peer.module}, onnxruntime; print({peer.module}.__version__)"]
    if python.exists():
        ok = subprocess.run(probe, capture_output=True, text=True)
        if ok.returncode == 0:
            return python, ok.stdout.strip()
    base = shutil.which("python3.11") or sys.executable
    print(f"creating var/bench-venvs/{peer.name} ({' '.join(peer.requirements)}) ...", flush=True)
    subprocess.run([base, "-m", "venv", str(venv)], check=True)
    pip = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *peer.requirements],
        capture_output=True,
        text=True,
    )
    if pip.returncode:
        return None, "pip install failed: " + (pip.stderr.strip().splitlines() or ["no output"])[-1]
    ok = subprocess.run(probe, capture_output=True, text=True)
    if ok.returncode:
        return None, "installed but does not import: " + (ok.stderr.strip().splitlines() or ["no output"])[-1]
    return python, ok.stdout.strip()


class Running:
    """A peer server started on loopback for one ONNX file; ``close`` stops it and its children."""

    def __init__(self, peer: Peer, python: Path, onnx: Path, work: Path, row: list[float]) -> None:
        self.peer = peer
        work.mkdir(parents=True)
        (work / "ortsession.py").write_text(textwrap.dedent(ORT_SESSION))
        self.short_tmp = tempfile.mkdtemp(prefix="sy-")
        port = free_port()
        command = peer.launch(python, onnx, work, port)
        env = {
            **os.environ,
            "PYTHONPATH": str(work),
            "BENCH_ONNX": str(onnx),
            "BENCH_BATCH_WAIT_S": str(BATCH_WAIT_S),
            "BENCH_RAY_TMP": self.short_tmp,  # Ray's socket paths must stay under 107 bytes
            "BENTOML_HOME": str(work / "bentoml"),
            "BENTOML_DO_NOT_TRACK": "True",
            "RAY_USAGE_STATS_ENABLED": "0",
            "OMP_NUM_THREADS": "1",
        }
        env.pop("VIRTUAL_ENV", None)
        self.log = (work / "server.log").open("wb")
        self.proc = subprocess.Popen(
            command, cwd=work, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.url = f"http://127.0.0.1:{port}{peer.path('model')}"
        self.body = json.dumps(peer.body(row)).encode()
        self.work = work

    def wait_ready(self, timeout: float = 180) -> None:
        """Until a real prediction answers 200."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"exited with {self.proc.returncode}: {self.tail()}")
            request = urllib.request.Request(self.url, data=self.body, headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=5) as answer:
                    if answer.status == 200:
                        return
            except (OSError, urllib.error.HTTPError):
                pass
            time.sleep(0.5)
        raise RuntimeError(f"no answer within {timeout:.0f} s: {self.tail()}")

    def tail(self) -> str:
        self.log.flush()
        lines = (self.work / "server.log").read_text(errors="replace").strip().splitlines()
        return " | ".join(lines[-3:])

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        try:  # the server's own children (workers, Ray's daemons) share its session's process group
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.log.close()
        shutil.rmtree(self.short_tmp, ignore_errors=True)
