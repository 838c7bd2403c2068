"""Rubric data-7 ("all input feature code is tested") from the coverage report a CI run carries."""

from __future__ import annotations

from datetime import datetime

from shipyard.ci.coverage import CoverageReport, judge_features
from shipyard.ci.models import CIConfig, CIRun
from shipyard.rubric.services import evidence_record

#: at most this many per-file rates are kept on the run (the evidence keeps every feature-code file)
RUN_FILES_KEPT = 2000


def coverage_record(
    *, run: CIRun, report: CoverageReport, config: CIConfig, observed: datetime, evidence: bool
) -> None:
    """Store the run's coverage summary; on the default branch, judge the feature code for data-7.

    No evidence is recorded while the project declares no feature-code globs: there is nothing to
    judge. With globs, the evidence passes when every matching file reaches
    ``feature_coverage_min`` line coverage, and fails when one does not or when no file matches.
    """
    run.coverage = {
        "tool": report.tool,
        "line_rate": round(report.line_rate, 4),
        "lines_valid": report.lines_valid,
        "lines_covered": report.lines_covered,
        "file_count": len(report.files),
        "files": {name: round(f.line_rate, 4) for name, f in sorted(report.files.items())[:RUN_FILES_KEPT]},
    }
    run.save(update_fields=["coverage", "updated_at"])
    globs = [str(g) for g in config.feature_code_globs or []]
    if not evidence or not globs:
        return
    verdict = judge_features(report, globs=globs, minimum=config.feature_coverage_min)
    evidence_record(
        project=run.project,
        test_id="data-7",
        source="ci",
        passed=verdict.passed,
        title=f"Feature-code coverage on {run.branch}: {verdict.summary}",
        link=run.url,
        key=f"ci:coverage:{run.branch}",
        detail={
            "run": run.pk,
            "branch": run.branch,
            "commit": run.commit,
            "tool": report.tool,
            "globs": verdict.globs,
            "minimum": verdict.minimum,
            "files": verdict.files,
            "below": verdict.below,
            "report_line_rate": round(report.line_rate, 4),
        },
        observed_at=observed,
    )
