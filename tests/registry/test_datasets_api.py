from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shipyard.registry import selectors
from shipyard.registry.models import DatasetVersion
from tests.registry.conftest import csv_bytes, stored_blobs, temp_leftovers

BASE = "/api/v1/projects/fraud-model/datasets"
SLICES = json.dumps([{"name": "germany", "filter": 'country == "DE"'}, {"name": "high-f0", "filter": "f0 > 0.5"}])


def post_version(client: Any, content: bytes, fmt: str = "csv", name: str = "tx", **meta: Any) -> Any:
    data = {"file": SimpleUploadedFile(f"data.{fmt}", content), "format": fmt, **meta}
    return client.post(f"{BASE}/{name}/versions/", data, format="multipart")


def test_csv_version_gets_schema_stats_slices_and_a_normalised_copy(world: Any, artifact_root: Path) -> None:
    client = world.client(world.teammate)
    response = post_version(client, csv_bytes(60), label_column="label", slices=SLICES)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["number"] == 1 and body["row_count"] == 60 and body["label_column"] == "label"
    features = {f["name"]: f for f in body["schema"]["features"]}
    assert features["f0"]["dtype"] == "numeric" and features["f0"]["null_rate"] == 0
    assert features["country"]["dtype"] == "categorical" and features["country"]["categories"] == ["DE", "FR"]
    assert features["label"]["role"] == "label" and body["schema"]["n_features"] == 5
    assert sum(body["stats"]["f0"]["histogram"]["counts"]) == 60
    assert {s["name"]: s["rows"] for s in body["slices"]}["germany"] == 20
    assert len(stored_blobs(artifact_root)) == 2 and temp_leftovers(artifact_root) == []

    version = DatasetVersion.objects.get()
    frame = pd.read_parquet(selectors.dataset_path(version))
    assert list(frame.columns) == ["f0", "f1", "f2", "f3", "country", "label"] and len(frame) == 60
    raw = client.get(f"{BASE}/tx/versions/1/file")
    assert b"".join(raw.streaming_content) == csv_bytes(60)
    listing = client.get(f"{BASE}/").json()["results"]
    assert listing[0]["name"] == "tx" and listing[0]["latest_version"]["number"] == 1
    assert post_version(client, csv_bytes(30), label_column="label").json()["number"] == 2


def test_parquet_and_npz_are_read(world: Any) -> None:
    client = world.client(world.owner)
    buf = io.BytesIO()
    pd.DataFrame({"a": [1.0, 2.0, None], "b": ["x", "y", "x"]}).to_parquet(buf)
    parquet = post_version(client, buf.getvalue(), "parquet", name="pq")
    assert parquet.status_code == 201, parquet.json()
    assert {f["name"]: f for f in parquet.json()["schema"]["features"]}["a"]["null_rate"] == pytest.approx(
        1 / 3, abs=1e-4
    )
    npz = io.BytesIO()
    np.savez(npz, X=np.arange(20, dtype=np.float32).reshape(5, 4), y=np.array([0, 1, 0, 1, 1]))
    response = post_version(client, npz.getvalue(), "npz", name="arr", label_column="label")
    assert response.status_code == 201, response.json()
    assert response.json()["row_count"] == 5 and response.json()["schema"]["n_features"] == 4


@pytest.mark.parametrize(
    ("content", "fmt", "meta", "field"),
    [
        (b"\x00\x01garbage", "parquet", {}, "file"),
        (b"", "csv", {}, "file"),
        (b"PK\x03\x04 not an npz", "npz", {}, "file"),
        (csv_bytes(10), "csv", {"label_column": "missing"}, "label_column"),
        (csv_bytes(10), "csv", {"slices": '[{"name": "x", "filter": "__import__(1)"}]'}, "slices"),
        (csv_bytes(10), "csv", {"slices": '[{"name": "x", "filter": "nope == 1"}]'}, "slices"),
        (csv_bytes(10), "csv", {"slices": '[{"name": "../x", "filter": "f0 > 1"}]'}, "slices"),
        (csv_bytes(10), "xlsx", {}, "format"),
        (csv_bytes(10), "csv", {"label_column": "/etc/passwd"}, "label_column"),
    ],
)
def test_bad_dataset_uploads_name_the_field_and_store_nothing(
    world: Any, artifact_root: Path, content: bytes, fmt: str, meta: dict[str, str], field: str
) -> None:
    response = post_version(world.client(world.owner), content, fmt, **meta)
    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["fields"], response.json()
    assert DatasetVersion.objects.count() == 0
    assert stored_blobs(artifact_root) == [] and temp_leftovers(artifact_root) == []


def test_outsider_and_viewer_rules(world: Any) -> None:
    post_version(world.client(world.owner), csv_bytes(10))
    outsider = world.client(world.outsider)
    for path in [
        f"{BASE}/",
        f"{BASE}/tx/",
        f"{BASE}/tx/versions/",
        f"{BASE}/tx/versions/1/",
        f"{BASE}/tx/versions/1/file",
    ]:
        assert outsider.get(path).status_code == 404, path
    assert post_version(outsider, csv_bytes(10)).status_code == 404
    assert DatasetVersion.objects.count() == 1


def test_dataset_create_conflict(world: Any) -> None:
    client = world.client(world.owner)
    assert client.post(f"{BASE}/", {"name": "d1"}, format="json").status_code == 201
    again = client.post(f"{BASE}/", {"name": "d1"}, format="json")
    assert again.status_code == 409 and "name" in again.json()["error"]["fields"]
