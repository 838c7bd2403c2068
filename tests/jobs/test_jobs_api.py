"""Jobs API without a worker: validation (400 naming the field, nothing written), scoping (404), roles, cancel, retry."""

from __future__ import annotations

from typing import Any

import pytest

from shipyard.jobs.models import Job, JobStatus
from tests.jobs.conftest import register_mlp

pytestmark = pytest.mark.django_db


def post(client: Any, body: dict[str, Any]) -> Any:
    return client.post("/api/v1/jobs/", body, format="json")


def test_create_job_fills_defaults_and_queues_it(world: Any, api_version: Any) -> None:
    res = post(
        world.client(world.teammate),
        {"project": "fraud-model", "kind": "export_onnx", "model_version": api_version.pk, "params": {"opset": 15}},
    )
    assert res.status_code == 201, res.json()
    body = res.json()
    assert (
        body["status"] == "queued" and body["progress"] == 0.0 and body["queue"] == "cpu" and body["device"] == "auto"
    )
    assert body["params"]["opset"] == 15 and body["params"]["tolerance"] == 1e-4
    assert body["model"] == {"name": "digits-mlp", "number": 1, "format": "state_dict"}
    job = Job.objects.get(pk=body["id"])
    assert job.time_limit_s == 600 and job.created_by == world.teammate
    res = post(
        world.client(world.owner),
        {"project": "fraud-model", "kind": "training_tests", "model_version": api_version.pk, "device": "cuda"},
    )
    assert res.status_code == 201 and res.json()["queue"] == "gpu"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "export_onnx"}, "project"),
        ({"kind": "rocket"}, "kind"),
        ({"kind": "export_onnx", "model_version": "abc"}, "model_version"),
        ({"kind": "export_onnx", "model_version": 999999}, "model_version"),
        ({"kind": "export_onnx", "params": {"opset": 99}}, "params.opset"),
        ({"kind": "export_onnx", "params": {"opset": "17"}}, "params.opset"),
        ({"kind": "export_onnx", "params": {"bogus": 1}}, "params.bogus"),
        ({"kind": "export_onnx", "params": [1, 2]}, "params"),
        ({"kind": "quantize", "params": {"mode": "float16"}}, "params.mode"),
        ({"kind": "prune", "params": {"target_sparsity": 1.5}}, "params.target_sparsity"),
        ({"kind": "distill", "params": {"alpha": 2}}, "params.alpha"),
        ({"kind": "distill", "params": {"student_recipe": "resnet"}}, "params.student_recipe"),
        ({"kind": "export_onnx", "params": {"opset": True}}, "params.opset"),
        ({"kind": "export_onnx", "params": {"opset": 17.0}}, "params.opset"),
        ({"kind": "export_onnx", "params": {"tolerance": "0.1"}}, "params.tolerance"),
        ({"kind": "quantize", "params": {"per_channel": 1}}, "params.per_channel"),
        ({"kind": "evaluate", "params": {"min_slice_accuracy": False}}, "params.min_slice_accuracy"),
        ({"kind": "export_onnx", "params": {"output_model": "m" * 201}}, "params.output_model"),
        ({"kind": "distill", "params": {"student_config": [32]}}, "params.student_config"),
        ({"kind": "export_onnx", "queue": "tpu"}, "queue"),
        ({"kind": "export_onnx", "device": "tpu"}, "device"),
        ({"kind": "export_onnx", "device": "cuda", "queue": "cpu"}, "queue"),
        ({"kind": "evaluate", "dataset_version": 999999}, "dataset_version"),
        ({"kind": "export_onnx", "surprise": True}, "surprise"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(
    world: Any, api_version: Any, body: dict[str, Any], field: str
) -> None:
    full = {"project": "fraud-model", "model_version": api_version.pk, **body}
    if body.get("kind") == "export_onnx" and "project" not in body and field == "project":
        full.pop("project")
    res = post(world.client(world.owner), full)
    assert res.status_code == 400, res.json()
    assert field in res.json()["error"]["fields"], res.json()
    assert Job.objects.count() == 0


def test_version_format_rules(world: Any, mlp_version: Any, tmp_path: Any) -> None:
    from shipyard.registry.selectors import artifact_path
    from shipyard.registry.versions import model_version_create
    from shipyard_ml.export import export_onnx
    from shipyard_ml.loading import ModelSource, load_torch_module
    from tests.jobs.conftest import digits_eval_rows

    module = load_torch_module(
        ModelSource(
            path=str(artifact_path(mlp_version)),
            format="state_dict",
            recipe="digits_mlp",
            recipe_config={"hidden": [64]},
        )
    )
    export_onnx(module, tmp_path / "m.onnx", digits_eval_rows(), latency_repeats=1)
    onnx_version = model_version_create(
        project=world.project, model_name="digits-onnx", artifact_file_or_path=tmp_path / "m.onnx", format="onnx"
    )
    client = world.client(world.owner)
    for kind, field in (
        ("export_onnx", "model_version"),
        ("prune", "model_version"),
        ("training_tests", "params.recipe"),
    ):
        res = post(client, {"project": "fraud-model", "kind": kind, "model_version": onnx_version.pk})
        assert res.status_code == 400 and field in res.json()["error"]["fields"], (kind, res.json())
    assert (
        post(client, {"project": "fraud-model", "kind": "quantize", "model_version": onnx_version.pk}).status_code
        == 201
    )


def test_outsider_sees_nothing(world: Any, api_version: Any) -> None:
    job = post(
        world.client(world.owner), {"project": "fraud-model", "kind": "evaluate", "model_version": api_version.pk}
    ).json()
    outsider = world.client(world.outsider)
    assert outsider.get(f"/api/v1/jobs/{job['id']}/").status_code == 404
    assert outsider.post(f"/api/v1/jobs/{job['id']}/cancel/").status_code == 404
    assert outsider.post(f"/api/v1/jobs/{job['id']}/retry/").status_code == 404
    assert outsider.get("/api/v1/jobs/").json()["results"] == []
    # their own project cannot reach our version either
    res = post(outsider, {"project": "rival-secret", "kind": "evaluate", "model_version": api_version.pk})
    assert res.status_code == 400 and "model_version" in res.json()["error"]["fields"]
    assert (
        post(outsider, {"project": "fraud-model", "kind": "evaluate", "model_version": api_version.pk}).status_code
        == 404
    )
    assert world.client(world.owner).get(f"/api/v1/jobs/{job['id']}/").status_code == 200
    assert Job.objects.count() == 1


def test_unauthenticated_is_rejected(world: Any) -> None:
    from rest_framework.test import APIClient

    assert APIClient().get("/api/v1/jobs/").status_code == 401


def test_viewer_cannot_create_or_cancel(world: Any, api_version: Any) -> None:
    from tests.factories import MembershipFactory, UserFactory

    viewer = UserFactory()
    MembershipFactory(user=viewer, team=world.team, role="viewer")
    job = post(
        world.client(world.owner), {"project": "fraud-model", "kind": "evaluate", "model_version": api_version.pk}
    ).json()
    client = world.client(viewer)
    assert (
        post(client, {"project": "fraud-model", "kind": "evaluate", "model_version": api_version.pk}).status_code == 403
    )
    assert client.post(f"/api/v1/jobs/{job['id']}/cancel/").status_code == 403
    assert client.get(f"/api/v1/jobs/{job['id']}/").status_code == 200


def test_list_filters_by_kind_status_and_project(world: Any, api_version: Any, mlp_weights: Any) -> None:
    client = world.client(world.owner)
    a = post(client, {"project": "fraud-model", "kind": "evaluate", "model_version": api_version.pk}).json()
    b = post(client, {"project": "fraud-model", "kind": "export_onnx", "model_version": api_version.pk}).json()
    Job.objects.filter(pk=b["id"]).update(status=JobStatus.FAILED)
    other = register_mlp(world.other_project, mlp_weights)
    post(world.client(world.outsider), {"project": "rival-secret", "kind": "evaluate", "model_version": other.pk})

    def ids(query: str) -> list[int]:
        return [j["id"] for j in client.get(f"/api/v1/jobs/{query}").json()["results"]]

    assert ids("") == [b["id"], a["id"]]
    assert ids("?kind=evaluate") == [a["id"]]
    assert ids("?status=failed") == [b["id"]]
    assert ids("?status=queued,failed&kind=evaluate,export_onnx") == [b["id"], a["id"]]
    assert ids("?project=fraud-model") == [b["id"], a["id"]]
    assert ids("?project=rival-secret") == []
    assert ids(f"?model_version={api_version.pk}") == [b["id"], a["id"]]
    assert ids("?team=acme") == [b["id"], a["id"]]
    # a member of both teams narrows to one team; a team the caller is not in shows nothing
    from tests.factories import MembershipFactory

    MembershipFactory(user=world.owner, team=world.other_team, role="viewer")
    assert len(ids("")) == 3
    assert ids("?team=acme") == [b["id"], a["id"]]
    assert len(ids("?team=rival")) == 1
    assert [j["id"] for j in world.client(world.teammate).get("/api/v1/jobs/?team=rival").json()["results"]] == []


def test_cancel_and_retry(world: Any, api_version: Any) -> None:
    client = world.client(world.teammate)
    job = post(client, {"project": "fraud-model", "kind": "evaluate", "model_version": api_version.pk}).json()
    assert client.post(f"/api/v1/jobs/{job['id']}/retry/").status_code == 409
    res = client.post(f"/api/v1/jobs/{job['id']}/cancel/")
    assert res.status_code == 200 and res.json()["status"] == "cancelled" and res.json()["finished_at"]
    again = client.post(f"/api/v1/jobs/{job['id']}/cancel/")
    assert again.status_code == 409 and again.json()["error"]["code"]
    retry = client.post(f"/api/v1/jobs/{job['id']}/retry/")
    assert retry.status_code == 201 and retry.json()["retry_of"] == job["id"] and retry.json()["status"] == "queued"
    # a running job is asked to stop; the worker finishes it as cancelled
    Job.objects.filter(pk=retry.json()["id"]).update(status=JobStatus.RUNNING)
    res = client.post(f"/api/v1/jobs/{retry.json()['id']}/cancel/")
    assert res.status_code == 200 and res.json()["status"] == "running" and res.json()["cancel_requested"] is True


def test_web_process_never_imports_torch() -> None:
    import subprocess
    import sys

    code = (
        "import django, os, sys; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'shipyard.config.settings.test'); django.setup();"
        "import shipyard.config.urls, shipyard.jobs.api.views, shipyard.jobs.services, shipyard.jobs.tasks;"
        "bad = [m for m in ('torch', 'onnxruntime', 'shipyard_ml.recipes') if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)"
    )
    from tests.conftest import worker_env

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=worker_env(), timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
