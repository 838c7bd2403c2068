"""Webhook bodies sent without Content-Length (Transfer-Encoding: chunked)."""

from __future__ import annotations

import http.client
import io
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
from rest_framework.test import APIClient

from shipyard.ci.models import Delivery
from tests.ci.conftest import as_meta, native_body, signed_headers
from tests.conftest import REPO_ROOT, worker_env

URL = "/api/v1/projects/fraud-model/ci/webhook/"


def post_chunked(body: bytes, headers: dict[str, str], *, terminated: bool = True) -> Any:
    """What a WSGI server that de-chunks hands Django: no CONTENT_LENGTH, the body on wsgi.input."""
    extra: dict[str, Any] = {
        "CONTENT_LENGTH": "",
        "HTTP_TRANSFER_ENCODING": "chunked",
        "wsgi.input": io.BytesIO(body),
    }
    if terminated:
        extra["wsgi.input_terminated"] = True
    return APIClient().generic("POST", URL, b"", content_type="application/json", **as_meta(headers), **extra)


def test_chunked_body_is_read_and_verified(world: Any, ci_secret: str) -> None:
    body = native_body()
    response = post_chunked(body, signed_headers("shipyard", ci_secret, body))
    assert response.status_code == 202, response.json()
    assert bytes(Delivery.objects.get().body) == body


def test_chunked_body_is_capped_while_reading(world: Any, ci_secret: str, settings: Any) -> None:
    settings.CI_WEBHOOK_MAX_BYTES = 1000
    body = native_body(padding="x" * 200_000)
    response = post_chunked(body, signed_headers("shipyard", ci_secret, body))
    assert response.status_code == 413 and response.json()["error"]["code"] == "too_large"
    assert not Delivery.objects.exists()


def test_chunked_body_a_server_does_not_terminate_is_411(world: Any, ci_secret: str) -> None:
    body = native_body()
    response = post_chunked(body, signed_headers("shipyard", ci_secret, body), terminated=False)
    assert response.status_code == 411 and response.json()["error"]["code"] == "length_required"
    assert not Delivery.objects.exists()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def gunicorn(transactional_db: Any) -> Iterator[int]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "shipyard.config.wsgi:application", "-w", "1", "-b", f"127.0.0.1:{port}"],
        cwd=REPO_ROOT,
        env={**worker_env(), "CI_WEBHOOK_MAX_BYTES": "100000"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(proc.stderr.read().decode() if proc.stderr else "gunicorn did not start")
                time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _send_chunked(port: int, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    pieces = (body[i : i + 4096] for i in range(0, len(body), 4096))
    conn.request("POST", URL, body=pieces, headers={**headers, "Content-Type": "application/json"}, encode_chunked=True)
    response = conn.getresponse()
    return response.status, response.read()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_chunked_post_through_gunicorn(world: Any, ci_secret: str, celery_worker: Any, gunicorn: int) -> None:
    body = native_body()
    status, text = _send_chunked(gunicorn, body, signed_headers("shipyard", ci_secret, body))
    assert status == 202, text
    delivery = Delivery.objects.get()
    assert bytes(delivery.body) == body
    deadline = time.monotonic() + 60
    while delivery.status == "queued" and time.monotonic() < deadline:  # let the worker finish before the flush
        time.sleep(0.1)
        delivery.refresh_from_db()
    assert delivery.status == "processed", delivery.error

    oversize = native_body(padding="x" * 300_000)  # over the server's 100 kB cap; the rest fits socket buffers
    status, text = _send_chunked(gunicorn, oversize, signed_headers("shipyard", ci_secret, oversize))
    assert status == 413, text
    assert Delivery.objects.count() == 1
