"""Push-to-deploy API: the policy's refusals (403/409 naming the rule, nothing stored), idempotent pushes,
scoping and roles, and the rollout's steps (gate, canary, promotion, rollback) as a service."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shipyard.jobs.models import Job, JobStatus
from shipyard.registry.models import ModelVersion
from shipyard.releases.models import Push, PushPolicy, PushStatus
from shipyard.releases.services import push_advance
from shipyard.serving.models import Deployment, DeploymentEvent
from tests.releases.conftest import COMMIT, OTHER_COMMIT, ci_run, make_deployment

pytestmark = pytest.mark.django_db

URL = "/api/v1/projects/fraud-model/deployments/digits/pushes/"


def push(client: Any, path: Path, **fields: Any) -> Any:
    body = {"model": "digits", "format": "onnx", "commit": COMMIT, "branch": "main", **fields}
    with path.open("rb") as fh:
        return client.post(URL, {**body, "artifact": fh}, format="multipart")


@pytest.fixture
def deployment(world: Any, artifacts: dict[str, Any]) -> Deployment:
    return make_deployment(world.project, artifacts, world.owner, quality_threshold=0.8, quality_tolerance=0.05)


def _nothing_stored(before_versions: int) -> None:
    assert ModelVersion.objects.count() == before_versions
    assert not Push.objects.exists() and not Job.objects.exists()


@pytest.mark.parametrize(
    "setup,fields,status,rule",
    [
        ({"enabled": False}, {}, 403, "enabled"),
        ({"allowed_models": ["other"]}, {}, 403, "model"),
        ({}, {"branch": "feature/x"}, 403, "branch"),
        ({"default_branch": "release"}, {}, 403, "branch"),
        ({}, {"commit": OTHER_COMMIT}, 409, "ci_run"),
        ({}, {"ci_run": "run-missing"}, 409, "ci_run"),
    ],
)
def test_policy_refuses_and_stores_nothing(
    world: Any,
    artifacts: dict[str, Any],
    deployment: Deployment,
    setup: dict[str, Any],
    fields: dict[str, Any],
    status: int,
    rule: str,
) -> None:
    ci_run(world.project)
    PushPolicy.objects.create(deployment=deployment, **setup)
    before = ModelVersion.objects.count()
    res = push(world.client(world.owner), artifacts["b"], **fields)
    assert res.status_code == status, res.content
    error = res.json()["error"]
    assert error["code"] in ("push_refused", "ci_pending") and rule in error["fields"], error
    _nothing_stored(before)


def test_failing_ci_run_refuses(world: Any, artifacts: dict[str, Any], deployment: Deployment) -> None:
    ci_run(world.project, status="failed")
    before = ModelVersion.objects.count()
    res = push(world.client(world.owner), artifacts["b"])
    assert res.status_code == 409
    assert res.json()["error"]["code"] == "push_refused"  # final: the CLI does not wait for it to change
    assert "is failed, not passed" in res.json()["error"]["message"]
    _nothing_stored(before)


def test_model_of_another_deployment_is_refused(world: Any, artifacts: dict[str, Any], deployment: Deployment) -> None:
    ci_run(world.project)
    PushPolicy.objects.create(deployment=deployment, allowed_models=["digits", "other"])
    res = push(world.client(world.owner), artifacts["b"], model="other")
    assert res.status_code == 409 and "model" in res.json()["error"]["fields"]


def test_push_registers_version_with_links_and_is_idempotent(
    world: Any, artifacts: dict[str, Any], deployment: Deployment
) -> None:
    run = ci_run(world.project)
    client = world.client(world.owner)
    first = push(client, artifacts["b"], ci_url="https://ci.example.com/runs/run-1")
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["status"] == "evaluating" and body["version"] == 2 and body["final"] is False
    assert body["ci_run"] == {"id": run.pk, "external_id": "run-1", "status": "passed", "url": run.url}
    assert body["deployment_url"] == "/deployments/fraud-model/digits"
    version = ModelVersion.objects.get(model__name="digits", number=2)
    assert version.git_commit == COMMIT
    assert version.tags == {"branch": "main", "ci_run": "run-1", "ci_url": "https://ci.example.com/runs/run-1"}
    job = Job.objects.get()
    assert job.kind == "evaluate" and job.model_version_id == version.pk and body["evaluate_job"] == job.pk

    again = push(client, artifacts["b"])
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert ModelVersion.objects.filter(model__name="digits").count() == 2
    assert Push.objects.count() == 1 and Job.objects.count() == 1

    listed = client.get(URL).json()["results"]
    assert [p["id"] for p in listed] == [body["id"]]
    assert client.get(f"{URL}{body['id']}/").json()["commit"] == COMMIT


def test_scoping_and_roles(world: Any, artifacts: dict[str, Any], deployment: Deployment) -> None:
    ci_run(world.project)
    assert push(world.client(world.outsider), artifacts["b"]).status_code == 404
    assert world.client(world.outsider).get(URL).status_code == 404
    member = push(world.client(world.teammate), artifacts["b"])
    assert member.status_code == 403
    assert world.client(world.teammate).get(URL).status_code == 200
    assert not Push.objects.exists()


@pytest.mark.parametrize(
    "fields,field",
    [
        ({"commit": "not-hex!"}, "commit"),
        ({"commit": ""}, "commit"),
        ({"format": "state_dict"}, "format"),
        ({"format": "pickle"}, "format"),
        ({"dataset": "nope:1"}, "dataset"),
        ({"ci_url": "javascript:alert(1)"}, "ci_url"),
        ({"surprise": "1"}, "surprise"),
    ],
)
def test_bad_input_names_the_field(
    world: Any, artifacts: dict[str, Any], deployment: Deployment, fields: dict[str, Any], field: str
) -> None:
    ci_run(world.project)
    before = ModelVersion.objects.count()
    res = push(world.client(world.owner), artifacts["b"], **fields)
    assert res.status_code == 400, res.content
    assert field in res.json()["error"]["fields"], res.json()
    _nothing_stored(before)


def test_policy_api(world: Any, deployment: Deployment) -> None:
    url = "/api/v1/projects/fraud-model/deployments/digits/push-policy/"
    client = world.client(world.owner)
    got = client.get(url).json()
    assert got["default_branch_only"] is True and got["require_ci_pass"] is True
    assert got["effective_default_branch"] == "main"
    changed = client.patch(url, {"default_branch": "release", "canary_weight": 25}, format="json")
    assert changed.status_code == 200 and changed.json()["effective_default_branch"] == "release"
    assert PushPolicy.objects.get(deployment=deployment).canary_weight == 25
    assert client.patch(url, {"canary_weight": 0}, format="json").json()["error"]["fields"].keys() == {"canary_weight"}
    assert client.patch(url, {"allowed_models": "digits"}, format="json").status_code == 400
    assert world.client(world.teammate).patch(url, {"enabled": False}, format="json").status_code == 403
    assert world.client(world.outsider).get(url).status_code == 404


def _evaluated(push_row: Push, accuracy: float) -> None:
    """The evaluate job as a worker finishes it (the live test runs the real one)."""
    Job.objects.filter(pk=push_row.evaluate_job_id).update(
        status=JobStatus.SUCCEEDED, passed=True, result={"metrics": {"accuracy": accuracy}, "passed": True}
    )


def _pushed(world: Any, artifacts: dict[str, Any], name: str = "b") -> Push:
    res = push(world.client(world.owner), artifacts[name])
    assert res.status_code == 201, res.content
    return Push.objects.get(pk=res.json()["id"])


def test_rollout_gate_pass_canary_then_promotion(world: Any, artifacts: dict[str, Any], deployment: Deployment) -> None:
    from shipyard.serving.lifecycle import deployment_promote

    ci_run(world.project)
    p = _pushed(world, artifacts)
    assert push_advance(push_id=p.pk).status == PushStatus.EVALUATING  # job still queued
    _evaluated(p, 0.97)
    p = push_advance(push_id=p.pk)
    assert p.status == PushStatus.CANARY and p.gate["passed"] is True
    deployment.refresh_from_db()
    assert deployment.canary_version_id == p.version_id and deployment.canary_weight == 10
    assert push_advance(push_id=p.pk).status == PushStatus.CANARY  # safe to run twice
    assert DeploymentEvent.objects.filter(kind="canary").count() == 1
    deployment_promote(deployment=deployment, by=None, reason="Canary analysis: passed 1 consecutive intervals")
    p = push_advance(push_id=p.pk)
    assert p.status == PushStatus.PROMOTED and p.finished_at is not None
    assert "passed 1 consecutive intervals" in p.message


def test_rollout_gate_failure_deploys_nothing(world: Any, artifacts: dict[str, Any], deployment: Deployment) -> None:
    ci_run(world.project)
    p = _pushed(world, artifacts)
    _evaluated(p, 0.5)
    p = push_advance(push_id=p.pk)
    assert p.status == PushStatus.GATE_FAILED and "does not meet the threshold" in p.message
    deployment.refresh_from_db()
    assert deployment.canary_version_id is None and deployment.live_version.number == 1
    assert not DeploymentEvent.objects.filter(kind="canary").exists()


def test_rollout_rollback_and_failed_evaluation(world: Any, artifacts: dict[str, Any], deployment: Deployment) -> None:
    from shipyard.serving.lifecycle import deployment_rollback

    ci_run(world.project)
    p = _pushed(world, artifacts)
    _evaluated(p, 0.97)
    push_advance(push_id=p.pk)
    deployment_rollback(
        deployment=deployment, by=None, automatic=True, reason="Canary analysis: quality 0.1 vs live 0.9"
    )
    p = push_advance(push_id=p.pk)
    assert p.status == PushStatus.ROLLED_BACK and "quality 0.1 vs live 0.9" in p.message

    p2 = _pushed(world, artifacts, "skewed")
    Job.objects.filter(pk=p2.evaluate_job_id).update(status=JobStatus.FAILED, message="ValueError: no data")
    p2 = push_advance(push_id=p2.pk)
    assert p2.status == PushStatus.FAILED and "no data" in p2.message
