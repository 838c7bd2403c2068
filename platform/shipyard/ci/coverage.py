"""Cobertura XML coverage reports (coverage.py, Istanbul/nyc, JaCoCo via cover2cover, gocover-cobertura)
to per-file line rates, and the rubric data-7 judgement of the project's feature code.

Parsed with defusedxml: the ``<!DOCTYPE coverage SYSTEM ...coverage-04.dtd>`` line that nyc and
gocover-cobertura write is accepted, but nothing is loaded from it, and entity declarations and
external entities are refused. A document in another coverage format is refused with a message
that names the format, so the sender knows what to convert.
"""

from __future__ import annotations

import fnmatch
import math
from dataclasses import dataclass, field
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

#: at most this many files are kept per report
MAX_FILES = 20_000


class CoverageError(ValueError):
    """The document is not an acceptable Cobertura report; the message says why (and names the format)."""


@dataclass
class FileCoverage:
    filename: str
    lines_valid: int
    lines_covered: int
    #: the report's own line-rate, for a file it lists without <line> elements
    stated_rate: float | None = None

    @property
    def line_rate(self) -> float:
        """Covered lines over coverable lines; a file without coverable lines counts as covered."""
        if self.stated_rate is not None:
            return self.stated_rate
        return self.lines_covered / self.lines_valid if self.lines_valid else 1.0


@dataclass
class CoverageReport:
    #: the producing tool, as far as the document tells: coverage.py, istanbul, jacoco, gocover-cobertura, cobertura
    tool: str
    sources: list[str] = field(default_factory=list)
    files: dict[str, FileCoverage] = field(default_factory=dict)

    @property
    def lines_valid(self) -> int:
        return sum(f.lines_valid for f in self.files.values())

    @property
    def lines_covered(self) -> int:
        return sum(f.lines_covered for f in self.files.values())

    @property
    def line_rate(self) -> float:
        return self.lines_covered / self.lines_valid if self.lines_valid else 1.0


def _sniff_other(text: str) -> str:
    """The name of a known non-Cobertura coverage format the text looks like ("" when none)."""
    head = text.lstrip()[:4000]
    if head.startswith("mode:") and (" set" in head[:20] or "count" in head[:20] or "atomic" in head[:20]):
        return "a Go cover profile (convert it with gocover-cobertura)"
    if head.startswith(("TN:", "SF:")) or "\nSF:" in head:
        return "LCOV tracefile (use the cobertura reporter of nyc/c8, or lcov_cobertura)"
    if head.startswith("{"):
        return "JSON (Istanbul coverage-final.json or coverage.py JSON; send the Cobertura XML report instead)"
    return ""


def _local(tag: Any) -> str:
    return str(tag).rsplit("}", 1)[-1]


def _tool(root: Any, text: str) -> str:
    """The producing tool, from the generator comment or, failing that, the files' languages."""
    if "coverage.py" in text[:2000]:
        return "coverage.py"
    suffixes = {(c.get("filename") or "").rsplit(".", 1)[-1] for c in root.iter("class")}
    if "go" in suffixes:
        return "gocover-cobertura"
    if suffixes & {"java", "kt"}:
        return "jacoco"
    if suffixes & {"js", "ts", "jsx", "tsx", "mjs", "cjs"}:
        return "istanbul"
    return "cobertura"


