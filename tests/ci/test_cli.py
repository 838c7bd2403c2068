"""`shipyard ci report` and the pytest marker plugin: against a live server with a real worker, and a stub."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from shipyard.ci.signatures import SignatureError, verify_shipyard
from shipyard.client import ci_cmd, cli
from tests.ci.conftest import FIXTURES

REPO = Path(__file__).resolve().parents[2]
SHIPYARD = Path(sys.executable).parent / "shipyard"


def run_pytest_with_marker(tmp_path: Path) -> Path:
    """Run real pytest with the Shipyard plugin on a small suite; return its JUnit XML."""
    suite = tmp_path / "test_model_checks.py"
    suite.write_text((FIXTURES / "mlts_sample.py").read_text())
    junit = tmp_path / "results.xml"
    env = {**os.environ, "PYTHONPATH": str(REPO / "platform")}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "shipyard.client.pytest_plugin",
            "-p",
            "no:cacheprovider",
            "-q",
            f"--junitxml={junit}",
            "--rootdir",
            str(tmp_path),
            "-c",
            os.devnull,
            str(suite),
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        check=False,
        timeout=120,
    )
    return junit


def test_pytest_marker_writes_mlts_properties(tmp_path: Path) -> None:
    text = run_pytest_with_marker(tmp_path).read_text()
    assert '<property name="mlts" value="infra-1" />' in text
    assert '<property name="mlts" value="model-2" />' in text


def test_pytest_marker_rejects_bad_ids(tmp_path: Path) -> None:
    suite = tmp_path / "test_bad.py"
    suite.write_text('import pytest\n\n@pytest.mark.mlts("infra-one")\ndef test_x():\n    pass\n')
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "shipyard.client.pytest_plugin",
            "-p",
            "no:cacheprovider",
            "-q",
            "-c",
            os.devnull,
            str(suite),
        ],
        env={**os.environ, "PYTHONPATH": str(REPO / "platform")},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "not a rubric test id" in result.stdout + result.stderr


def test_cli_signature_verifies_on_the_server_side() -> None:
    body = b'{"run": {}}'
    verify_shipyard(["k"], body, ci_cmd.sign("k", body, delivery_id="d-1"), delivery_id="d-1")
    with pytest.raises(SignatureError):  # the delivery id is part of what is signed
        verify_shipyard(["k"], body, ci_cmd.sign("k", body, delivery_id="d-1"), delivery_id="d-2")


class Flaky(BaseHTTPRequestHandler):
    seen: list[dict[str, str]] = []
    answers: list[tuple[int, dict[str, Any]]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        Flaky.seen.append(dict(self.headers))
        status, body = Flaky.answers.pop(0)
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def stub() -> Any:
    server = HTTPServer(("127.0.0.1", 0), Flaky)
    Flaky.seen, Flaky.answers = [], []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def cli_args(url: str, junit: Path) -> list[str]:
    return [
        "--url",
        url,
        "ci",
        "report",
        "--project",
        "p",
        "--junit",
        str(junit),
        "--backoff",
        "0.01",
        "--branch",
        "main",
    ]


def test_cli_retries_5xx_with_the_same_delivery_id(stub: str, monkeypatch: Any, capsys: Any) -> None:
    monkeypatch.setenv("SHIPYARD_CI_SECRET", "k")
    Flaky.answers = [
        (503, {"error": {"code": "unavailable", "message": "later"}}),
        (502, {}),
        (202, {"delivery": 7, "status": "queued", "duplicate": False}),
    ]
    assert cli.main(cli_args(stub, FIXTURES / "surefire.xml")) == 0
    assert len(Flaky.seen) == 3
    assert len({h["X-Shipyard-Delivery"] for h in Flaky.seen}) == 1
    assert "delivery 7" in capsys.readouterr().out


def test_cli_exits_non_zero_with_a_clear_message_on_4xx(stub: str, monkeypatch: Any, capsys: Any) -> None:
    monkeypatch.setenv("SHIPYARD_CI_SECRET", "k")
    Flaky.answers = [(401, {"error": {"code": "unauthenticated", "message": "X-Shipyard-Signature does not match"}})]
    assert cli.main(cli_args(stub, FIXTURES / "surefire.xml")) == 1
    assert len(Flaky.seen) == 1  # a 4xx is not retried
    err = capsys.readouterr().err
    assert "does not match" in err and "HTTP 401" in err and "SHIPYARD_CI_SECRET" in err


def test_cli_needs_credentials_and_readable_files(monkeypatch: Any, capsys: Any, tmp_path: Path) -> None:
    monkeypatch.delenv("SHIPYARD_CI_SECRET", raising=False)
    monkeypatch.delenv("SHIPYARD_TOKEN", raising=False)
    assert cli.main(cli_args("http://127.0.0.1:9", FIXTURES / "surefire.xml")) == 2
    assert "SHIPYARD_CI_SECRET" in capsys.readouterr().err
    monkeypatch.setenv("SHIPYARD_CI_SECRET", "k")
    with pytest.raises(SystemExit, match="cannot read the JUnit file"):
        cli.main(cli_args("http://127.0.0.1:9", tmp_path / "missing.xml"))


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_cli_against_live_server_turns_tagged_test_verified(
    world: Any, live_server: Any, celery_worker: Any, tmp_path: Path
) -> None:
    from shipyard.ci.models import Delivery
    from shipyard.ci.services import secret_rotate
    from shipyard.rubric.models import Evidence

    _, secret = secret_rotate(project=world.project)
    junit = run_pytest_with_marker(tmp_path)
    (tmp_path / "metrics.json").write_text(json.dumps({"accuracy": 0.93, "latency_p99_ms": 41.0}))
    (tmp_path / "requirements.txt").write_text("numpy==1.26.4\nscikit-learn==1.5.0\n")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GITHUB_", "CI_", "CIRCLE", "BUILDKITE", "BUILD_", "GIT_"))
    }
    env.update(SHIPYARD_URL=live_server.url, PYTHONPATH=str(REPO / "platform"))
    command = [
        str(SHIPYARD),
        "ci",
        "report",
        "--project",
        "fraud-model",
        "--junit",
        str(junit),
        "--metrics",
        str(tmp_path / "metrics.json"),
        "--lockfile",
        str(tmp_path / "requirements.txt"),
        "--branch",
        "main",
        "--commit",
        "f" * 40,
        "--url",
        "https://ci.example/runs/1",
    ]

    wrong = subprocess.run(
        command, env={**env, "SHIPYARD_CI_SECRET": "wrong"}, capture_output=True, text=True, timeout=60
    )
    assert wrong.returncode == 1 and "HTTP 401" in wrong.stderr
    assert not Delivery.objects.exists()

    done = subprocess.run(
        command, env={**env, "SHIPYARD_CI_SECRET": secret}, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "queued" in done.stdout

    deadline = time.monotonic() + 60
    delivery = Delivery.objects.get()
    while delivery.status == "queued" and time.monotonic() < deadline:
        time.sleep(0.2)
        delivery.refresh_from_db()
    assert delivery.status == "processed", (delivery.status, delivery.error, celery_worker.log()[-3000:])
    run = delivery.run
    assert run is not None and run.tests_total == 5 and run.tests_failed == 1 and run.commit == "f" * 40
    assert run.packages == {"numpy": "1.26.4", "scikit-learn": "1.5.0"}
    evidence = Evidence.objects.get(project=world.project, test_id="infra-1")
    assert evidence.passed and evidence.source == "ci" and evidence.link == "https://ci.example/runs/1"
    assert not Evidence.objects.get(project=world.project, test_id="model-2").passed

    score = world.client(world.owner).get("/api/v1/projects/fraud-model/score/").json()
    assert score["tests"]["infra-1"]["evidence_state"] == "verified"
    assert score["tests"]["infra-1"]["verified"] == "automated"
    assert score["tests"]["model-2"]["evidence_state"] == "failing"
