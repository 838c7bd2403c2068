"""`shipyard push` end to end against a live stack: gunicorn web, a serving worker, a Celery worker
(evaluate jobs, canary analysis, push rollouts), Redis and Postgres. One push ends in promotion; one
whose model expects preprocessed pixels (it passes its offline evaluation on preprocessed data, and
users' corrections show it wrong on the raw pixels clients send) ends in an automatic rollback; pushing the first artifact
again is the same version and the same rollout."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from rest_framework.authtoken.models import Token

from shipyard.releases.models import Push, PushPolicy
from shipyard.serving import drain
from shipyard.serving.models import Deployment, DeploymentEvent
from tests.conftest import REPO_ROOT, worker_env
from tests.releases.conftest import COMMIT, OTHER_COMMIT, ci_run, make_dataset, make_deployment
from tests.serving.conftest import start_serving_worker, start_web

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CANARY_SETTINGS = {
    "quality_threshold": 0.8,
    "quality_tolerance": 0.1,
    "canary_interval_s": 10,
    "canary_breach_intervals": 1,
    "canary_window_intervals": 1,
    "canary_min_requests": 10,
    "canary_auto_promote": True,
    "canary_max_quality_drop": 0.2,
    "canary_max_p99_ratio": 100.0,  # this test is about quality; latency on a shared machine is noise
    "canary_max_error_rate_delta": 0.5,
}


@pytest.fixture(scope="module")
def stack(django_db_setup: Any, django_db_blocker: Any, celery_worker: Any) -> Any:
    import redis
    from django.conf import settings

    r = redis.Redis.from_url(settings.REDIS_URL)
    worker = start_serving_worker("serving-push", r)
    web, url = start_web(threads=8)
    yield {"url": url, "redis": r, "celery": celery_worker}
    web.stop()
    worker.stop()


def cli_push(url: str, token: str, artifact: Path, *args: str) -> subprocess.Popen[str]:
    env = {**worker_env(), "SHIPYARD_TOKEN": token}
    for name in ("GITHUB_SHA", "CI_COMMIT_SHA", "CIRCLE_SHA1", "BUILDKITE_COMMIT", "GIT_COMMIT"):
        env.pop(name, None)
    cmd = [sys.executable, "-m", "shipyard.client.cli", "--url", url, "push", str(artifact)]
    cmd += ["-p", "fraud-model", "-m", "digits", "-d", "digits", "--branch", "main", "--interval", "0.5"]
    return subprocess.Popen(
        [*cmd, "--timeout", "240", *args],
        env=env,
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def drive_canary(stack: Any, token: str, proc: subprocess.Popen[str], version: int) -> None:
    """While the CLI follows the rollout: once `version` is the canary, send traffic, the users' true
    labels as feedback, and ask the Celery worker for a canary analysis (what beat does every 15 s)."""
    from sklearn.datasets import load_digits

    from shipyard.serving.tasks import canary_analysis

    x, y = load_digits(return_X_y=True)
    serve = f"{stack['url']}/serve/fraud-model/digits"
    headers = {"Authorization": f"Token {token}"}
    session = requests.Session()
    deadline = time.monotonic() + 240
    offset = 0
    while proc.poll() is None and time.monotonic() < deadline:
        d = Deployment.objects.select_related("canary_version").get(name="digits")
        if d.canary_version is None or d.canary_version.number != version or d.canary_weight == 0:
            time.sleep(0.5)
            continue
        sent = []
        for i in range(offset, offset + 60):
            res = session.post(f"{serve}/predict", json={"inputs": [x[i].tolist()]}, headers=headers, timeout=30)
            assert res.status_code == 200, res.text
            sent.append((res.json()["request_ids"][0], int(y[i])))
        offset += 60
        time.sleep(1.5)  # the web process flushes its counters and sampled log every second
        drain.drain_stats(stack["redis"])
        drain.drain_prediction_log(stack["redis"])
        for request_id, label in sent:
            res = session.post(f"{serve}/feedback", json={"request_id": request_id, "label": label}, headers=headers)
            assert res.status_code in (200, 201), res.text
        canary_analysis.delay()
        time.sleep(4)


def finish(proc: subprocess.Popen[str]) -> tuple[int, str]:
    out, _ = proc.communicate(timeout=60)
    return proc.returncode, out


def test_push_promotes_then_a_skewed_push_rolls_back(
    stack: Any, world: Any, artifacts: dict[str, Any], digits_csvs: dict[str, Path]
) -> None:
    make_deployment(world.project, artifacts, world.owner, **CANARY_SETTINGS)
    deployment = Deployment.objects.get(name="digits")
    PushPolicy.objects.create(deployment=deployment, canary_weight=50)
    make_dataset(world.project, digits_csvs["raw"], "digits-raw")
    make_dataset(world.project, digits_csvs["scaled"], "digits-scaled")
    ci_run(world.project, commit=COMMIT, external_id="run-1")
    ci_run(world.project, commit=OTHER_COMMIT, external_id="run-2")
    token = Token.objects.create(user=world.owner).key
    url = stack["url"]

    # 1. a good model: evaluated, gated, canaried at 50 %, promoted by the canary analysis
    proc = cli_push(url, token, artifacts["b"], "--commit", COMMIT, "--ci-run", "run-1", "--dataset", "digits-raw:1")
    drive_canary(stack, token, proc, version=2)
    code, out = finish(proc)
    assert code == 0, out
    assert "promoted: v2 promoted" in out and f"deployment: {url}/deployments/fraud-model/digits" in out, out
    assert "[canary]" in out and "passes the gate" in out, out
    deployment.refresh_from_db()
    assert deployment.live_version.number == 2 and deployment.live_version.git_commit == COMMIT

    # 2. a model that evaluates well on preprocessed pixels but is served raw ones: rolled back automatically
    proc = cli_push(
        url, token, artifacts["skewed"], "--commit", OTHER_COMMIT, "--ci-run", "run-2", "--dataset", "digits-scaled:1"
    )
    drive_canary(stack, token, proc, version=3)
    code, out = finish(proc)
    assert code == 4, out
    assert "rolled back: v3 rolled back: Canary analysis" in out and "quality" in out, out
    deployment.refresh_from_db()
    assert deployment.live_version.number == 2 and deployment.canary_weight == 0
    assert DeploymentEvent.objects.filter(deployment=deployment, kind="auto_rollback", from_version__number=3).exists()

    # 3. the first artifact again: the same version and the same (finished) rollout, no new canary
    code, out = finish(cli_push(url, token, artifacts["b"], "--commit", COMMIT, "--ci-run", "run-1"))
    assert code == 0 and "v2" in out, out
    assert Push.objects.filter(version__number=2).count() == 1
    assert DeploymentEvent.objects.filter(deployment=deployment, kind="canary", to_version__number=2).count() == 1
    assert [p.status for p in Push.objects.order_by("id")] == ["promoted", "rolled_back"]


def test_refused_push_exits_non_zero_and_deploys_nothing(stack: Any, world: Any, artifacts: dict[str, Any]) -> None:
    make_deployment(world.project, artifacts, world.owner)
    token = Token.objects.create(user=world.owner).key
    proc = cli_push(stack["url"], token, artifacts["b"], "--commit", COMMIT, "--no-wait", "--ci-wait", "0")
    code, out = finish(proc)
    assert code == 1, out
    assert "require_ci_pass" in out and "HTTP 409, ci_pending" in out, out
    assert not Push.objects.exists()
