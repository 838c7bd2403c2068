"""Feedback (POST /serve/{p}/{d}/feedback) and the flywheel dashboard and dataset export."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pytest

from shipyard.monitoring import feedback, selectors
from shipyard.monitoring.models import Feedback, FlywheelExport
from tests.monitoring.conftest import log_predictions, make_setup

pytestmark = pytest.mark.django_db

RNG = np.random.default_rng(9)


def serve_client(user: Any) -> Any:
    """/serve is outside DRF: callers send a real token (or the deployment's API key)."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def _setup(world: Any, tmp_path: Any, n: int = 40) -> tuple[Any, list[str]]:
    d = make_setup(world.project, tmp_path, slices=[{"name": "high_f0", "filter": "f0 > 0"}])
    confidence = [0.95 if i % 4 else 0.5 for i in range(n)]
    ids = log_predictions(d, RNG.normal(size=(n, 4)), outputs=[1] * n, confidence=confidence)
    return d, ids


def test_feedback_idempotent_and_correction(world: Any, tmp_path: Any) -> None:
    d, ids = _setup(world, tmp_path)
    client = serve_client(world.owner)
    url = f"/serve/fraud-model/{d.name}/feedback"
    first = client.post(url, {"request_id": ids[1], "label": 2}, format="json")
    assert first.status_code == 201, first.content
    assert first.json() == {"request_id": ids[1], "label": 2, "prediction": 1, "correct": False, "created": True}
    again = client.post(url, {"request_id": ids[1], "label": 2}, format="json")
    assert again.status_code == 200 and again.json()["created"] is False
    assert Feedback.objects.filter(request_id=ids[1]).count() == 1
    confirm = client.post(url, {"request_id": ids[1], "label": 1}, format="json")
    assert confirm.json()["correct"] is True
    assert Feedback.objects.get(request_id=ids[1]).correct is True


def test_feedback_with_api_key(world: Any, tmp_path: Any) -> None:
    from rest_framework.test import APIClient

    from shipyard.serving.models import ApiKey

    d, ids = _setup(world, tmp_path)
    ApiKey.objects.create(deployment=d, name="app", prefix="k", key_hash=hashlib.sha256(b"secret-key").hexdigest())
    client = APIClient()
    url = f"/serve/fraud-model/{d.name}/feedback"
    ok = client.post(url, {"request_id": ids[0], "label": 1}, format="json", HTTP_X_API_KEY="secret-key")
    assert ok.status_code == 201
    bad = client.post(url, {"request_id": ids[0], "label": 1}, format="json", HTTP_X_API_KEY="wrong")
    assert bad.status_code == 401
    assert client.post(url, {"request_id": ids[0], "label": 1}, format="json").status_code == 401


@pytest.mark.parametrize(
    "body,status,field",
    [
        ({"request_id": "nope", "label": 1}, 404, None),
        ({"request_id": "r-0", "label": "cat"}, 400, "label"),
        ({"request_id": "r-0", "label": 1.5}, 400, "label"),
        ({"request_id": "r-0", "label": True}, 400, "label"),
        ({"request_id": "r-0", "label": None}, 400, "label"),
        ({"request_id": "r-0"}, 400, "label"),
        ({"label": 1}, 400, "request_id"),
        ({"request_id": 5, "label": 1}, 400, "request_id"),
        ({"request_id": "r-0", "label": 1, "x": 1}, 400, "x"),
    ],
)
def test_feedback_bad_input(world: Any, tmp_path: Any, body: dict, status: int, field: str | None) -> None:
    d, _ = _setup(world, tmp_path, n=3)
    response = serve_client(world.owner).post(f"/serve/fraud-model/{d.name}/feedback", body, format="json")
    assert response.status_code == status
    if field:
        assert field in response.json()["error"]["fields"]
    assert not Feedback.objects.exists()


def test_feedback_other_team_is_404(world: Any, tmp_path: Any) -> None:
    d, ids = _setup(world, tmp_path, n=3)
    other = make_setup(world.other_project, tmp_path / "other", name="rivalmodel")
    log_predictions(other, RNG.normal(size=(2, 4)), prefix="x")
    outsider = serve_client(world.outsider)
    assert (
        outsider.post(
            f"/serve/fraud-model/{d.name}/feedback", {"request_id": ids[0], "label": 1}, format="json"
        ).status_code
        == 404
    )
    # Another deployment's request id, even one the caller may see, is unknown here.
    owner = serve_client(world.owner)
    assert (
        owner.post(
            f"/serve/fraud-model/{d.name}/feedback", {"request_id": "x-0", "label": 1}, format="json"
        ).status_code
        == 404
    )
    assert (
        owner.post(
            f"/serve/rival-secret/{other.name}/feedback", {"request_id": "x-0", "label": 1}, format="json"
        ).status_code
        == 404
    )
    assert not Feedback.objects.exists()


def test_flywheel_dashboard_and_export(world: Any, tmp_path: Any) -> None:
    import pandas as pd

    from shipyard.registry.selectors import dataset_path

    d, ids = _setup(world, tmp_path)
    for i, rid in enumerate(ids[:12]):
        feedback.feedback_submit(deployment=d, request_id=rid, label=1 if i % 3 else 2)  # 4 corrections
    client = world.client(world.teammate)
    data = client.get(f"/api/v1/projects/fraud-model/deployments/{d.name}/flywheel/").json()
    assert data["predictions"] == 40
    assert data["confident"] == 30
    assert data["pct_confident"] == pytest.approx(75.0)
    # corrections among confident predictions: ids 3, 6, 9 (i % 3 == 0) minus id 0 (confidence 0.5)
    assert data["corrected"] == 3
    assert data["pct_corrected_of_confident"] == pytest.approx(10.0)
    assert sum(r["mistakes"] for r in data["daily"]) == 4
    assert data["daily"][0]["predictions"] > 0
    assert data["mistakes_total"] == 4
    assert {m["label"] for m in data["mistakes"]} == {2} and {m["prediction"] for m in data["mistakes"]} == {1}
    assert data["slices"] == ["high_f0"]
    sliced = client.get(f"/api/v1/projects/fraud-model/deployments/{d.name}/flywheel/?slice=high_f0").json()
    expected = sum(1 for m in data["mistakes"] if m["inputs"][0] > 0)
    assert sliced["mistakes_total"] == expected
    assert client.get(f"/api/v1/projects/fraud-model/deployments/{d.name}/flywheel/?slice=nope").status_code == 400
    assert client.get(f"/api/v1/projects/fraud-model/deployments/{d.name}/flywheel/?days=0").status_code == 400

    assert data["target"] == {
        "dataset": d.live_version.training_dataset.dataset.name,
        "base_version": 1,
        "next_version": 2,
    }
    assert data["duplicates_total"] == 0 and all(m["duplicate_of"] is None for m in data["mistakes"])
    response = client.post(f"/api/v1/projects/fraud-model/deployments/{d.name}/flywheel/export/", {}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["examples"] == 4 and body["parent_version"] == 1 and body["version"] == 2
    export = FlywheelExport.objects.get()
    new = export.dataset_version
    assert new.parent_id == d.live_version.training_dataset_id  # lineage
    assert new.row_count == 3000 + 4
    frame = pd.read_parquet(dataset_path(new))
    added = frame.tail(4)
    assert list(added["label"]) == [2, 2, 2, 2]
    mistakes = {tuple(np.round(m["inputs"], 6)) for m in data["mistakes"]}
    assert {tuple(np.round(r, 6)) for r in added[["f0", "f1", "f2", "f3"]].to_numpy()} == mistakes
    # Rows already added leave the mistakes list: nothing is added twice.
    after = selectors.flywheel(deployment=d)
    assert after["mistakes_total"] == 0 and after["target"]["next_version"] == 3
    again = client.post(f"/api/v1/projects/fraud-model/deployments/{d.name}/flywheel/export/", {}, format="json")
    assert again.status_code == 400 and "feedback_ids" in again.json()["error"]["fields"]
    assert FlywheelExport.objects.count() == 1
    listed = after["exports"]
    assert listed[0]["version"] == 2 and listed[0]["next_model"] is None


def test_duplicates_point_at_the_first_of_their_kind() -> None:
    import datetime as dt

    from shipyard.monitoring.models import Feedback

    t = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    rows = [
        Feedback(pk=1, inputs=[1, 2], label=3, predicted_at=t),
        Feedback(pk=2, inputs=[1, 2], label=3, predicted_at=t + dt.timedelta(seconds=1)),
        Feedback(pk=3, inputs=[1, 2], label=4, predicted_at=t + dt.timedelta(seconds=2)),
        Feedback(pk=4, inputs=[1, 2], label=3, predicted_at=t + dt.timedelta(seconds=3)),
    ]
    assert selectors._duplicate_of(rows) == {2: 1, 4: 1}


def test_export_bad_input_and_nothing_to_export(world: Any, tmp_path: Any) -> None:
    d, _ = _setup(world, tmp_path, n=3)
    client = world.client(world.owner)
    url = f"/api/v1/projects/fraud-model/deployments/{d.name}/flywheel/export/"
    for body, field in (({"feedback_ids": "x"}, "feedback_ids"), ({"bogus": 1}, "bogus"), ({}, "feedback_ids")):
        response = client.post(url, body, format="json")
        assert response.status_code == 400, response.content
        assert field in response.json()["error"]["fields"]
    assert not FlywheelExport.objects.exists()
