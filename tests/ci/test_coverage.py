"""Rubric data-7: Cobertura coverage reports from the real tools, the project's feature-code globs, the evidence."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import coverage as coveragepy
import pytest
from rest_framework.test import APIClient

from shipyard.ci import coverage
from shipyard.ci.models import CIRun, Delivery
from shipyard.ci.services import config_update
from shipyard.rubric.models import Evidence
from tests.ci.conftest import fixture_bytes, native_body, post_webhook, signed_headers

FEATURE_CODE = """\
def scale(x, lo, hi):
    if hi == lo:
        return 0.0
    return (x - lo) / (hi - lo)


def bucket(x, edges):
    for i, edge in enumerate(edges):
        if x < edge:
            return i
    return len(edges)
"""


def coveragepy_report(tmp_path: Path, *, call_bucket: bool) -> str:
    """A real Cobertura report written by coverage.py for a small feature module."""
    package = tmp_path / "features"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "transforms.py").write_text(FEATURE_CODE)
    cov = coveragepy.Coverage(data_file=None, source=[str(package)])
    sys.path.insert(0, str(tmp_path))
    cov.start()
    try:
        from features import transforms  # type: ignore[import-not-found]

        transforms.scale(5, 0, 10)
        transforms.scale(1, 1, 1)
        if call_bucket:
            transforms.bucket(3, [1, 5])
            transforms.bucket(9, [1, 5])
    finally:
        cov.stop()
        sys.path.remove(str(tmp_path))
        sys.modules.pop("features.transforms", None)
        sys.modules.pop("features", None)
    out = tmp_path / "coverage.xml"
    cov.xml_report(outfile=str(out))
    return out.read_text()


def test_coveragepy_report_is_parsed_per_file(tmp_path: Path) -> None:
    report = coverage.parse(coveragepy_report(tmp_path, call_bucket=False))
    assert report.tool == "coverage.py"
    transforms = report.files["transforms.py"]
    assert (transforms.lines_valid, transforms.lines_covered) == (9, 5)
    verdict = coverage.judge_features(report, globs=["transforms.py"], minimum=0.8)
    assert not verdict.passed and verdict.below == ["transforms.py"]


@pytest.mark.parametrize(
    ("fixture", "tool", "rates", "globs"),
    [
        (
            "nyc-cobertura.xml",
            "istanbul",
            {"src/features/scaling.ts": 1.0, "src/features/encode.ts": 0.8, "src/server.ts": 0.6},
            ["src/features/*"],
        ),
        (
            "jacoco-cover2cover.xml",
            "jacoco",
            {"com/example/features/Scaler.java": 0.75, "com/example/App.java": 0.5},
            ["com/example/features/**"],
        ),
        (
            "gocover-cobertura.xml",
            "gocover-cobertura",
            {"features/encode.go": 6 / 7, "cmd/main.go": 2 / 3},
            ["features/*.go"],
        ),
    ],
)
def test_reports_of_the_other_tools(fixture: str, tool: str, rates: dict[str, float], globs: list[str]) -> None:
    report = coverage.parse(fixture_bytes(fixture))
    assert report.tool == tool
    assert {name: round(f.line_rate, 4) for name, f in report.files.items()} == {
        name: round(rate, 4) for name, rate in rates.items()
    }
    feature = coverage.judge_features(report, globs=globs, minimum=0.75)
    assert feature.passed and set(feature.files) == {n for n in rates if coverage.matches(n, globs)}
    assert not coverage.judge_features(report, globs=globs, minimum=0.95).passed


@pytest.mark.parametrize(
    ("document", "named"),
    [
        (fixture_bytes("jacoco-report.xml"), "JaCoCo XML"),
        (b"mode: set\nexample.com/ranker/features/encode.go:12.2,14.3 3 1\n", "Go cover profile"),
        (b"TN:\nSF:src/features/scaling.ts\nDA:1,1\nend_of_record\n", "LCOV"),
        (b'{"src/a.ts": {"path": "src/a.ts", "s": {}}}', "JSON"),
        (b'<?xml version="1.0"?><coverage generated="1"><project timestamp="1"/></coverage>', "Clover XML"),
        (b"<testsuites/>", "root <testsuites>"),
    ],
    ids=["jacoco", "go-profile", "lcov", "istanbul-json", "clover", "junit"],
)
def test_other_formats_are_refused_by_name(document: bytes, named: str) -> None:
    with pytest.raises(coverage.CoverageError, match=named):
        coverage.parse(document)


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (
            b'<coverage><packages><class filename="a.py"><lines><line number="x" hits="1"/></lines></class></packages></coverage>',
            "not a number",
        ),
        (b'<coverage><packages><class filename="a.py" line-rate="nan"/></packages></coverage>', "from 0 to 1"),
        (b'<coverage><packages><class filename="a.py"', "not well-formed"),
    ],
    ids=["line-number", "nan-rate", "truncated"],
)
def test_bad_values_are_refused_with_the_reason(document: bytes, reason: str) -> None:
    with pytest.raises(coverage.CoverageError, match=reason):
        coverage.parse(document)


def test_huge_hits_and_stated_rates_are_read() -> None:
    report = coverage.parse(
        b'<coverage><packages><class filename="a.py"><lines><line number="1" hits="1e400"/>'
        b'<line number="2" hits="0"/></lines></class><class filename="b.py" line-rate="0.25"/></packages></coverage>'
    )
    assert report.files["a.py"].line_rate == 0.5 and report.files["b.py"].line_rate == 0.25


def test_entities_are_refused() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE c [<!ENTITY a "aaaa">]><coverage><packages/></coverage>'
    with pytest.raises(coverage.CoverageError, match="refused"):
        coverage.parse(bomb)


def test_feature_settings_are_validated_by_field(world: Any) -> None:
    client = APIClient()
    client.force_authenticate(world.owner)
    url = "/api/v1/projects/fraud-model/ci/settings/"
    response = client.patch(url, {"feature_coverage_min": 1.5}, format="json")
    assert response.status_code == 400
    assert "feature_coverage_min" in response.json()["error"]["fields"]
    response = client.patch(url, {"feature_code_globs": ["src/*", ""]}, format="json")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["feature_code_globs.1"]
    response = client.patch(url, {"feature_code_globs": "src/*"}, format="json")
    assert response.status_code == 400
    assert "feature_code_globs" in response.json()["error"]["fields"]
    response = client.patch(url, {"feature_code_globs": ["features/*"], "feature_coverage_min": 0.9}, format="json")
    assert response.status_code == 200
    assert response.json()["feature_code_globs"] == ["features/*"]
    assert response.json()["feature_coverage_min"] == 0.9
    teammate = APIClient()
    teammate.force_authenticate(world.teammate)
    assert teammate.patch(url, {"feature_coverage_min": 0.5}, format="json").status_code == 403


def test_non_cobertura_coverage_is_400_naming_the_format(world: Any, ci_secret: str) -> None:
    body = native_body(coverage=fixture_bytes("jacoco-report.xml").decode())
    response = post_webhook(APIClient(), "fraud-model", body, signed_headers("shipyard", ci_secret, body))
    assert response.status_code == 400
    error = response.json()["error"]
    assert "JaCoCo XML" in error["message"] and "coverage" in error["fields"]
    assert Delivery.objects.count() == 0
    body = native_body(coverage='<coverage><packages><class filename="a.py" line-rate="2"/></packages></coverage>')
    response = post_webhook(APIClient(), "fraud-model", body, signed_headers("shipyard", ci_secret, body))
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["coverage"]
    body = native_body(coverage=42)
    response = post_webhook(APIClient(), "fraud-model", body, signed_headers("shipyard", ci_secret, body))
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "`coverage` must be Cobertura XML text (or a list of them)"
    assert Delivery.objects.count() == 0


def _deliver(secret: str, body: bytes, worker: Any) -> Delivery:
    response = post_webhook(APIClient(), "fraud-model", body, signed_headers("shipyard", secret, body))
    assert response.status_code == 202, response.content
    delivery = Delivery.objects.get(pk=response.json()["delivery"])
    deadline = time.monotonic() + 60
    while delivery.status == "queued" and time.monotonic() < deadline:
        time.sleep(0.1)
        delivery.refresh_from_db()
    assert delivery.status == "processed", (delivery.status, delivery.error, worker.log()[-2000:])
    return delivery


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_coverage_through_a_real_worker_passes_then_fails(
    world: Any, ci_secret: str, celery_worker: Any, tmp_path: Path
) -> None:
    config_update(project=world.project, feature_code_globs=["transforms.py"], feature_coverage_min=0.8)
    (tmp_path / "good").mkdir()
    good = coveragepy_report(tmp_path / "good", call_bucket=True)
    delivery = _deliver(ci_secret, native_body(coverage=good), celery_worker)
    run = CIRun.objects.get(pk=delivery.run_id)
    assert run.coverage["tool"] == "coverage.py" and run.coverage["files"]["transforms.py"] == 1.0
    evidence = Evidence.objects.get(project=world.project, test_id="data-7")
    assert evidence.passed and evidence.source == "ci" and evidence.key == "ci:coverage:main"
    assert evidence.detail["files"]["transforms.py"]["line_rate"] == 1.0 and evidence.detail["minimum"] == 0.8

    (tmp_path / "bad").mkdir()
    bad = coveragepy_report(tmp_path / "bad", call_bucket=False)
    _deliver(ci_secret, native_body(coverage=bad), celery_worker)
    latest = Evidence.objects.filter(project=world.project, test_id="data-7").order_by("-observed_at", "-id").first()
    assert latest is not None and not latest.passed
    assert latest.detail["below"] == ["transforms.py"]
    assert latest.detail["files"]["transforms.py"]["line_rate"] == round(5 / 9, 4)


def test_no_globs_no_evidence_and_feature_branch_is_not_evidence(world: Any) -> None:
    from shipyard.ci import payloads
    from shipyard.ci.services import run_record

    data = json.loads(native_body(coverage=fixture_bytes("nyc-cobertura.xml").decode()))
    report = payloads.native(json.dumps(data).encode(), delivery_id="d1", content_type="application/json", query={})
    run = run_record(project=world.project, provider="shipyard", report=report)
    assert run.coverage["file_count"] == 3
    assert not Evidence.objects.filter(test_id="data-7").exists()
    config_update(project=world.project, feature_code_globs=["src/features/*"], feature_coverage_min=0.8)
    report.external_id, report.branch = "feature-run", "feature/x"
    run_record(project=world.project, provider="shipyard", report=report)
    assert not Evidence.objects.filter(test_id="data-7").exists()
    report.external_id, report.branch = "main-run", "main"
    run_record(project=world.project, provider="shipyard", report=report)
    evidence = Evidence.objects.get(test_id="data-7")
    assert evidence.passed and set(evidence.detail["files"]) == {"src/features/scaling.ts", "src/features/encode.ts"}


def test_cli_sends_the_coverage_report() -> None:
    import argparse

    from shipyard.client import ci_cmd

    args = argparse.Namespace(
        run_id="r1",
        name="",
        branch="main",
        commit="",
        run_url="",
        status="",
        junit=[],
        metrics=None,
        lockfile=None,
        coverage=str(Path(__file__).parent / "fixtures" / "gocover-cobertura.xml"),
    )
    body = ci_cmd.build_body(args)
    assert body["coverage"] == fixture_bytes("gocover-cobertura.xml").decode()
    with pytest.raises(SystemExit, match="cannot read the coverage file"):
        ci_cmd.build_body(argparse.Namespace(**{**vars(args), "coverage": "/nonexistent/coverage.xml"}))
