"""Rubric data-5: the PII scan of every dataset upload (on a real worker) and the download audit."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shipyard.registry import privacy
from shipyard.registry.models import DatasetDownload, DatasetVersion
from shipyard.rubric.models import Evidence
from shipyard_ml.pii import Detectors, scan_frame

BASE = "/api/v1/projects/fraud-model/datasets"

EMAILS = ["ann.lee@example.com", "bob@example.org", "carla+tag@mail.example.net"]
PHONES = ["+1 415-555-2671", "(650) 253-0000", "+44 20 7946 0958"]
CARDS = ["4111 1111 1111 1111", "5500-0055-5555-5559", "340000000000009"]


def customers_csv(rows: int = 30) -> bytes:
    frame = pd.DataFrame(
        {
            "amount": [float(i) * 1.5 for i in range(rows)],
            "contact": [EMAILS[i % 3] for i in range(rows)],
            "note": [f"call {PHONES[i % 3]} after 5" if i % 2 else "no answer" for i in range(rows)],
            "card": [CARDS[i % 3] for i in range(rows)],
            "client_ip": [f"10.0.{i}.7" for i in range(rows)],
            "first_name": ["Ann", "Bob", "Carla"] * (rows // 3),
            "label": [i % 2 for i in range(rows)],
        }
    )
    return frame.to_csv(index=False).encode()


# ---- the detectors (pure, no Django) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("ann.lee@example.com", ["email"]),
        ("4111 1111 1111 1111", ["card_number"]),
        ("4111 1111 1111 1112", []),  # fails the Luhn check
        ("+1 415-555-2671", ["phone"]),
        ("123-45-6789", ["national_id"]),  # US SSN
        ("12345678Z", ["national_id"]),  # Spanish DNI
        ("943 476 5919", ["national_id"]),  # UK NHS number
        ("DE89370400440532013000", ["iban"]),
        ("192.168.1.20", ["ip_address"]),
        ("2001:db8::1", ["ip_address"]),
        ("mail bob@example.org or ring 415 555 2671", ["email", "phone"]),
        ("12:30:45", []),
        ("2024-01-05", []),
        ("3.14159", []),
        ("the quick brown fox", []),
    ],
)
def test_detectors(text: str, kinds: list[str]) -> None:
    assert Detectors().kinds_in(text) == kinds


def test_scan_counts_cells_per_column_and_returns_no_values() -> None:
    frame = pd.read_csv(__import__("io").BytesIO(customers_csv(30)))
    findings = {f.column: f for f in scan_frame(frame)}
    assert findings["contact"].kinds == {"email": 30}
    assert findings["note"].kinds == {"phone": 15}
    assert findings["card"].kinds == {"card_number": 30}
    assert findings["client_ip"].kinds == {"ip_address": 30}
    assert findings["first_name"].kinds == {"person_name": 30} and findings["first_name"].by == "column name"
    assert "amount" not in findings and "label" not in findings
    dumped = json.dumps([f.__dict__ for f in findings.values()])
    assert not any(value in dumped for value in [*EMAILS, *CARDS, "Ann", "10.0.1.7", "415-555-2671"])


def test_a_large_file_is_sampled_row_group_by_row_group(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from shipyard_ml.pii import scan_parquet

    rows = 5_000
    table = pa.table(
        {"n": list(range(rows)), "contact": [f"u{i}@example.com" if i % 2 else "none" for i in range(rows)]}
    )
    path = tmp_path / "big.parquet"
    pq.write_table(table, path, row_group_size=700)
    scan = scan_parquet(path, sample_rows=1_000)
    assert scan.ok and scan.rows == rows and scan.sampled_rows == 1_000
    (finding,) = scan.findings
    assert finding.column == "contact" and 400 < finding.kinds["email"] < 600  # about half the sample
    assert scan_parquet(path, sample_rows=1_000).findings == scan.findings  # seeded: the same sample
    whole = scan_parquet(path, sample_rows=rows)
    assert whole.sampled_rows == rows and whole.findings[0].kinds == {"email": rows // 2}
    assert not scan_parquet(tmp_path / "missing.parquet").ok


# ---- on a real worker --------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def artifact_root(settings: Any) -> Path:
    """The worker process reads the environment's ARTIFACT_ROOT: the test uses the same one."""
    settings.STORAGE_BACKEND = "local"
    return Path(settings.ARTIFACT_ROOT)


