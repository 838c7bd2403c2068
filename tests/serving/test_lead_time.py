"""Rubric evidence from deployments: feature lead time (data-6: dataset column added -> first deployed
version that uses it) and serving a tuned version (model-3)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from shipyard.registry.models import Dataset, DatasetVersion
from shipyard.rubric.models import Evidence
from shipyard.serving.lead_time import lead_time_evidence
from shipyard.serving.models import DeploymentEvent
from tests.serving.conftest import fake_version

BASE = "/api/v1/projects/fraud-model/"


def dataset_version(project: Any, number: int, features: list[str], days_ago: float) -> DatasetVersion:
    dataset, _ = Dataset.objects.get_or_create(project=project, name="tx")
    schema = {"features": [{"name": f, "role": "feature"} for f in features] + [{"name": "y", "role": "label"}]}
    dv = DatasetVersion.objects.create(
        dataset=dataset,
        number=number,
        format="csv",
        file_key=f"sha256/00/{number:062d}",
        sha256=f"{number:064d}",
        size_bytes=1,
        row_count=10,
        schema=schema,
        label_column="y",
    )
    DatasetVersion.objects.filter(pk=dv.pk).update(created_at=timezone.now() - timedelta(days=days_ago))
    return dv


def signed(project: Any, features: list[str]) -> Any:
    version = fake_version(project)
    version.signature = {**version.signature, "features": features}
    version.save(update_fields=["signature"])
    return version


def backdate_last_event(days_ago: float) -> None:
    event = DeploymentEvent.objects.order_by("-created_at", "-id").first()
    assert event is not None
    DeploymentEvent.objects.filter(pk=event.pk).update(created_at=timezone.now() - timedelta(days=days_ago))


@pytest.mark.django_db
def test_lead_time_median_target_trend_and_evidence(world: Any) -> None:
    owner = world.client(world.owner)
    dataset_version(world.project, 1, ["a", "b"], 60)
    dataset_version(world.project, 2, ["a", "b", "c"], 20)
    v1 = signed(world.project, ["a", "b"])
    res = owner.post(
        BASE + "deployments/", {"name": "tx", "model": "digits", "version": v1.number, "reason": "first"}, format="json"
    )
    assert res.status_code == 201, res.json()
    backdate_last_event(50)
    v2 = signed(world.project, ["a", "b", "c"])
    res = owner.post(
        BASE + "deployments/tx/canary/",
        {"version": v2.number, "weight": 10, "reason": "uses the new column"},
        format="json",
    )
    assert res.status_code == 200, res.json()
    backdate_last_event(5)
    dataset_version(world.project, 3, ["a", "b", "c", "d"], 2)

    body = owner.get(BASE + "feature-lead-time/").json()
    leads = {f["feature"]: f["lead_days"] for f in body["features"]}
    assert leads == {
        "a": pytest.approx(10, abs=0.01),
        "b": pytest.approx(10, abs=0.01),
        "c": pytest.approx(15, abs=0.01),
    }
    assert [p["feature"] for p in body["pending"]] == ["d"]
    assert body["median_days"] == pytest.approx(10, abs=0.01) and body["target_days"] == 30 and body["passed"] is True
    assert sum(point["features"] for point in body["trend"]) == 3
    by_feature = {f["feature"]: f for f in body["features"]}
    assert by_feature["c"]["dataset_version"] == 2 and by_feature["c"]["version"] == v2.number
    assert by_feature["a"]["initial"] is True and by_feature["c"]["initial"] is False

    lead_time_evidence(world.project)
    evidence = Evidence.objects.filter(project=world.project, test_id="data-6").order_by("-observed_at", "-id").first()
    assert evidence is not None and evidence.passed and evidence.detail["median_days"] == pytest.approx(10, abs=0.01)

    # the team tightens its target: the same history fails
    res = owner.patch(BASE, {"feature_lead_time_target_days": 7}, format="json")
    assert res.status_code == 200, res.json()
    world.project.refresh_from_db()
    lead_time_evidence(world.project)
    evidence = Evidence.objects.filter(project=world.project, test_id="data-6").order_by("-observed_at", "-id").first()
    assert evidence is not None and not evidence.passed and "over the 7-day target" in evidence.title


@pytest.mark.django_db
def test_lead_time_without_deployments_is_no_verdict_and_scoped(world: Any) -> None:
    dataset_version(world.project, 1, ["a"], 3)
    body = world.client(world.owner).get(BASE + "feature-lead-time/").json()
    assert body["passed"] is None and body["median_days"] is None and body["pending"][0]["feature"] == "a"
    lead_time_evidence(world.project)
    assert not Evidence.objects.filter(project=world.project, test_id="data-6").exists()
    assert world.client(world.outsider).get(BASE + "feature-lead-time/").status_code == 404
    res = world.client(world.owner).patch(BASE, {"feature_lead_time_target_days": 0}, format="json")
    assert res.status_code == 400 and "feature_lead_time_target_days" in res.json()["error"]["fields"]


@pytest.mark.django_db
def test_serving_a_tuned_version_is_model_3_evidence(world: Any) -> None:
    owner = world.client(world.owner)
    plain = fake_version(world.project)
    res = owner.post(
        BASE + "deployments/",
        {"name": "tx", "model": "digits", "version": plain.number, "reason": "first"},
        format="json",
    )
    assert res.status_code == 201, res.json()
    assert not Evidence.objects.filter(project=world.project, test_id="model-3").exists()
    tuned = fake_version(world.project)
    tuned.params = {"tuned_by_job": 41, "trial": 3, "study_trials": 20}
    tuned.save(update_fields=["params"])
    res = owner.post(
        BASE + "deployments/tx/deploy/", {"version": tuned.number, "reason": "the tuned version"}, format="json"
    )
    assert res.status_code == 200, res.json()
    evidence = Evidence.objects.get(project=world.project, test_id="model-3")
    assert evidence.passed and evidence.link == "/jobs/41" and evidence.detail["trial"] == 3
    assert "the best trial (3) of tune job 41" in evidence.title
