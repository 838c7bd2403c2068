"""Explanations (POST /serve/{p}/{d}/explain) and replays through a real Celery worker: Captum's
Integrated Gradients with its completeness check on a PyTorch version, KernelSHAP on an ONNX version
(and as the fallback for a module without gradients), a logged request explained and replayed on
another version, and the bad input around them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shipyard.rubric.models import Evidence
from tests.debugging.conftest import MLP_CONFIG, dataset, deploy, digits_rows, log, predicted, serve_client

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _explain(user: Any, body: dict[str, Any], name: str = "digits") -> Any:
    return serve_client(user).post(f"/serve/fraud-model/{name}/explain", body, format="json")


def test_pytorch_version_integrated_gradients_complete(
    world: Any, celery_worker: Any, mlp_weights: Path, digits_csv: Path
) -> None:
    dv = dataset(world.project, digits_csv)
    _, version = deploy(
        world.project,
        mlp_weights,
        "state_dict",
        name="digits",
        training=dv,
        recipe="digits_mlp",
        recipe_config=MLP_CONFIG,
    )
    rows = digits_rows(3)
    res = _explain(world.owner, {"inputs": rows})
    assert res.status_code == 200, res.json()
    body = res.json()
    e = body["explanation"]
    assert body["model_version"] == version.number and e["method"] == "integrated_gradients"
    assert e["fallback_reason"] == "" and e["output_kind"] == "logit" and e["image_shape"] == [8, 8]
    assert e["feature_names"][:2] == ["pixel_0", "pixel_1"] and len(e["rows"]) == 3
    assert [r["predicted_class"] for r in e["rows"]] == predicted(mlp_weights, rows)
    for r in e["rows"]:
        assert len(r["attributions"]) == 64
        delta = r["output"] - r["baseline_output"]
        # completeness, checked here from the numbers the API returns: sum = f(x) - f(baseline) within 1 %
        assert abs(sum(r["attributions"]) - delta) <= 0.01 * abs(delta)
    assert e["completeness_passed"] and e["max_completeness_error"] <= 0.01
    ev = Evidence.objects.get(project=world.project, test_id="infra-5", key__startswith="job:explain:")
    assert ev.passed and "integrated gradients" in ev.title


def test_onnx_version_kernel_shap_by_request_id_and_replay(
    world: Any, celery_worker: Any, mlp_weights: Path, mlp_onnx: Path, digits_csv: Path
) -> None:
    dv = dataset(world.project, digits_csv)
    d, torch_v = deploy(
        world.project,
        mlp_weights,
        "state_dict",
        name="digits",
        training=dv,
        recipe="digits_mlp",
        recipe_config=MLP_CONFIG,
    )
    _, onnx_v = deploy(world.project, mlp_onnx, "onnx", name="digits", training=dv)
    rows = digits_rows(4, start=10)
    ids = log(d, onnx_v, rows, [(p + 1) % 10 if i == 0 else p for i, p in enumerate(predicted(mlp_onnx, rows))])

    res = _explain(world.teammate, {"request_id": ids[1], "nsamples": 256})
    assert res.status_code == 200, res.json()
    e = res.json()["explanation"]
    assert e["method"] == "kernel_shap" and e["output_kind"] == "probability" and e["version"] == onnx_v.number
    row = e["rows"][0]
    assert row["request_id"] == ids[1] and row["predicted_class"] == predicted(mlp_onnx, rows[1:2])[0]
    # SHAP's efficiency: the values sum to f(x) - E[f(background)]
    assert abs(row["attribution_sum"] - (row["output"] - row["baseline_output"])) <= 0.01 * abs(
        row["output"] - row["baseline_output"]
    )

    # replay the logged requests (served by the ONNX version) on the PyTorch version: side by side
    url = "/api/v1/projects/fraud-model/deployments/digits/replay/"
    res = world.client(world.teammate).post(url, {"request_ids": ids, "version": torch_v.number}, format="json")
    assert res.status_code == 200, res.json()
    replay = res.json()["replay"]
    assert replay["version"] == torch_v.number and [r["request_id"] for r in replay["rows"]] == ids
    assert all(r["original_version"] == onnx_v.number for r in replay["rows"])
    # the first logged output was altered: the replay disagrees there and agrees elsewhere
    assert [r["agrees"] for r in replay["rows"]] == [False, True, True, True]
    assert replay["agreement"] == 0.75
    assert [r["replay_output"] for r in replay["rows"]] == predicted(mlp_weights, rows)
    assert Evidence.objects.filter(project=world.project, test_id="infra-5", key__startswith="job:replay:").exists()

    # the predictions list shows what can be explained and replayed
    listed = world.client(world.owner).get("/api/v1/projects/fraud-model/deployments/digits/predictions/?limit=2")
    assert listed.status_code == 200 and len(listed.json()["results"]) == 2
    assert listed.json()["results"][0]["version"] == onnx_v.number


def test_module_without_gradients_falls_back_to_kernel_shap(
    world: Any, celery_worker: Any, no_grad_torchscript: Path, digits_csv: Path
) -> None:
    dv = dataset(world.project, digits_csv)
    deploy(world.project, no_grad_torchscript, "torchscript", name="digits", training=dv)
    res = _explain(world.owner, {"inputs": digits_rows(1), "nsamples": 128})
    assert res.status_code == 200, res.json()
    e = res.json()["explanation"]
    assert e["method"] == "kernel_shap"
    assert "Integrated Gradients could not run" in e["fallback_reason"]
    # asking for Integrated Gradients explicitly on it: a 422 that says why
    res = _explain(world.owner, {"inputs": digits_rows(1), "method": "integrated_gradients"})
    assert res.status_code == 422
    assert "no usable gradients" in res.json()["error"]["message"]