def upload(client: Any, content: bytes, *, meta: dict[str, Any] | None = None, name: str = "customers") -> Any:
    data: dict[str, Any] = {"file": SimpleUploadedFile("c.csv", content), "format": "csv", "label_column": "label"}
    if meta is not None:
        data["feature_meta"] = json.dumps(meta)
    response = client.post(f"{BASE}/{name}/versions/", data, format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json()["pii_scan"] == {"status": "pending"}
    return response.json()


def scanned(version_id: int, deadline_s: float = 90) -> dict[str, Any]:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        scan = DatasetVersion.objects.get(pk=version_id).pii_scan
        if scan.get("status") != "pending":
            return scan
        time.sleep(0.2)
    raise AssertionError("the PII scan did not finish")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_undeclared_pii_fails_declared_and_restricted_passes(world: Any, celery_worker: Any) -> None:
    owner = world.client(world.owner)
    first = upload(owner, customers_csv())
    scan = scanned(first["id"])
    assert scan["status"] == "done" and scan["passed"] is False and scan["rows"] == 30
    assert scan["undeclared"] == ["contact", "note", "card", "client_ip", "first_name"]
    evidence = Evidence.objects.get(project=world.project, test_id="data-5")
    assert not evidence.passed and evidence.key == "pii:dataset:customers" and "undeclared" in evidence.title
    stored = json.dumps([scan, evidence.detail, owner.get(f"{BASE}/customers/versions/1/").json()])
    assert not any(value in stored for value in [*EMAILS, *CARDS, "10.0.3.7", "415-555-2671"])

    declared = {c: {"sensitive": True} for c in ("contact", "note", "card", "client_ip", "first_name")}
    second = upload(owner, customers_csv(), meta=declared)
    scan = scanned(second["id"])
    assert scan["passed"] is True and scan["undeclared"] == []
    assert scan["access"] == {"min_role": "maintainer", "audited": True, "restricted": True}
    latest = Evidence.objects.filter(project=world.project, test_id="data-5").order_by("-observed_at", "-id").first()
    assert latest is not None and latest.passed and "restricted to maintainer" in latest.title

    # a clean dataset passes with nothing declared
    clean = upload(owner, pd.DataFrame({"x": [1.0, 2.0], "label": [0, 1]}).to_csv(index=False).encode(), name="clean")
    assert scanned(clean["id"])["passed"] is True


@pytest.mark.django_db
def test_sensitive_versions_need_the_role_and_every_download_is_audited(world: Any) -> None:
    from shipyard.registry.datasets import dataset_version_create

    dataset_version_create(
        project=world.project,
        dataset_name="customers",
        file_or_path=__import__("io").BytesIO(customers_csv(9)),
        format="csv",
        original_filename="c.csv",
        label_column="label",
        feature_meta={"contact": {"sensitive": True}},
        by=world.owner,
    )
    teammate, owner, outsider = world.client(world.teammate), world.client(world.owner), world.client(world.outsider)
    refused = teammate.get(f"{BASE}/customers/versions/1/file")
    assert refused.status_code == 403 and "maintainer" in refused.json()["error"]["message"]
    assert outsider.get(f"{BASE}/customers/versions/1/file").status_code == 404
    served = owner.get(f"{BASE}/customers/versions/1/file", HTTP_RANGE="bytes=0-9")
    assert served.status_code == 206
    rows = list(DatasetDownload.objects.order_by("id").values_list("username", "granted", "sensitive", "byte_range"))
    assert rows == [("teammate", False, True, ""), ("owner", True, True, "bytes=0-9")]

    audit = owner.get(f"{BASE}/customers/downloads/")
    assert audit.status_code == 200
    assert [(r["username"], r["version"], r["granted"]) for r in audit.json()["results"]] == [
        ("owner", 1, True),
        ("teammate", 1, False),
    ]
    assert teammate.get(f"{BASE}/customers/downloads/").status_code == 403
    assert outsider.get(f"{BASE}/customers/downloads/").status_code == 404

    # the scan (a worker's job; run in-process here) passes: the personal columns are declared
    privacy.pii_scan_run(version_id=DatasetVersion.objects.get().pk)
    scan = DatasetVersion.objects.get().pii_scan
    assert scan["undeclared"] == ["note", "card", "client_ip", "first_name"]  # only contact was declared
    put = "/api/v1/projects/fraud-model/feature-policy/"
    # the policy may let members read sensitive data; opening it to viewers fails data-5 at once
    assert owner.put(put, {"sensitive_min_role": "member"}, format="json").status_code == 200
    assert teammate.get(f"{BASE}/customers/versions/1/file").status_code == 200
    assert owner.put(put, {"sensitive_min_role": "viewer"}, format="json").status_code == 200
    assert DatasetVersion.objects.get().pii_scan["access"] == {
        "min_role": "viewer",
        "audited": True,
        "restricted": False,
    }
    latest = Evidence.objects.filter(test_id="data-5").order_by("-observed_at", "-id").first()
    assert latest is not None and not latest.passed and latest.detail["access"]["min_role"] == "viewer"
