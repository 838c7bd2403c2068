"""Helpers for the CI tests: signed deliveries for every provider."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def hexmac(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(
    provider: str, secret: str, body: bytes, *, now: int | None = None, event: str = ""
) -> dict[str, str]:
    """HTTP headers (as the sender writes them) for a correctly signed delivery."""
    t = int(time.time()) if now is None else now
    if provider == "shipyard":
        delivery = str(uuid.uuid4())
        return {
            "X-Shipyard-Signature": f"t={t},v2={hexmac(secret, f'{t}.{delivery}.'.encode() + body)}",
            "X-Shipyard-Delivery": delivery,
        }
    if provider == "github":
        return {
            "X-Hub-Signature-256": "sha256=" + hexmac(secret, body),
            "X-GitHub-Delivery": str(uuid.uuid4()),
            "X-GitHub-Event": event or "workflow_run",
        }
    if provider == "gitlab":
        return {
            "X-Gitlab-Token": secret,
            "X-Gitlab-Event": event or "Pipeline Hook",
            "X-Gitlab-Event-UUID": str(uuid.uuid4()),
        }
    if provider == "circleci":
        return {
            "circleci-signature": "v1=" + hexmac(secret, body),
            "circleci-event-type": event or "workflow-completed",
        }
    if provider == "buildkite":
        return {
            "X-Buildkite-Signature": f"timestamp={t},signature={hexmac(secret, f'{t}.'.encode() + body)}",
            "X-Buildkite-Event": event or "build.finished",
        }
    if provider == "generic":
        return {"Authorization": f"Bearer {secret}", "X-Shipyard-Delivery": str(uuid.uuid4())}
    raise ValueError(provider)


def as_meta(headers: dict[str, str]) -> dict[str, str]:
    """Django test-client keyword arguments for request headers."""
    return {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}


def native_body(**overrides: Any) -> bytes:
    body = {
        "run": {
            "id": f"run-{uuid.uuid4().hex[:8]}",
            "branch": "main",
            "commit": "a" * 40,
            "url": "https://ci.example/run/1",
        },
        "junit": fixture_bytes("pytest-junit.xml").decode(),
    }
    body.update(overrides)
    return json.dumps(body).encode()


def post_webhook(
    client: APIClient,
    project: str,
    body: bytes,
    headers: dict[str, str],
    content_type: str = "application/json",
    query: str = "",
) -> Any:
    url = f"/api/v1/projects/{project}/ci/webhook/" + (f"?{query}" if query else "")
    return client.generic("POST", url, body, content_type=content_type, **as_meta(headers))


@pytest.fixture
def ci_secret(world: Any) -> str:
    from shipyard.ci.services import secret_rotate

    _, secret = secret_rotate(project=world.project)
    return secret
