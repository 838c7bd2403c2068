"""The outlier detector API: bad input names the field, roles and scoping, and the route carries a
fitted detector to the data plane."""

from __future__ import annotations

from typing import Any

import pytest

from shipyard.serving import lifecycle
from shipyard.serving.models import OutlierDetector
from shipyard.serving.selectors import deployment_route
from tests.serving.conftest import fake_version

URL = "/api/v1/projects/fraud-model/deployments/digits/outliers/"


@pytest.fixture
def deployment(world: Any) -> Any:
    v1 = fake_version(world.project)
    return lifecycle.deployment_create(
        project=world.project, name="digits", model=v1.model, version=v1, by=world.owner, reason="first"
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "training_dataset"), ({"quantile": 0.2}, "quantile"), ({"quantile": "high"}, "quantile"), ({"x": 1}, "x")],
)
def test_bad_detector_request_names_the_field(world: Any, deployment: Any, body: dict[str, Any], field: str) -> None:
    res = world.client(world.owner).post(URL, body, format="json")
    assert res.status_code == 400 and field in res.json()["error"]["fields"], res.json()
    assert not OutlierDetector.objects.exists()


def test_roles_scoping_report_and_route(world: Any, deployment: Any) -> None:
    assert world.client(world.teammate).post(URL, {}, format="json").status_code == 403
    assert world.client(world.outsider).get(URL).status_code == 404
    report = world.client(world.teammate).get(URL).json()
    assert report == {"detector": None, "minutes": 60, "scored": 0, "outliers": 0, "rate": None}
    assert world.client(world.owner).delete(URL).status_code == 409
    OutlierDetector.objects.create(
        deployment=deployment,
        version=deployment.live_version,
        state="ready",
        threshold=7.5,
        artifact_key="sha256/aa/bb",
    )
    route = deployment_route(project="fraud-model", name="digits")
    assert route is not None and route.detector_for(deployment.live_version_id) == {"k": "sha256/aa/bb", "t": 7.5}
    assert route.detector_for(-1) is None
    assert world.client(world.teammate).get(URL).json()["detector"]["state"] == "ready"
    assert world.client(world.teammate).delete(URL).status_code == 403
    assert world.client(world.owner).delete(URL).status_code == 204
    assert deployment_route(project="fraud-model", name="digits").detectors == ()  # type: ignore[union-attr]
