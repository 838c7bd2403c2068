"""JUnit from real tools imports; XML attacks are refused without expansion or file access."""

from __future__ import annotations

import pytest

from shipyard.ci import junit
from shipyard.ci.junit import JunitError
from tests.ci.conftest import fixture_bytes


def by_status(cases: list[junit.Case]) -> dict[str, int]:
    out: dict[str, int] = {}
    for case in cases:
        out[case.status] = out.get(case.status, 0) + 1
    return out


def test_pytest_junit_with_mlts_properties() -> None:
    cases = junit.parse(fixture_bytes("pytest-junit.xml"))
    assert len(cases) == 5
    assert by_status(cases) == {"passed": 3, "failed": 1, "skipped": 1}
    tagged = {c.name: c.tags for c in cases if c.tags}
    assert tagged == {"test_training_is_reproducible": ["infra-1"], "test_offline_metric_correlates": ["model-2"]}
    failed = next(c for c in cases if c.status == "failed")
    assert "offline accuracy 0.91" in failed.message
    assert failed.classname == "test_model_checks"


def test_jest_junit() -> None:
    cases = junit.parse(fixture_bytes("jest-junit.xml"))
    assert by_status(cases) == {"passed": 2, "failed": 1, "skipped": 1}
    assert next(c for c in cases if "negative" in c.name).tags == ["infra-2"]
    assert "toBeLessThanOrEqual" in next(c for c in cases if c.status == "failed").message


def test_maven_surefire() -> None:
    cases = junit.parse(fixture_bytes("surefire.xml"))
    assert by_status(cases) == {"passed": 1, "failed": 1, "error": 1, "skipped": 1}
    assert {c.classname for c in cases} == {"com.example.fraud.ScorerTest"}
    assert all(not c.tags for c in cases)  # suite-level properties are not test tags


def test_go_junit_report() -> None:
    cases = junit.parse(fixture_bytes("go-junit-report.xml"))
    assert len(cases) == 4
    failed = [c for c in cases if c.status == "failed"]
    assert [(c.classname, c.name) for c in failed] == [("package/name2", "TestOne")]
    assert "Longer" in failed[0].message
    assert sum(c.duration_s for c in cases) == pytest.approx(0.31)


def test_marker_forms() -> None:
    assert junit.tags_in("test_x[mlts:infra-1]") == ["infra-1"]
    assert junit.tags_in("test_x [mlts: infra-1, model-2]") == ["infra-1", "model-2"]
    assert junit.tags_in("test_x[param]") == []


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<testsuite name="x"><testcase name="&lol3;"/></testsuite>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<testsuite name="x"><testcase name="&xxe;"/></testsuite>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE testsuite SYSTEM "http://127.0.0.1:9/evil.dtd">
<testsuite name="x"><testcase name="a"/></testsuite>"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY % p SYSTEM "file:///etc/hostname"> %p;]>
<testsuite name="x"/>"""


@pytest.mark.parametrize("document", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD, PARAMETER_ENTITY])
def test_xml_attacks_are_refused(document: bytes) -> None:
    with pytest.raises(JunitError, match="refused"):
        junit.parse(document)


@pytest.mark.parametrize(
    ("document", "reason"),
    [(b"", "empty"), (b"<testsuite><testcase", "well-formed"), (b"<html><body/></html>", "root element")],
)
def test_bad_documents_say_why(document: bytes, reason: str) -> None:
    with pytest.raises(JunitError, match=reason):
        junit.parse(document)