def parse(document: str | bytes) -> CoverageReport:
    """Per-file line coverage of a Cobertura XML document.

    A file that appears in several classes (gocover-cobertura writes one per receiver type,
    cover2cover one per inner class) is merged by line number: a line counts as covered when
    any class hit it. A file whose classes have no ``<lines>`` element at all is judged by its
    ``line-rate`` attribute.
    """
    text = document.decode("utf-8", "replace") if isinstance(document, bytes) else document
    if not text.strip():
        raise CoverageError("the coverage report is empty")
    other = _sniff_other(text)
    if other:
        raise CoverageError(f"the coverage report is {other}, not Cobertura XML")
    try:
        root = SafeET.fromstring(text, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise CoverageError(f"the coverage report is refused: {type(exc).__name__}") from None
    except SafeET.ParseError as exc:
        raise CoverageError(f"the coverage report is not well-formed XML: {exc}") from None
    tag = _local(root.tag)
    if tag == "report":
        raise CoverageError(
            "the coverage report is JaCoCo XML, not Cobertura XML (convert it with cover2cover.py or jacoco2cobertura)"
        )
    if tag == "coverage" and root.find("project") is not None:
        raise CoverageError("the coverage report is Clover XML, not Cobertura XML")
    if tag == "CoverageSession":
        raise CoverageError("the coverage report is OpenCover XML, not Cobertura XML")
    if tag != "coverage" or root.find("packages") is None:
        raise CoverageError(
            f"the coverage report is an XML document with root <{tag}>, not Cobertura XML (<coverage> with <packages>)"
        )
    lines: dict[str, dict[int, bool]] = {}
    rates: dict[str, float] = {}
    for cls in root.iter("class"):
        filename = (cls.get("filename") or "").strip()
        if not filename:
            continue
        seen = lines.setdefault(filename, {})
        own = cls.find("lines")
        for line in own.iter("line") if own is not None else ():
            try:
                number, hits = int(line.get("number") or ""), float(line.get("hits") or "0")
            except ValueError:
                raise CoverageError(f"a <line> of {filename} has a number or hits that is not a number") from None
            seen[number] = seen.get(number, False) or hits > 0
        if own is None:
            try:
                rate = float(cls.get("line-rate") or "0")
            except ValueError:
                rate = math.nan
            if not 0.0 <= rate <= 1.0:  # NaN fails both comparisons
                raise CoverageError(f"the line-rate of {filename} is not a number from 0 to 1")
            rates[filename] = rate
        if len(lines) > MAX_FILES:
            raise CoverageError(f"the coverage report has more than {MAX_FILES} files")
    report = CoverageReport(tool=_tool(root, text), sources=[(s.text or "").strip() for s in root.iter("source")])
    for filename, seen in lines.items():
        if not seen and filename in rates:
            report.files[filename] = FileCoverage(filename, 0, 0, stated_rate=rates[filename])
        else:
            report.files[filename] = FileCoverage(filename, len(seen), sum(seen.values()))
    return report


@dataclass
class FeatureVerdict:
    passed: bool
    summary: str
    minimum: float
    globs: list[str]
    #: filename -> {"line_rate", "lines_valid", "lines_covered"} for every file the globs matched
    files: dict[str, dict[str, float | int]]
    below: list[str]


def matches(filename: str, globs: list[str]) -> bool:
    """Whether a report's file name matches a glob (``*`` also crosses ``/``; a leading ``./`` is ignored)."""
    name = filename[2:] if filename.startswith("./") else filename
    return any(fnmatch.fnmatchcase(name, g[2:] if g.startswith("./") else g) for g in globs)


def judge_features(report: CoverageReport, *, globs: list[str], minimum: float) -> FeatureVerdict:
    """data-7: every file matching the feature-code globs reaches ``minimum`` line coverage."""
    files = {
        name: {"line_rate": round(f.line_rate, 4), "lines_valid": f.lines_valid, "lines_covered": f.lines_covered}
        for name, f in sorted(report.files.items())
        if matches(name, globs)
    }
    below = [name for name, f in files.items() if float(f["line_rate"]) < minimum]
    if not files:
        summary = f"no file of the coverage report matches the feature-code globs {', '.join(globs)}"
        return FeatureVerdict(False, summary, minimum, globs, files, below)
    if below:
        summary = f"{len(below)} of {len(files)} feature-code files below {minimum:.0%} line coverage"
    else:
        summary = f"all {len(files)} feature-code files reach {minimum:.0%} line coverage"
    return FeatureVerdict(not below, summary, minimum, globs, files, below)
