"""Rubric data-4: the project feature policy, checked on every dataset and model version registration."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shipyard.registry.models import DatasetVersion, ModelVersion
from shipyard.rubric.models import Evidence
from tests.factories import onnx_bytes
from tests.registry.conftest import csv_bytes, stored_blobs

pytestmark = pytest.mark.django_db

BASE = "/api/v1/projects/fraud-model"
META = {
    "f0": {"owner": "risk-team", "source": "warehouse.payments"},
    "f1": {"owner": "risk-team", "source": "warehouse.payments"},
    "f2": {"owner": "risk-team", "source": "warehouse.accounts"},
    "f3": {"owner": "growth", "source": "scraped.web"},
    "country": {"owner": "risk-team", "source": "warehouse.accounts"},
}


def post_dataset(client: Any, *, meta: Any = None, name: str = "tx", content: bytes | None = None) -> Any:
    data: dict[str, Any] = {
        "file": SimpleUploadedFile("tx.csv", content or csv_bytes(30)),
        "format": "csv",
        "label_column": "label",
    }
    if meta is not None:
        data["feature_meta"] = json.dumps(meta)
    return client.post(f"{BASE}/datasets/{name}/versions/", data, format="multipart")


def post_model(client: Any, *, features: list[str] | None, training_dataset: str = "") -> Any:
    data: dict[str, Any] = {"artifact": SimpleUploadedFile("m.onnx", onnx_bytes()), "format": "onnx"}
    if features is not None:
        data["signature"] = json.dumps({"features": features})
    if training_dataset:
        data["training_dataset"] = training_dataset
    return client.post(f"{BASE}/models/scorer/versions/", data, format="multipart")


def put_policy(client: Any, **body: Any) -> Any:
    return client.put(f"{BASE}/feature-policy/", body, format="json")


def data4(project: Any) -> list[Evidence]:
    return list(Evidence.objects.filter(project=project, test_id="data-4").order_by("observed_at", "id"))


def test_without_a_policy_nothing_is_checked_and_no_evidence(world: Any) -> None:
    client = world.client(world.teammate)
    body = client.get(f"{BASE}/feature-policy/").json()
    assert body["configured"] is False and body["mode"] == "block"
    response = post_dataset(client)
    assert response.status_code == 201, response.json()
    assert response.json()["policy_check"] == {} and data4(world.project) == []


def test_block_policy_refuses_a_forbidden_feature_naming_rule_and_feature(world: Any, artifact_root: Path) -> None:
    owner = world.client(world.owner)
    assert put_policy(owner, forbidden_features=["F3", "ssn*"]).status_code == 200
    response = post_dataset(owner)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "policy_violation" and "forbidden_features" in error["message"]
    assert error["fields"] == {"file": ["f3: 'f3' is a forbidden feature ('F3') [rule forbidden_features]"]}
    assert DatasetVersion.objects.count() == 0 and stored_blobs(artifact_root) == []
    assert data4(world.project) == []  # a refused version leaves nothing behind


def test_owner_and_source_rules_pass_and_fail_with_evidence(world: Any) -> None:
    owner = world.client(world.owner)
    policy = {"require_owner": True, "allowed_owners": ["risk-team"], "approved_sources": ["warehouse.*"]}
    assert put_policy(owner, **policy).status_code == 200
    refused = post_dataset(owner, meta=META)
    assert refused.status_code == 409
    messages = refused.json()["error"]["fields"]["feature_meta"]
    assert messages == [
        "f3: 'f3' is owned by 'growth', not an allowed owner [rule allowed_owners]",
        "f3: 'f3' comes from 'scraped.web', not an approved source [rule approved_sources]",
    ]
    fixed = {**META, "f3": {"owner": "risk-team", "source": "warehouse.web"}}
    accepted = post_dataset(owner, meta=fixed)
    assert accepted.status_code == 201, accepted.json()
    check = accepted.json()["policy_check"]
    assert check["passed"] is True and check["features"] == 5 and check["mode"] == "block"
    (evidence,) = data4(world.project)
    assert evidence.passed and evidence.key == "policy:dataset:tx" and evidence.detail["dataset_version"] == 1
    # the next version without feature_meta keeps the declarations of the latest one
    again = post_dataset(owner)
    assert again.status_code == 201 and again.json()["feature_meta"]["f3"] == {
        "owner": "risk-team",
        "source": "warehouse.web",
    }


def test_warn_policy_registers_and_records_failing_evidence(world: Any) -> None:
    owner = world.client(world.owner)
    put_policy(owner, mode="warn", require_owner=True)
    response = post_dataset(owner, meta={"f0": {"owner": "risk-team"}})
    assert response.status_code == 201
    check = response.json()["policy_check"]
    assert check["passed"] is False
    assert [(v["rule"], v["feature"]) for v in check["violations"]] == [
        ("require_owner", "f1"),
        ("require_owner", "f2"),
        ("require_owner", "f3"),
        ("require_owner", "country"),
    ]
    (evidence,) = data4(world.project)
    assert not evidence.passed and "4 feature policy violations" in evidence.title
    page = world.client(world.teammate).get(f"{BASE}/datasets/tx/versions/1/").json()
    assert page["policy_check"]["violations"][0]["feature"] == "f1"


def test_model_signature_is_checked_with_its_training_datasets_metadata(world: Any) -> None:
    owner = world.client(world.owner)
    sensitive = {**META, "f3": {"owner": "risk-team", "source": "warehouse.web", "sensitive": True}}
    assert post_dataset(owner, meta=sensitive).status_code == 201
    put_policy(owner, forbidden_features=["zip_code"], forbid_sensitive_inputs=True, approved_sources=["warehouse.*"])
    refused = post_model(owner, features=["f0", "f1", "f2", "f3", "country"], training_dataset="tx:1")
    assert refused.status_code == 409
    assert refused.json()["error"]["fields"]["signature"] == [
        "f3: 'f3' is declared sensitive and may not be an input [rule forbid_sensitive_inputs]"
    ]
    nameless = post_model(owner, features=None)
    assert nameless.status_code == 409 and "[rule feature_names]" in nameless.json()["error"]["message"]
    unknown = post_model(owner, features=["f0", "f1", "zip_code", "f2"])
    assert unknown.status_code == 409
    rules = [m.rsplit("[rule ", 1)[1] for m in unknown.json()["error"]["fields"]["signature"]]
    assert rules == ["approved_sources]"] * 2 + ["forbidden_features]", "approved_sources]", "approved_sources]"]
    assert ModelVersion.objects.count() == 0

    put_policy(owner, mode="warn", forbid_sensitive_inputs=True)
    warned = post_model(owner, features=["f0", "f1", "f2", "f3", "country"], training_dataset="tx:1")
    assert warned.status_code == 201
    assert warned.json()["policy_check"]["violations"][0]["rule"] == "forbid_sensitive_inputs"
    put_policy(owner, mode="block", forbid_sensitive_inputs=True)  # re-checks the latest versions
    latest = {e.key: e for e in data4(world.project)}
    assert not latest["policy:model:scorer"].passed and latest["policy:dataset:tx"].passed
    assert post_dataset(owner, meta=META).status_code == 201  # v2: f3 no longer sensitive
    ok = post_model(owner, features=["f0", "f1", "f2", "f3", "country"], training_dataset="tx:2")
    assert ok.status_code == 201 and ok.json()["policy_check"]["passed"] is True
    detail = owner.get(f"{BASE}/models/scorer/versions/2/").json()
    assert detail["policy_check"]["passed"] and any(e["test_id"] == "data-4" for e in detail["evidence"])


def test_policy_editing_needs_a_maintainer_and_names_bad_fields(world: Any) -> None:
    teammate, owner, outsider = world.client(world.teammate), world.client(world.owner), world.client(world.outsider)
    assert put_policy(teammate, forbidden_features=["ssn"]).status_code == 403
    assert outsider.get(f"{BASE}/feature-policy/").status_code == 404
    assert put_policy(outsider, forbidden_features=["ssn"]).status_code == 404
    for body, field in [
        ({"mode": "maybe"}, "mode"),
        ({"forbidden_features": "ssn"}, "forbidden_features"),
        ({"forbidden_features": [""]}, "forbidden_features"),
        ({"sensitive_min_role": "root"}, "sensitive_min_role"),
        ({"require_owner": "yes please"}, "require_owner"),
        ({"unknown": 1}, "unknown"),
    ]:
        response = put_policy(owner, **body)
        named = response.json()["error"]["fields"]
        assert response.status_code == 400 and any(k.split(".")[0] == field for k in named), (body, named)
    assert owner.delete(f"{BASE}/feature-policy/").status_code == 204


@pytest.mark.parametrize(
    ("meta", "fragment"),
    [
        ("{not json", "valid JSON"),
        ({"nope": {"owner": "x"}}, "'nope' is not a column"),
        ({"f0": {"owner": 3}}, "'f0'.owner"),
        ({"f0": {"sensitive": "yes"}}, "'f0'.sensitive"),
        ({"f0": {"colour": "red"}}, "only owner, source and sensitive"),
    ],
)
def test_bad_feature_meta_is_a_400_naming_the_field(world: Any, meta: Any, fragment: str) -> None:
    data = {"file": SimpleUploadedFile("tx.csv", csv_bytes(10)), "format": "csv", "label_column": "label"}
    data["feature_meta"] = meta if isinstance(meta, str) else json.dumps(meta)
    response = world.client(world.owner).post(f"{BASE}/datasets/tx/versions/", data, format="multipart")
    assert response.status_code == 400
    assert fragment in response.json()["error"]["fields"]["feature_meta"][0]
