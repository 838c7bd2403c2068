"""JUnit XML (pytest, jest-junit, Maven Surefire, go-junit-report, ...) to plain dataclasses.

Parsed with defusedxml and ``forbid_dtd=True``: a DTD, entity declarations (billion laughs,
quadratic blowup) and external entities are refused before any expansion, and nothing is read
from disk or the network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

MARKER = re.compile(r"\[mlts:\s*([a-z]+-\d+(?:\s*,\s*[a-z]+-\d+)*)\s*\]", re.IGNORECASE)
MESSAGE_LIMIT = 4000


class JunitError(ValueError):
    """The document is not acceptable JUnit XML; the message says why."""


@dataclass
class Case:
    name: str
    classname: str = ""
    status: str = "passed"  # passed | failed | error | skipped
    duration_s: float = 0.0
    message: str = ""
    tags: list[str] = field(default_factory=list)


def _float(value: Any) -> float:
    try:
        return float(str(value).replace(",", ""))
    except (TypeError, ValueError):
        return 0.0


def tags_in(text: str) -> list[str]:
    """Rubric ids named by `[mlts:infra-1]` / `[mlts:infra-1,model-2]` markers in a string."""
    found: list[str] = []
    for match in MARKER.finditer(text):
        for part in match.group(1).split(","):
            tag = part.strip().lower()
            if tag not in found:
                found.append(tag)
    return found


def _local(tag: Any) -> str:
    return str(tag).rsplit("}", 1)[-1]


def _message(element: Any) -> str:
    parts = [element.get("message") or "", (element.text or "").strip()]
    text = "\n".join(p for p in parts if p)
    return text[:MESSAGE_LIMIT]


def parse(data: bytes | str) -> list[Case]:
    """All test cases of a JUnit document (``<testsuites>`` or a single ``<testsuite>``)."""
    raw = data.encode() if isinstance(data, str) else data
    if not raw.strip():
        raise JunitError("the JUnit document is empty")
    try:
        root = SafeET.fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise JunitError(f"the JUnit document was refused: {type(exc).__name__} (DTDs and entities are not allowed)")
    except SafeET.ParseError as exc:
        raise JunitError(f"the JUnit document is not well-formed XML: {exc}")
    if _local(root.tag) not in {"testsuites", "testsuite", "testcase"}:
        raise JunitError(f"the root element is <{_local(root.tag)}>, expected <testsuites> or <testsuite>")
    return _walk(root)


def _walk(root: Any) -> list[Case]:
    """The test cases under ``root`` in document order (iterative: any nesting depth is fine)."""
    cases: list[Case] = []
    stack: list[tuple[Any, str]] = [(root, "")]
    while stack:
        element, suite = stack.pop()
        tag = _local(element.tag)
        if tag == "testcase":
            cases.append(_case(element, suite))
            continue
        if tag == "testsuite":
            suite = element.get("name") or suite
        children = [c for c in element if _local(c.tag) in {"testsuite", "testsuites", "testcase"}]
        stack.extend((child, suite) for child in reversed(children))
    return cases


def _case(element: Any, suite: str) -> Case:
    name = element.get("name") or "(unnamed)"
    classname = element.get("classname") or element.get("class") or suite
    case = Case(name=name, classname=classname, duration_s=_float(element.get("time")))
    tags = tags_in(name) + [t for t in tags_in(classname) if t not in tags_in(name)]
    for child in element:
        child_tag = _local(child.tag)
        if child_tag in {"failure", "error"} and case.status not in {"failed", "error"}:
            case.status = "failed" if child_tag == "failure" else "error"
            case.message = _message(child)
        elif child_tag == "skipped" and case.status == "passed":
            case.status = "skipped"
            case.message = _message(child)
        elif child_tag in {"flakyFailure", "rerunFailure", "flakyError", "rerunError"}:
            continue  # Surefire reruns: the case's own outcome is what counts
        elif child_tag == "properties":
            for prop in child:
                if _local(prop.tag) == "property" and (prop.get("name") or "").lower() in {"mlts", "mlts_test"}:
                    value = prop.get("value") or (prop.text or "")
                    for part in value.split(","):
                        tag = part.strip().lower()
                        if tag and tag not in tags:
                            tags.append(tag)
    case.tags = tags
    return case
