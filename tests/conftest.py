"""Shared fixtures: real PostgreSQL and Redis, the three-user world, a real Celery worker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.factories import PASSWORD, MembershipFactory, ProjectFactory, TeamFactory, UserFactory

REPO_ROOT = Path(__file__).resolve().parents[1]


def _flush_retrying_deadlocks() -> None:
    """A transactional test ends with TRUNCATE of every table. A task the session's worker picked
    up from that test (a PII scan on an upload, a job's follow-up) may still hold a read lock and
    ask for another: PostgreSQL then breaks the deadlock by failing one side, sometimes the
    TRUNCATE. The task's transaction finishes either way, so the flush is tried again."""
    from django.test import testcases

    original = testcases.TransactionTestCase._fixture_teardown

    def _fixture_teardown(self: Any) -> None:
        for attempt in range(6):
            try:
                return original(self)
            except Exception as exc:
                cause = exc.__cause__ or exc
                if "deadlock detected" not in str(cause) or attempt == 5:
                    raise
                time.sleep(0.25 * (attempt + 1))

    testcases.TransactionTestCase._fixture_teardown = _fixture_teardown  # type: ignore[method-assign]


_flush_retrying_deadlocks()


@dataclass
class World:
    """owner (admin of team `acme`), teammate (member of `acme`), outsider (admin of `rival`)."""

    owner: Any
    teammate: Any
    outsider: Any
    team: Any
    other_team: Any
    project: Any
    other_project: Any

    def client(self, user: Any) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client


@pytest.fixture
def world(db: Any) -> World:
    team, other_team = TeamFactory(slug="acme", name="Acme"), TeamFactory(slug="rival", name="Rival")
    owner, teammate, outsider = (
        UserFactory(username="owner"),
        UserFactory(username="teammate"),
        UserFactory(username="outsider"),
    )
    MembershipFactory(user=owner, team=team, role="admin")
    MembershipFactory(user=teammate, team=team, role="member")
    MembershipFactory(user=outsider, team=other_team, role="admin")
    project = ProjectFactory(team=team, slug="fraud-model", name="Fraud model")
    other_project = ProjectFactory(team=other_team, slug="rival-secret", name="Rival secret")
    return World(owner, teammate, outsider, team, other_team, project, other_project)


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def redis_client(settings: Any) -> Any:
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()


def _test_database_url() -> str:
    from django.conf import settings

    db = settings.DATABASES["default"]
    host = db["HOST"]
    if host.startswith("/"):
        return f"postgresql://{db['USER']}:{db['PASSWORD']}@/{db['NAME']}?host={host}"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgresql://{db['USER']}:{db['PASSWORD']}@{host}{port}/{db['NAME']}"


def worker_env() -> dict[str, str]:
    from django.conf import settings

    env = dict(os.environ)
    env.update(
        DATABASE_URL=_test_database_url(),
        REDIS_URL=settings.REDIS_URL,
        DJANGO_SETTINGS_MODULE="shipyard.config.settings.test",
        PYTHONPATH=os.pathsep.join([str(REPO_ROOT / "platform"), str(REPO_ROOT / "workers"), str(REPO_ROOT)]),
        PYTHONUNBUFFERED="1",
        LOG_FORMAT="text",
        OUTBOUND_ALLOW_PRIVATE="1",  # test webhook receivers listen on 127.0.0.1
    )
    return env


class WorkerProcess:
    def __init__(self, queues: str, name: str) -> None:
        self.queues, self.name = queues, name
        self.log_path = REPO_ROOT / "var" / "test-logs" / f"worker-{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        from shipyard.core import heartbeat
        from shipyard.core.redis import client

        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.hostname = f"{self.name}-{uuid.uuid4().hex[:6]}@test"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "shipyard.config",
                "worker",
                "-Q",
                self.queues,
                "-n",
                self.hostname,
                "--concurrency",
                "1",
                "--pool",
                "prefork",
                "--without-gossip",
                "--without-mingle",
                "-l",
                "info",
            ],
            env=worker_env(),
            cwd=REPO_ROOT,
            stdout=self.log_path.open("wb"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if any(w["hostname"] == self.hostname for w in heartbeat.live_workers(client())):
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"worker {self.name} did not start:\n{self.log_path.read_text()[-4000:]}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture(scope="session")
def celery_worker(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """A real Celery worker process on the cpu, gpu and monitoring queues, against the test database."""
    worker = WorkerProcess("cpu,gpu,monitoring", "cpu").start()
    yield worker
    worker.stop()
